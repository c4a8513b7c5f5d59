"""The CUBE benchmarks' own Python environment: a Python 3.12 venv installed from cube.lock.txt.

Every CUBE package needs Python >= 3.12 (ours runs on 3.11), and workarena-cube needs < 3.13, so
the cubes run in a venv of their own made by a Python 3.12 found the way a user would have one:
$AGENTLAB_CUBE_PYTHON, `python3.12` on PATH, pyenv's versions, then `uv python find`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ...core.errors import ConfigError
from ...foreign.pinned_venv import PinnedVenv

LOCK = Path(__file__).with_name("cube.lock.txt")
VENV_VARIABLE = "AGENTLAB_CUBE_VENV"
PYTHON_VARIABLE = "AGENTLAB_CUBE_PYTHON"
PYTHON_VERSION = "3.12"  # the lock's: cube-standard needs >= 3.12, workarena-cube < 3.13
INSTALL_HINT = "agentlab cube install (or make cube; ~3 min, ~1.1 GB)"
VERSION_PROBE = "import sys; print('.'.join(map(str, sys.version_info[:2])))"
PROBE_TIMEOUT_S = 20.0


def default_venv(lock: Path = LOCK) -> Path:
    """~/.cache/agentlab/cube-<cube-standard's pin>-<the lock's hash>: each lock its own venv, so
    checkouts with different locks on one machine never reinstall each other's."""
    lines = [line for line in lock.read_text().splitlines() if not line.startswith("#")]
    pins = dict(line.split("==", 1) for line in lines if "==" in line)
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()[:8]
    return Path.home() / ".cache" / "agentlab" / f"cube-{pins.get('cube-standard', 'unpinned')}-{digest}"


def answer(command: list[str]) -> str:
    """What `command` prints, stripped; '' when it fails, hangs or is not there."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def python_version(python: str | Path) -> str | None:
    """'major.minor' of the interpreter `python`, or None when it does not run (a pyenv shim of an
    unselected version exits with an error)."""
    return answer([str(python), "-c", VERSION_PROBE]) or None


def pyenv_root() -> Path:
    """`pyenv root` when pyenv is on PATH, else $PYENV_ROOT, else ~/.pyenv."""
    pyenv = shutil.which("pyenv")
    root = answer([pyenv, "root"]) if pyenv else ""
    return Path(root or os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv").expanduser()


def release(path: Path) -> tuple[int, ...]:
    """The release numbers of a pyenv version folder ('3.12.10' -> (3, 12, 10)), to try the newest first."""
    return tuple(int(part) if part.isdigit() else -1 for part in path.parents[1].name.split("."))


def candidates() -> Iterator[str]:
    """Interpreters that may be Python 3.12, in the order a user's setup would name them."""
    minor = PYTHON_VERSION
    on_path = shutil.which(f"python{minor}")
    if on_path:
        yield on_path
    versions = pyenv_root() / "versions"
    yield from (str(path) for path in sorted(versions.glob(f"{minor}*/bin/python{minor}"), key=release, reverse=True))
    uv = shutil.which("uv")
    found_by_uv = answer([uv, "python", "find", minor]) if uv else ""
    if found_by_uv:
        yield found_by_uv


def find_python() -> str:
    """A Python 3.12 interpreter: $AGENTLAB_CUBE_PYTHON, else the first candidate that runs as one.

    Raises ConfigError (one line) saying how to get one."""
    minor = PYTHON_VERSION
    chosen = os.environ.get(PYTHON_VARIABLE)
    if chosen:
        version = python_version(chosen)
        if version != PYTHON_VERSION:
            answered = "does not run" if version is None else f"is Python {version}"
            raise ConfigError(f"{PYTHON_VARIABLE}={chosen} {answered}; the CUBE environment needs Python {minor}")
        return chosen
    for candidate in candidates():
        if python_version(candidate) == PYTHON_VERSION:
            return candidate
    raise ConfigError(
        f"no Python {minor} found (the CUBE packages need it; looked for python{minor} on PATH, in pyenv's "
        f"versions and with uv): get one with `uv python install {minor}`, `pyenv install {minor}` or your "
        f"distribution's python{minor} package, or set {PYTHON_VARIABLE} to one"
    )


@dataclass(frozen=True)
class CubeEnvironment(PinnedVenv):
    """Where the CUBE venv lives; it is created by a Python 3.12 found on this machine."""

    lock: Path = LOCK
    name: str = "CUBE"
    variable: str = VENV_VARIABLE
    install_hint: str = INSTALL_HINT

    @classmethod
    def configured(cls) -> CubeEnvironment:
        """$AGENTLAB_CUBE_VENV, else ~/.cache/agentlab/cube-<cube-standard's pin>-<the lock's hash>."""
        return cls(Path(os.environ.get(VENV_VARIABLE) or default_venv()).expanduser())

    def check(self) -> None:
        """ConfigError (one line) when the venv is missing: how to get Python 3.12 first, if there is none."""
        if not self.installed():
            find_python()
            super().check()

    def base_python(self) -> str:
        return find_python()

    def offline_variables(self) -> dict[str, str]:
        """What the cubes' imports need to run without a network: litellm (browsercomp-cube's judge)
        fetches its price table from GitHub at import unless told to use its own copy."""
        return {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}
