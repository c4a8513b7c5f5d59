"""cube-harness 0.1.0rc2's own venv: where its experiment folders are read (by `cube_harness_host.py`) and where
bench/cube.py and the import test run it. Installed, as the CUBE environment is, from its pinned lock by a
Python 3.12 found the way a user has one ($AGENTLAB_CUBE_PYTHON, python3.12 on PATH, pyenv's versions, uv)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..benchmarks.cube.environment import CubeEnvironment

CUBE_HARNESS = "cube-harness-0.1.0rc2"
LOCK = Path(__file__).with_name(f"{CUBE_HARNESS}.lock.txt")


@dataclass(frozen=True)
class CubeHarnessEnvironment(CubeEnvironment):
    """cube-harness's venv (the CUBE environment's interpreter finding and offline variables, its own lock)."""

    lock: Path = LOCK
    name: str = CUBE_HARNESS
    variable: str = "AGENTLAB_CUBE_HARNESS_VENV"
    install_hint: str = "agentlab import installs it on first use (~3 min)"

    @classmethod
    def configured(cls) -> CubeHarnessEnvironment:
        """$AGENTLAB_CUBE_HARNESS_VENV, else ~/.cache/agentlab/cube-harness-0.1.0rc2."""
        return cls(
            Path(os.environ.get(cls.variable) or Path.home() / ".cache" / "agentlab" / CUBE_HARNESS).expanduser()
        )
