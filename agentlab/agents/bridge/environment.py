"""ServiceNow AgentLab 0.4.2's own Python environment, where the bridge runs its agents.

Installed on demand (`agentlab bridge install`, or `make bridge`) from the pinned lock beside this
file into its own venv: `pip install agentlab` fails on Python 3.11, and both packages are named
`agentlab`. The lock is AgentLab's tested set minus what its agents never import (torch, ray,
gradio, dask: its parallel backends and its Gradio viewer), installed with --no-deps.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ...foreign.pinned_venv import PinnedVenv

LOCK = Path(__file__).with_name("servicenow-agentlab-0.4.2.lock.txt")
VENV_VARIABLE = "AGENTLAB_SERVICENOW_VENV"
DEFAULT_VENV = Path.home() / ".cache" / "agentlab" / "servicenow-agentlab-0.4.2"
INSTALL_HINT = "agentlab bridge install (or make bridge; ~3 min, ~1.7 GB)"


@dataclass(frozen=True)
class AgentLabEnvironment(PinnedVenv):
    """Where ServiceNow AgentLab's venv lives and how to run its interpreter offline."""

    lock: Path = LOCK
    name: str = "ServiceNow AgentLab 0.4.2"
    variable: str = VENV_VARIABLE
    install_hint: str = INSTALL_HINT

    @classmethod
    def configured(cls) -> AgentLabEnvironment:
        """$AGENTLAB_SERVICENOW_VENV, else ~/.cache/agentlab/servicenow-agentlab-0.4.2."""
        return cls(Path(os.environ.get(VENV_VARIABLE) or DEFAULT_VENV).expanduser())

    def finish_install(self) -> None:
        """The empty nltk_data folder of `offline_variables`."""
        (self.venv / "nltk_data" / "tokenizers" / "punkt_tab").mkdir(parents=True, exist_ok=True)

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
