"""A venv of its own installed from a pinned lock, for packages that cannot live in ours.

ServiceNow AgentLab (the bridge) and the CUBE benchmarks each run in such a venv: created by a given
interpreter, filled with `pip install --no-deps -r lock` (the lock pins every package, so nothing is
resolved at install time), and marked complete by a copy of the lock written last.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ConfigError
from ..core.files import write_bytes_atomic

MARKER = ".installed-lock.txt"  # a copy of the lock it was installed from: a complete install


@dataclass(frozen=True)
class PinnedVenv:
    """Where the venv lives, the lock it holds, and what to tell a user who lacks it.

    `name` names what it holds in messages ('ServiceNow AgentLab 0.4.2'); `variable` is the
    environment variable naming another venv; `install_hint` says how to install it."""

    venv: Path
    lock: Path
    name: str
    variable: str
    install_hint: str

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def installed(self) -> bool:
        """Whether the venv holds a complete install of exactly this lock."""
        marker = self.venv / MARKER
        return self.python.is_file() and marker.is_file() and marker.read_bytes() == self.lock.read_bytes()

    def check(self) -> None:
        """ConfigError (one line) when the environment is missing."""
        if not self.installed():
            raise ConfigError(
                f"{self.name}'s environment is not installed in {self.venv} "
                f"(set {self.variable} to use another); install it with: {self.install_hint}"
            )

    def base_python(self) -> str:
        """The interpreter that creates the venv: ours, unless the packages need another version."""
        return sys.executable

    def finish_install(self) -> None:
        """What the venv needs beyond its packages, done before it is marked complete (nothing by default)."""

    def install(self, log: Path | None = None) -> str:
        """Create the venv and install the lock into it, unless it is there already; return what was done."""
        if self.installed():
            return f"{self.name} is installed in {self.venv}"
        base_python = self.base_python()
        (self.venv / MARKER).unlink(missing_ok=True)
        subprocess.run([base_python, "-m", "venv", "--clear", str(self.venv)], check=True)
        log = log or self.venv / "install.log"
        with open(log, "wb") as output:
            done = subprocess.run(
                [str(self.python), "-m", "pip", "install", "--no-deps", "--no-input", "-r", str(self.lock)],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        if done.returncode != 0:
            raise ConfigError(f"installing {self.name} into {self.venv} failed; see {log}")
        self.finish_install()
        write_bytes_atomic(self.venv / MARKER, self.lock.read_bytes())
        return f"installed {self.name} into {self.venv}"

    def site_packages(self) -> Path:
        return next((self.venv / "lib").glob("python3*/site-packages"))
