"""A warm episode server: runs episodes one at a time with Python, Playwright and Chromium kept running.

Started by the first supervisor that leases its slot (see `workers.WarmWorker`), it listens on the
slot's Unix socket. A supervisor sends the episode spec with two pipes (events and output); the
server points its stdout/stderr at the output pipe, runs the episode exactly as a cold worker
would (a fresh browser context each time, see `browser.ManagedBrowser`), and reports on the events
pipe. It dies at once if its supervisor disappears mid-episode, exits after an infrastructure
error (its browser may be broken), exits when idle with its slot unleased, and exits as soon as
the Snakemake run it serves ends (its `--owner`: a run stopped by Ctrl-C leaves no server behind).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import select
import signal
import socket
import sys
import threading
from pathlib import Path

from ..core.records import EpisodeOutcome
from ..machine.private_runtime import is_own_peer, peer_uid
from ..machine.shared_servers import idle_timeout_s

IDLE_TIMEOUT_S = idle_timeout_s()  # then exit, if the slot is unleased


def _watch_client(connection: socket.socket, episode_running: threading.Event) -> None:
    """Kill this server (its browser follows) if the supervisor vanishes during an episode."""
    try:
        while connection.recv(1):
            pass
    except OSError:
        pass
    if episode_running.is_set():
        os.kill(os.getpid(), signal.SIGKILL)


def _serve_one(connection: socket.socket, before_reply) -> EpisodeOutcome:
    """Run the episode a supervisor sent; call `before_reply(outcome)` before it learns the outcome."""
    from ..core.budget import Budget
    from .loop import run_episode
    from .spec import EpisodeSpec

    message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 2)
    request = json.loads(message)
    events_fd, output_fd = fds
    episode_running = threading.Event()
    episode_running.set()
    threading.Thread(target=_watch_client, args=(connection, episode_running), daemon=True).start()
    saved = os.dup(1), os.dup(2)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    try:
        with os.fdopen(events_fd, "w", buffering=1) as events:

            def send(event: dict) -> None:
                events.write(json.dumps(event, default=str) + "\n")

            outcome = run_episode(
                EpisodeSpec(**request["spec"]),
                Path(request["staging"]),
                on_phase=lambda phase, step: send({"event": "phase", "phase": phase, "step": step}),
                budget=Budget(**request.get("budget", {})),
            )
            episode_running.clear()  # from here, the supervisor may hang up
            before_reply(outcome)
            send({"event": "outcome", "outcome": outcome.to_dict()})
            return outcome
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, output_fd):
            os.close(fd)


def serve(slot: Path, owner: int | None = None) -> int:
    from ..browser import chromium as browser
    from ..machine.proctree import become_subreaper, exit_watch
    from .loop import preload

    become_subreaper()  # Chromium's detached helpers stay in our tree, so a kill finds them
    browser.install(keep_warm=True)
    preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = slot / "socket"
    path.unlink(missing_ok=True)
    listener.bind(str(path))
    os.chmod(path, 0o600)  # whatever the umask: only this user may connect (its folder is private too)
    listener.listen(1)
    owner_exit = exit_watch(owner)

    def retire_after_infra_error(outcome: EpisodeOutcome) -> None:
        """Stop listening before replying, so the next lease starts a fresh server."""
        if outcome.status == "infra_error":  # its browser may be broken
            listener.close()
            path.unlink(missing_ok=True)

    print(f"episode server {os.getpid()} listening on {path}", flush=True)
    while True:
        watched = [listener.fileno(), *([owner_exit] if owner_exit is not None else [])]
        ready = select.select(watched, [], [], IDLE_TIMEOUT_S)[0]
        if owner_exit in ready:
            path.unlink(missing_ok=True)
            print(f"episode server {os.getpid()}: the run it served (pid {owner}) ended: exiting", flush=True)
            return 0
        if not ready:
            lock = os.open(slot / "lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody leases the slot: safe to leave
            except BlockingIOError:
                os.close(lock)
                continue
            path.unlink(missing_ok=True)
            print(f"episode server {os.getpid()} idle for {IDLE_TIMEOUT_S:g} s: exiting", flush=True)
            return 0
        connection, _ = listener.accept()
        if not is_own_peer(connection):  # it would get our setup and observations, or send its own episode
            print(f"episode server {os.getpid()} refused a client of uid {peer_uid(connection)}", flush=True)
            connection.close()
            continue
        with connection:
            outcome = _serve_one(connection, retire_after_infra_error)
        if outcome.status == "infra_error":
            print(f"episode server {os.getpid()} exiting after an infrastructure error", flush=True)
            return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agentlab.episode.warm_server")
    parser.add_argument("--slot", required=True, type=Path)
    parser.add_argument("--owner", type=int, help="exit when this process (the Snakemake run) exits")
    args = parser.parse_args(argv)
    return serve(args.slot, args.owner)


if __name__ == "__main__":
    raise SystemExit(main())
