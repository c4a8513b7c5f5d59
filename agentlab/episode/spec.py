"""The full description of one episode, passed from the workflow to the episode runner as JSON."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..core.budget import NO_BUDGET, Budget


@dataclass(frozen=True)
class EpisodeSpec:
    """What an episode computes; a change to it reruns the episode."""

    study: str
    benchmark: str
    task: str
    seed: int
    agent_name: str
    agent_config: str  # Python path of an AgentArgs object
    max_steps: int
    agent_overrides: dict[str, Any] = field(default_factory=dict)
    pre_observation_delay: float = 0.5  # at most this long, the page may settle before each observation
    config_hash: str = ""  # of the agent's resolved config when planned: its change reruns the episode
    benchmark_module: str = ""  # Python path of a custom benchmark; '' for a built-in one
    cube: str = ""  # the cube a CUBE benchmark runs (agentlab.benchmarks.cube); '' for a BrowserGym one

    def to_json(self) -> str:
        """The spec as JSON; an empty benchmark_module or cube is left out, so built-in benchmarks' specs (and
        the episodes planned from them) stay as they were before custom and CUBE benchmarks existed."""
        fields = dataclasses.asdict(self)
        for optional in ("benchmark_module", "cube"):
            if not fields[optional]:
                del fields[optional]
        return json.dumps(fields, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> EpisodeSpec:
        from ..core.files import dataclass_from_json

        return dataclass_from_json(cls, text, "the episode spec")


@dataclass(frozen=True)
class RunLimits:
    """How an episode runs, not what it computes: changing these reruns nothing. The defaults are
    the study schema's (`episode:` in agentlab/schema.yaml; a test keeps them equal)."""

    step_timeout_s: float = 300.0  # one reset, agent call or browser step
    episode_timeout_s: float = 3600.0
    attempt: int = 1  # Snakemake's attempt number, from 1
    max_attempts: int = 1
    warm: bool = True  # run in a warm episode server (browser kept running) instead of a new process
    budget: Budget = NO_BUDGET  # spending limits (agentlab.core.budget)
    study_dir: str | None = None  # results/<study>: its spend ledger is kept (and budget.max_cost_usd checked)


def config_hash(benchmark: str, max_steps: int, pre_observation_delay: float, agent_args: dict[str, Any]) -> str:
    """Hash of what determines an episode's result besides its task and seed.

    Shared by all episodes of one (benchmark, agent); a change reruns exactly those episodes.
    """
    payload = {
        "benchmark": benchmark,
        "max_steps": max_steps,
        "pre_observation_delay": pre_observation_delay,
        "observation_timing": "settled",  # agentlab/browser/settle.py, not BrowserGym's fixed sleep
        "agent": agent_args,
    }
    canonical = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
