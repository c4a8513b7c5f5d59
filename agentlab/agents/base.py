"""The agent interface: agent args (a dataclass) make an agent, which maps observations to actions."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..browser.actions import ActionSetArgs
from ..browser.tool_calls import ToolCall
from ..core.errors import AgentError, ConfigError
from ..core.records import AgentExtra


@dataclass(frozen=True)
class EpisodeContext:
    """What an agent may know about its episode before it starts."""

    benchmark: str
    task: str
    seed: int
    max_steps: int
    action_set: ActionSetArgs  # the benchmark's action set
    is_multi_tab: bool = False  # the benchmark's tasks may open several tabs
    # the actions as JSON-schema tools (OpenAI's shape): a CUBE task's own, else the action set's
    tools: tuple[dict[str, Any], ...] = ()


@dataclass
class AgentStep:
    """An agent's answer to one observation. `action` None means the agent stops the episode.

    A tool-calling agent answers with `tool_call` (checked against the episode's tools) and its rendering
    as a BrowserGym action string in `action`, which is what records and string-action envs use."""

    action: str | None
    tool_call: ToolCall | None = None
    think: str = ""  # the agent's reasoning, shown in the trace
    messages: list[dict] = field(default_factory=list)  # the prompt and answer, as chat messages
    stats: dict[str, Any] = field(default_factory=dict)  # numbers for this step (tokens, cost, latency)
    extra: AgentExtra = field(default_factory=AgentExtra)  # anything else worth keeping in the trace


class UnusableAnswers(AgentError):
    """The agent answered, but nothing it answered can be used. `step` is its answer (action None: the
    messages, stats and extras), which the episode records with the step's observation for the trace."""

    def __init__(self, message: str, step: AgentStep):
        super().__init__(message)
        self.step = step


class Agent(ABC):
    """Chooses BrowserGym high-level actions (strings such as "click('12')") from observations."""

    action_set: Any  # browsergym.core.action.highlevel.HighLevelActionSet

    @abstractmethod
    def get_action(self, obs: dict) -> AgentStep:
        """Choose the next action from a BrowserGym observation."""

    def stats(self) -> dict[str, Any]:
        """Totals for the episode so far (tokens, cost, ...); empty for agents without costs."""
        return {}

    def details(self) -> dict[str, Any]:
        """What the agent says about itself for the episode's summary (e.g. a bridged AgentLab
        agent's resolved AgentArgs and versions); empty by default."""
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

    def override(self, keys: list[str], value: Any, path: str) -> AgentArgs:
        """A copy with the field at the dotted `keys` set to `value` (a study's `overrides`)."""
        return _override(self, keys, value, path)


def _override(obj: Any, keys: list[str], value: Any, path: str, parent: str = "") -> Any:
    head, rest = keys[0], keys[1:]
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise ConfigError(
            f"agent config {path!r}: field {parent!r} is a {type(obj).__name__}, which has no field {head!r}; "
            "allowed: dotted keys through dataclass fields only"
        )
    names = [f.name for f in dataclasses.fields(obj)]
    if head not in names:
        raise ConfigError(f"agent config {path!r} has no field {head!r}; allowed: {', '.join(names)}")
    if rest:
        value = _override(getattr(obj, head), rest, value, path, f"{parent}.{head}".lstrip("."))
    return dataclasses.replace(obj, **{head: value})


def messages_for_the_record(messages: list[dict[str, Any]], goal_images: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Chat messages with images replaced by a note: the step's screenshot is saved as a PNG already;
    an image among `goal_images` (the URLs of the goal's images) is noted as such, a link kept as it is."""
    notes = {
        url: url if url.startswith(("http://", "https://")) else f"(goal image {number} of {len(goal_images)})"
        for number, url in enumerate(goal_images, start=1)
    }
    screenshot = "(the step's screenshot)"
    recorded = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else message
        if isinstance(content, list):
            content = [
                {"type": "image_url", "image_url": {"url": notes.get(image_url(part), screenshot)}}
                if isinstance(part, dict) and part.get("type") == "image_url"
                else part
                for part in content
            ]
        recorded.append({**message, "content": content} if isinstance(message, dict) else {"content": content})
    return recorded


def goal_image_urls(obs: dict) -> list[str]:
    """The URLs of the images in BrowserGym's goal (`goal_object`), in order."""
    return [image_url(part) for part in obs.get("goal_object") or () if part.get("type") == "image_url"]


def image_url(part: dict[str, Any]) -> str:
    """The URL of an OpenAI image part, whose `image_url` is {"url": ...} or, in BrowserGym's goals, the URL."""
    image = part.get("image_url")
    return image.get("url", "") if isinstance(image, dict) else str(image)
