"""The machine's bridge fork servers (`host.py --zygote`): AgentLab imported once, a host forked per episode
server instead of a new interpreter each (~10 s and ~150 MB spared per host).

One per AgentLab interpreter, host environment and preload list, named by their hash in the user's
private runtime folder; each end checks that the other runs as this user. The first client to find
none starts it (detached, under a lock: sixteen slots starting at once start one) and waits until it
listens; it exits when unused (AGENTLAB_WARM_IDLE_S).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import socket
import subprocess
import threading
import time
from pathlib import Path

from ...core.errors import InfraError
from ...machine.private_runtime import connect_own, open_log
from ...machine.shared_servers import VOLATILE_ENVIRONMENT, idle_timeout_s
from ...machine.slots import slots_dir
from . import host

START_TIMEOUT_S = 120.0  # importing AgentLab takes ~10 s alone, much longer on a loaded machine
POLL_S = 0.1
LOG_TAIL_LINES = 3
SET_BY_IMPORTS = ("PYGAME_HIDE_SUPPORT_PROMPT",)  # importing browsergym sets it in our process: not another environment


def zygote_dir(python: Path, environment: dict[str, str], preload: tuple[str, ...]) -> Path:
    """The private folder of the zygote of `python`, `environment` and `preload`: its socket, lock and log."""
    variables = sorted((k, v) for k, v in environment.items() if k not in (*VOLATILE_ENVIRONMENT, *SET_BY_IMPORTS))
    script, codec = Path(host.__file__), host.WIRE_FILE  # edited since: another zygote, running the new code
    key = json.dumps(
        [str(python), str(script), script.stat().st_mtime_ns, codec.stat().st_mtime_ns, variables, list(preload)]
    )
    return slots_dir("bridge-zygotes", key)


def connect(python: Path, environment: dict[str, str], preload: tuple[str, ...]) -> socket.socket:
    """A connection to the zygote of `python`, `environment` and `preload`, started if none answers."""
    directory = zygote_dir(python, environment, preload)
    path = directory / "socket"
    with contextlib.suppress(FileNotFoundError, ConnectionRefusedError):
        return _connect(path)
    with open(directory / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one starts it, the others wait here, then connect
        with contextlib.suppress(FileNotFoundError, ConnectionRefusedError):
            return _connect(path)
        return _start(python, environment, preload, path)


def _connect(path: Path) -> socket.socket:
    return connect_own(path, "AgentLab bridge's fork server")


def _start(python: Path, environment: dict[str, str], preload: tuple[str, ...], path: Path) -> socket.socket:
    """Start a zygote listening on `path` and connect to it; InfraError (one line) if it cannot start."""
    path.unlink(missing_ok=True)  # a dead zygote's socket
    log_path = path.with_name("zygote.log")
    command = [str(python), "-P", host.__file__, "--zygote", str(path), "--idle-s", str(idle_timeout_s())]
    command += [argument for name in preload for argument in ("--preload", name)]
    try:
        with open_log(log_path, truncate=True) as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                cwd=path.parent,
                start_new_session=True,  # not in our process group: a Ctrl-C of one run leaves it to the others
            )
    except OSError as error:
        raise InfraError(f"the AgentLab bridge's fork server could not start ({python}): {error}") from None
    threading.Thread(target=process.wait, name="zygote-reaper", daemon=True).start()  # no zombie when it exits
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        with contextlib.suppress(FileNotFoundError, ConnectionRefusedError):
            return _connect(path)
        code = process.poll()
        if code is not None:
            raise InfraError(f"the AgentLab bridge's fork server exited with code {code}: {_tail(log_path)}")
        if time.monotonic() > deadline:
            process.kill()
            raise InfraError(
                f"the AgentLab bridge's fork server did not listen within {START_TIMEOUT_S:g} s: {_tail(log_path)}"
            )
        time.sleep(POLL_S)


def _tail(log_path: Path) -> str:
    """The last lines of a zygote's log, on one line."""
    lines = [line.strip() for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
    return " | ".join(lines[-LOG_TAIL_LINES:] or ["(no output)"]) + f" (log: {log_path})"
