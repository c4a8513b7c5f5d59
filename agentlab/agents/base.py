"""The agent interface: agent args (a dataclass) make an agent, which maps observations to actions."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from ..actions import ActionSetArgs


@dataclass(frozen=True)
class EpisodeContext:
    """What an agent may know about its episode before it starts."""

    benchmark: str
    task: str
    seed: int
    max_steps: int
    action_set: ActionSetArgs  # the benchmark's action set
    is_multi_tab: bool = False  # the benchmark's tasks may open several tabs


@dataclass
class AgentStep:
    """An agent's answer to one observation. `action` None means the agent stops the episode."""

    action: str | None
    think: str = ""  # the agent's reasoning, shown in the trace
    messages: list[dict] = field(default_factory=list)  # the prompt and answer, as chat messages
    stats: dict[str, Any] = field(default_factory=dict)  # numbers for this step (tokens, cost, latency)
    extra: dict[str, Any] = field(default_factory=dict)  # anything else worth keeping in the trace


class Agent(ABC):
    """Chooses BrowserGym high-level actions (strings such as "click('12')") from observations."""

    action_set: Any  # browsergym.core.action.highlevel.HighLevelActionSet

    @abstractmethod
    def get_action(self, obs: dict) -> AgentStep:
        """Choose the next action from a BrowserGym observation."""

    def stats(self) -> dict[str, Any]:
        """Totals for the episode so far (tokens, cost, ...); empty for agents without costs."""
        return {}

    def close(self) -> None:
        """Release what the agent holds (connections, files)."""


@dataclass
class AgentArgs(ABC):
    """An agent's configuration, plain JSON-able fields; `make_agent` builds one agent per episode."""

    @abstractmethod
    def make_agent(self, context: EpisodeContext) -> Agent:
        """A fresh agent for one episode."""

    def check(self) -> None:
        """Raise ConfigError (one line) if this agent cannot run here, e.g. its API key is not set.

        Called for every agent of a study before any episode starts."""

    def local_llm_server(self) -> Any:
        """Settings of the local LLM server this agent needs (agentlab.llm.local_server), or None."""
        return None

