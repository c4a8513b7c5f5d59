"""Where the supervisor's episode runs: a fresh worker process, or a warm episode server.

Both hand the supervisor two pipes to read (the episode's phase events and its output) and know
how to kill everything the episode started. A cold worker is a new process per episode. A warm
worker is an episode server (`warm_server.py`) that keeps Python, Playwright and Chromium running
between episodes; the supervisor leases one through a per-slot lock and passes it the pipes.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

from ..core.budget import NO_BUDGET, Budget
from ..machine.private_runtime import connect_own, open_log, private_dir, user_runtime_dir
from ..machine.proctree import become_subreaper, descendants, die_with_parent, kill, run_owner, wait_gone
from ..machine.shared_servers import VOLATILE_ENVIRONMENT
from .spec import EpisodeSpec

SERVER_START_TIMEOUT_S = 60.0


class ColdWorker:
    """A new `python -m agentlab.episode.cold_worker` process for one episode."""

    def __init__(self, spec: EpisodeSpec, staging: Path, budget: Budget = NO_BUDGET):
        become_subreaper()
        self.unrelated = set(descendants(os.getpid(), spare_shared=True))
        self.events, events_write = os.pipe()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "agentlab.episode.cold_worker",
                "--spec",
                spec.to_json(),
                "--dir",
                str(staging),
                "--events-fd",
                str(events_write),
                "--budget",
                budget.to_json(),
            ],
            pass_fds=(events_write,),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        os.close(events_write)
        assert self.process.stdout is not None  # stdout=PIPE
        self.stdout = self.process.stdout
        self.output = self.stdout.fileno()

    def kill(self) -> int | None:
        """SIGKILL the worker and every process of its episode; return the worker's exit code.

        Playwright starts Chromium in a session of its own and Chromium's crash handlers detach,
        so the episode is the worker's tree plus the orphans we adopted as subreaper: our
        descendants minus the `unrelated` ones that existed before the worker.
        """
        tree = set(descendants(self.process.pid, spare_shared=True))
        kill(tree | {self.process.pid})
        returncode = self.process.wait()
        adopted = set(descendants(os.getpid(), spare_shared=True)) - self.unrelated - {self.process.pid}
        kill(adopted)
        wait_gone(tree | adopted)
        return returncode

    def finish(self, timeout_s: float) -> int | None:
        """After the episode: let the worker exit, then make sure nothing of it survives."""
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            pass
        return self.kill()

    def close(self) -> None:
        os.close(self.events)
        self.stdout.close()


def environment_key() -> str:
    """What a warm server must share with its clients: interpreter, code, folder and environment."""
    package = Path(__file__).resolve().parents[1]
    code = max(path.stat().st_mtime_ns for path in package.rglob("*.py"))
    environment = sorted((k, v) for k, v in os.environ.items() if k not in VOLATILE_ENVIRONMENT)
    payload = json.dumps([sys.executable, str(package), code, os.getcwd(), environment])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def servers_dir() -> Path:
    """The private folder of the slots of this environment's warm servers."""
    return user_runtime_dir(environment_key())


class WarmWorker:
    """A leased episode server: the slot's lock is held until `close()` (or until we die)."""

    def __init__(self, spec: EpisodeSpec, staging: Path, budget: Budget = NO_BUDGET):
        self.slot, self.lock = self._lease_slot(servers_dir())
        self.connection = self._connect()
        pid, _, _ = struct.unpack("3i", self.connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        self.server_pid = pid
        self.events, events_write = os.pipe()
        self.output, output_write = os.pipe()
        request = json.dumps(
            {
                "spec": json.loads(spec.to_json()),
                "staging": str(staging.resolve()),
                "budget": json.loads(budget.to_json()),
            }
        )
        socket.send_fds(self.connection, [request.encode()], [events_write, output_write])
        os.close(events_write)
        os.close(output_write)

    @staticmethod
    def _lease_slot(directory: Path) -> tuple[Path, int]:
        """The first slot whose lock is free, locked by us: its server serves only us meanwhile."""
        for number in range(1024):
            slot = private_dir(directory / f"slot-{number}")
            lock = os.open(slot / "lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return slot, lock
            except BlockingIOError:
                os.close(lock)
        raise RuntimeError(f"no free episode server slot in {directory}")

    def _connect(self) -> socket.socket:
        """Connect to the slot's server (one of this user's), starting one if none is listening."""
        path = self.slot / "socket"
        try:
            return connect_own(path, "episode server")
        except (FileNotFoundError, ConnectionRefusedError):
            pass
        owner = run_owner()  # the server ends with the Snakemake run, if there is one
        with open_log(self.slot / "server.log") as log:
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "agentlab.episode.warm_server",
                    "--slot",
                    str(self.slot),
                    *(["--owner", str(owner)] if owner else []),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            try:
                return connect_own(path, "episode server")
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"episode server in {self.slot} did not start; see its server.log") from None
                time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL the server and its browsers: the next lease of this slot starts a fresh one."""
        tree = set(descendants(self.server_pid, spare_shared=True)) | {self.server_pid}
        kill(tree)
        wait_gone(tree)

    def finish(self, timeout_s: float) -> None:
        """After the episode the server stays warm for the next one (it exits by itself if broken)."""

    def close(self) -> None:
        os.close(self.events)
        os.close(self.output)
        self.connection.close()
        os.close(self.lock)
