"""Our end of a foreign host: a process of another Python environment (ServiceNow AgentLab's for the bridge,
CUBE's for cube benchmarks) that serves our episodes over JSON lines (`wire.py` encodes what crosses), its
output copied into the episode's log. Subclasses say how the host is started and how it reports its end.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import sys
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TextIO, TypeVar

from ..core.errors import AgentError, InfraError

EXIT_WAIT_S = 2.0  # for an ended host to be reaped


def scratch_root() -> str | None:
    """Where observations' arrays travel: memory (/dev/shm) when there is one."""
    return "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


class HostProcess(ABC):
    """A host speaking our protocol: hello first, then one JSON answer per JSON request."""

    kind = "host"  # what errors call it, e.g. "AgentLab agent"
    protocol = 1  # the PROTOCOL_VERSION of its host.py

    def __init__(self, prefix: str):
        self.scratch = Path(tempfile.mkdtemp(prefix=prefix, dir=scratch_root()))
        self.log_path = self.scratch / "host.log"
        self.log_path.touch()
        self._log_read = 0
        self.streams: list[TextIO] = []
        self.pid: int | None = None
        self.exited: int | None = None  # a pidfd of the host: readable once it has exited
        self.hello: dict[str, Any] = {}

    def open(self, answers_fd: int, requests_fd: int) -> None:
        """Speak with the started host on these descriptors; InfraError unless it says hello in our protocol."""
        self.answers = os.fdopen(answers_fd, "r", encoding="utf-8")
        self.requests = os.fdopen(requests_fd, "w", encoding="utf-8", buffering=1)
        self.streams = [self.requests, self.answers]
        self.hello = self._receive()
        self.pid = int(self.hello["pid"])
        self.exited = os.pidfd_open(self.pid)
        if self.hello.get("protocol") != self.protocol:
            raise InfraError(f"{self.kind} host speaks protocol {self.hello.get('protocol')}, we speak {self.protocol}")

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one request; its answer, or the host's error raised as the exception `error_class` names."""
        try:
            self.requests.write(json.dumps(message) + "\n")
        except (BrokenPipeError, OSError):
            pass  # the host died: _receive says how
        answer = self._receive()
        if answer.get("kind") == "error":
            error = self.error_class(answer)
            raise error(f"{self.kind} raised {answer['type']}: {answer['message']}\n{answer['traceback']}")
        return answer

    def error_class(self, answer: dict[str, Any]) -> type[Exception]:
        """Who is at fault for the host's error answer: the infrastructure, else the agent."""
        return InfraError if answer.get("infra") else AgentError

    def _receive(self) -> dict[str, Any]:
        try:
            line = self.answers.readline()
        except OSError:
            line = ""
        self.relay_output()
        if not line:
            raise InfraError(
                f"the {self.kind} process exited with code {self.exit_code()}; its output is in the episode log"
            )
        return json.loads(line)

    @abstractmethod
    def exit_code(self) -> int | str:
        """The ended host's exit code ("unknown" if it cannot be learnt)."""

    def relay_output(self) -> None:
        """Copy what the host printed since last time to our stderr (the episode's log)."""
        with open(self.log_path, "rb") as log:
            log.seek(self._log_read)
            data = log.read()
        self._log_read += len(data)
        if data:
            sys.stderr.buffer.write(data)
            sys.stderr.flush()

    def alive(self) -> bool:
        return self.exited is not None and not select.select([self.exited], [], [], 0)[0]

    def close(self) -> None:
        """Kill the host if it still runs, wait for its end, and remove its scratch folder."""
        for stream in self.streams:
            try:
                stream.close()
            except OSError:
                pass
        if self.exited is not None:
            if self.alive():
                signal.pidfd_send_signal(self.exited, signal.SIGKILL)
            select.select([self.exited], [], [], EXIT_WAIT_S)
            os.close(self.exited)
            self.exit_code()  # reaped before its folder goes
        shutil.rmtree(self.scratch, ignore_errors=True)


Host = TypeVar("Host", bound=HostProcess)


class IdleHosts(Generic[Host]):
    """The hosts this process keeps between its episodes (a warm episode server's), one per foreign interpreter."""

    def __init__(self) -> None:
        self._hosts: dict[Path, Host] = {}

    def take(self, python: Path, start: Callable[[], Host]) -> Host:
        """The idle host of `python` if it still runs, else a new one from `start`."""
        host = self._hosts.pop(python, None)
        if host is not None and host.alive():
            return host
        if host is not None:
            host.close()
        return start()

    def pop(self, python: Path) -> Host | None:
        return self._hosts.pop(python, None)

    def end_episode(self, python: Path, host: Host) -> None:
        """Tell `host` its episode is over and keep it for the next one; close it if that fails or it died."""
        try:
            host.ask({"kind": "end"})
        except Exception:
            host.close()
            return
        if host.alive():
            self._hosts[python] = host
        else:
            host.close()
