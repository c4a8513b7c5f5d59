"""ServiceNow AgentLab 0.4.2's own Python environment, where the bridge runs its agents.

Installed on demand (`agentlab bridge install`, or `make bridge`) from the pinned lock beside this
file into its own venv: `pip install agentlab` fails on Python 3.11, and both packages are named
`agentlab`. The lock is AgentLab's tested set minus what its agents never import (torch, ray,
gradio, dask: its parallel backends and its Gradio viewer), installed with --no-deps.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ...errors import ConfigError

LOCK = Path(__file__).with_name("servicenow-agentlab-0.4.2.lock.txt")
VENV_VARIABLE = "AGENTLAB_SERVICENOW_VENV"
DEFAULT_VENV = Path.home() / ".cache" / "agentlab" / "servicenow-agentlab-0.4.2"
MARKER = ".installed-lock.txt"  # a copy of the lock it was installed from: a complete install
INSTALL_HINT = "agentlab bridge install (or make bridge; ~3 min, ~1.7 GB)"


@dataclass(frozen=True)
class AgentLabEnvironment:
    """Where ServiceNow AgentLab's venv lives and how to run its interpreter offline."""

    venv: Path

    @classmethod
    def configured(cls) -> AgentLabEnvironment:
        """$AGENTLAB_SERVICENOW_VENV, else ~/.cache/agentlab/servicenow-agentlab-0.4.2."""
        return cls(Path(os.environ.get(VENV_VARIABLE) or DEFAULT_VENV).expanduser())

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def installed(self) -> bool:
        """Whether the venv holds a complete install of exactly this lock."""
        marker = self.venv / MARKER
        return self.python.is_file() and marker.is_file() and marker.read_bytes() == LOCK.read_bytes()

    def check(self) -> None:
        """ConfigError (one line) when the environment is missing."""
        if not self.installed():
            raise ConfigError(
                f"ServiceNow AgentLab 0.4.2's environment is not installed in {self.venv} "
                f"(set {VENV_VARIABLE} to use another); install it with: {INSTALL_HINT}"
            )

    def install(self, log: Path | None = None) -> str:
        """Create the venv and install the lock into it, unless it is there already; return what was done."""
        if self.installed():
            return f"ServiceNow AgentLab 0.4.2 is installed in {self.venv}"
        (self.venv / MARKER).unlink(missing_ok=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(self.venv)], check=True)
        log = log or self.venv / "install.log"
        with open(log, "wb") as output:
            done = subprocess.run(
                [str(self.python), "-m", "pip", "install", "--no-deps", "--no-input", "-r", str(LOCK)],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        if done.returncode != 0:
            raise ConfigError(f"installing ServiceNow AgentLab 0.4.2 into {self.venv} failed; see {log}")
        (self.venv / "nltk_data" / "tokenizers" / "punkt_tab").mkdir(parents=True, exist_ok=True)
        (self.venv / MARKER).write_bytes(LOCK.read_bytes())
        return f"installed ServiceNow AgentLab 0.4.2 into {self.venv}"

    def site_packages(self) -> Path:
        return next((self.venv / "lib").glob("python3*/site-packages"))

    def offline_variables(self) -> dict[str, str]:
        """What AgentLab's imports need to run here without a network:

        - importing browsergym.experiments imports browsergym.webarena, which downloads nltk's
          punkt_tab unless nltk finds it (an empty folder satisfies the check; agents never use it);
        - tiktoken's cl100k_base, for AgentLab's prompt token counts, ships inside litellm;
        - litellm fetches its price table from GitHub at import unless told to use its own copy.
        """
        return {
            "NLTK_DATA": str(self.venv / "nltk_data"),
            "TIKTOKEN_CACHE_DIR": os.environ.get("TIKTOKEN_CACHE_DIR")
            or str(self.site_packages() / "litellm" / "litellm_core_utils" / "tokenizers"),
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        }
