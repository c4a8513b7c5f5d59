"""A local llama.cpp chat server (xllamacpp) shared by the episodes of a run, managed as a service.

`start` spawns this module (`python -m agentlab.llm.local_server`) detached, in a process session
of its own; it writes `server.json` (pid, base URL, settings, the run's API key) into its private
runtime folder (0700, see `private_runtime`) once the model is loaded and the OpenAI-compatible HTTP
API listens on loopback. The key is new at every start: another local user reaches the port but is
refused (401) without it. A lock makes concurrent starters start it at most once.
Clients touch the `lease` file at every request; the server exits by itself after
`idle_timeout_s` without one, so a killed workflow leaves no server behind for long; started
under a Snakemake run, it also exits as soon as that run's snakemake process does (Ctrl-C, kill). The
Snakefile starts it `onstart:` and stops it `onsuccess:`/`onerror:`; `ensure_server` starts it
lazily for a single `agentlab episode` (a cold worker's supervisor then kills it with the
episode's other processes; under a warm episode server it lives until idle).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import secrets
import select
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import InfraError
from ..core.files import write_json_atomic
from ..machine.private_runtime import open_log, private_dir
from ..machine.proctree import exit_watch, run_owner

SERVER_DIR_ENV = "AGENTLAB_LLM_SERVER_DIR"
STATE_FILE = "server.json"
LEASE_FILE = "lease"
LOG_FILE = "server.log"
LOCK_FILE = "lock"


SERVER_MODULE = "agentlab.llm.local_server"  # run with -m: how its processes are recognised


class LocalServerError(InfraError):
    """The local LLM server could not be started or reached."""


@dataclass(frozen=True)
class ServerSettings:
    """What the local server runs: one model, its context size and its CPU share."""

    model_file: str | None = None  # a GGUF path; None = the packaged Qwen2.5-Coder-0.5B-Instruct
    n_ctx: int = 4096  # context tokens per slot (0 would mean the model's 32k: ~1 GB more RAM)
    threads: int = 2
    parallel: int = 1  # slots: requests served at once
    idle_timeout_s: float = 900.0  # exit after this long without a request (0 = never)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ServerSettings:
        from ..core.files import dataclass_from_json

        return dataclass_from_json(cls, text, "the local LLM server settings")


@dataclass(frozen=True)
class ServerState:
    """A running server, as recorded in `server.json`."""

    pid: int
    base_url: str  # e.g. http://127.0.0.1:41361 (the OpenAI API is under /v1)
    settings: ServerSettings
    started_at: float
    api_key: str  # the Bearer token every request but /health needs


def runtime_dir() -> Path:
    """The folder of the server's state, lease, lock and log: $AGENTLAB_LLM_SERVER_DIR, else
    `.agentlab/llm-server` in the working directory (one server per workflow folder)."""
    return Path(os.environ.get(SERVER_DIR_ENV) or Path.cwd() / ".agentlab" / "llm-server").absolute()


def _private(directory: Path) -> Path:
    """`directory` made private (0700, this user's): its server.json holds the key."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    return private_dir(directory)


def read_state(directory: Path) -> ServerState | None:
    try:
        data = json.loads((directory / STATE_FILE).read_text())
        return ServerState(
            data["pid"], data["base_url"], ServerSettings(**data["settings"]), data["started_at"], data["api_key"]
        )
    except (FileNotFoundError, json.JSONDecodeError, KeyError):  # KeyError: an older version's, without a key
        return None


def _is_our_server(pid: int) -> bool:
    """Whether `pid` is alive and runs this module's server (not a recycled pid)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = handle.read().split(b"\0")
        with open(f"/proc/{pid}/stat", "rb") as handle:
            zombie = handle.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except OSError:
        return False
    return not zombie and SERVER_MODULE.encode() in argv


def healthy(base_url: str, timeout_s: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/health", timeout=timeout_s) as response:
            return response.status == 200
    except OSError:
        return False


def status(directory: Path | None = None) -> ServerState | None:
    """The running, healthy server of `directory`, or None."""
    directory = directory or runtime_dir()
    state = read_state(directory)
    if state and _is_our_server(state.pid) and healthy(state.base_url):
        return state
    return None


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    with open(_private(directory) / LOCK_FILE, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def touch_lease(directory: Path) -> None:
    """Mark the server as used now (it exits after `idle_timeout_s` without this)."""
    (directory / LEASE_FILE).touch()


def _log_tail(directory: Path, lines: int = 5) -> str:
    try:
        text = (directory / LOG_FILE).read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def ensure_server(settings: ServerSettings, directory: Path | None = None, timeout_s: float = 180.0) -> ServerState:
    """The server of `directory` running `settings`, started if none is; LocalServerError otherwise."""
    directory = directory or runtime_dir()
    with _locked(directory):
        state = status(directory)
        if state is not None:
            if state.settings != settings:
                raise LocalServerError(
                    f"the local LLM server in {directory} runs {state.settings}, not {settings}; "
                    f"stop it first: agentlab llm-server stop"
                )
            touch_lease(directory)
            return state
        (directory / STATE_FILE).unlink(missing_ok=True)
        touch_lease(directory)
        with open_log(directory / LOG_FILE) as log:
            owner = run_owner()
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    SERVER_MODULE,
                    "--settings",
                    settings.to_json(),
                    *(["--owner", str(owner)] if owner else []),
                ],
                env={**os.environ, SERVER_DIR_ENV: str(directory)},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            state = read_state(directory)
            if state is not None and state.pid == process.pid and healthy(state.base_url):
                return state
            if process.poll() is not None:
                raise LocalServerError(
                    f"the local LLM server exited with code {process.returncode} while starting: {_log_tail(directory)}"
                )
            time.sleep(0.1)
        process.kill()
        raise LocalServerError(f"the local LLM server did not start within {timeout_s:g} s: {_log_tail(directory)}")


def stop_server(directory: Path | None = None, timeout_s: float = 15.0) -> ServerState | None:
    """Stop the server of `directory` (SIGTERM, then SIGKILL); return what was stopped, or None."""
    directory = directory or runtime_dir()
    with _locked(directory):
        state = read_state(directory)
        if state is None or not _is_our_server(state.pid):
            (directory / STATE_FILE).unlink(missing_ok=True)
            return None
        os.kill(state.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while _is_our_server(state.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _is_our_server(state.pid):
            os.kill(state.pid, signal.SIGKILL)
        (directory / STATE_FILE).unlink(missing_ok=True)
        return state


def _server_params(settings: ServerSettings, model_path: Path, api_key: str) -> Any:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(model_path)
    params.n_ctx = settings.n_ctx * settings.parallel
    params.n_parallel = settings.parallel
    params.cpuparams.n_threads = settings.threads
    params.cpuparams_batch.n_threads = settings.threads
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # a free port, read back from the server
    params.cache_prompt = True  # reuse the KV cache of a common prompt prefix across requests
    # the model's own Jinja chat template (xllamacpp's default, stated): the tools API needs it, and a text
    # chat renders as with the built-in ChatML
    params.use_jinja = True
    params.offline = True  # never reach for a model hub
    params.cors_origins = ""  # no browser access
    params.api_keys = [api_key]  # loopback is open to every local user: requests need the run's key
    return params


def serve(settings: ServerSettings, directory: Path | None = None, owner: int | None = None) -> int:
    """Run the server in the foreground until SIGTERM/SIGINT, `idle_timeout_s` without requests, or
    the end of the `owner` process (the Snakemake run it serves)."""
    import xllamacpp

    from .local_model import QWEN_05B, ensure_model_file

    directory = _private(directory or runtime_dir())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    model_path = Path(settings.model_file) if settings.model_file else ensure_model_file(QWEN_05B)
    started = time.time()
    api_key = secrets.token_urlsafe(32)
    server = xllamacpp.Server(_server_params(settings, model_path, api_key))  # returns once it listens
    state = ServerState(os.getpid(), server.listening_address.rstrip("/"), settings, started, api_key)
    write_json_atomic(directory / STATE_FILE, dataclasses.asdict(state))
    print(f"serving {model_path} at {state.base_url}", flush=True)
    owner_exit = exit_watch(owner)
    try:
        while not stop.wait(1.0):
            if owner_exit is not None and select.select([owner_exit], [], [], 0)[0]:
                print(f"the run it served (pid {owner}) ended: stopping", flush=True)
                break
            if settings.idle_timeout_s and _idle_s(directory, started) > settings.idle_timeout_s:
                print(f"idle for {settings.idle_timeout_s:g} s: stopping", flush=True)
                break
    finally:
        current = read_state(directory)
        if current is not None and current.pid == os.getpid():
            (directory / STATE_FILE).unlink(missing_ok=True)
        del server  # joins llama.cpp's loop and closes the socket
    return 0


def _idle_s(directory: Path, started: float) -> float:
    try:
        last = max((directory / LEASE_FILE).stat().st_mtime, started)
    except FileNotFoundError:
        last = started
    return time.time() - last


def main(argv: list[str] | None = None) -> int:
    """`python -m agentlab.llm.local_server [--settings JSON]`: serve in the foreground."""
    import argparse

    parser = argparse.ArgumentParser(prog=f"python -m {SERVER_MODULE}", description=serve.__doc__)
    parser.add_argument("--settings", help="ServerSettings as JSON (default: the packaged model)")
    parser.add_argument("--owner", type=int, help="exit when this process (the Snakemake run) exits")
    args = parser.parse_args(argv)
    return serve(ServerSettings.from_json(args.settings) if args.settings else ServerSettings(), owner=args.owner)


if __name__ == "__main__":
    raise SystemExit(main())
