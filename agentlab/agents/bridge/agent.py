"""AgentLab's own agents, unmodified, in our episodes: the agent runs in ServiceNow AgentLab's
environment (`host.py`), our episode sends it each observation and records its answer.

The agent gets the observation AgentLab's loop would give it: BrowserGym's raw observation,
passed through the agent's own `obs_preprocessor`, after its `set_benchmark` with our benchmark's
action set and tabs. Its action is parsed by our safe action parser like any other agent's.
Host processes are forked from the machine's bridge zygote, which imported AgentLab once (~10 s), and
kept between the episodes of one process (a warm episode server).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...core.errors import AgentError, ConfigError
from ...core.records import AgentExtra
from ...foreign import hosts, wire
from ...llm.limiter import request_slot
from ...llm.pricing import add_costs, cost, price_source
from ..base import Agent, AgentArgs, AgentStep, EpisodeContext, goal_image_urls, messages_for_the_record
from . import host, zygote
from .environment import AgentLabEnvironment

STAT_KEYS = ("input_tokens", "output_tokens")  # AgentLab's tracker counts these per step


class HostProcess(hosts.HostProcess):
    """A host forked from the machine's bridge zygote (see `zygote`) for us, talking JSON lines over a Unix socket."""

    kind = "AgentLab agent"
    protocol = host.PROTOCOL_VERSION

    def __init__(self, environment: AgentLabEnvironment, preload: tuple[str, ...]):
        super().__init__(prefix="agentlab-bridge-")
        try:
            connection = zygote.connect(environment.python, host_environment(environment), preload)
            setup = {"scratch": str(self.scratch), "log": str(self.log_path)}  # where the forked host works and writes
            connection.sendall((json.dumps(setup) + "\n").encode())
            fd = connection.detach()
            self.open(fd, os.dup(fd))
        except BaseException:
            self.close()
            raise

    def exit_code(self) -> int | str:
        """The ended host's exit code, as its zygote wrote it when it reaped the host ("unknown" if it did not)."""
        written = self.scratch / host.EXIT_CODE_FILE
        deadline = time.monotonic() + hosts.EXIT_WAIT_S
        while not written.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            return int(written.read_text())
        except (OSError, ValueError):
            return "unknown"


IDLE_HOSTS: hosts.IdleHosts[HostProcess] = hosts.IdleHosts()  # per AgentLab interpreter: kept between episodes


def host_environment(environment: AgentLabEnvironment) -> dict[str, str]:
    """Our environment (keys, OPENAI_BASE_URL...) for the host, with AgentLab's offline settings and
    without our own package on PYTHONPATH (the host must import ServiceNow's `agentlab`)."""
    ours = Path(__file__).resolve().parents[3]
    paths = [
        p
        for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
        if p and not (Path(p).resolve() / "agentlab" / "__init__.py").is_file() and Path(p).resolve() != ours
    ]
    variables = {**os.environ, **environment.offline_variables(), "PYTHONPATH": os.pathsep.join(paths)}
    variables.setdefault("LITELLM_LOG", "ERROR")
    variables.pop("PYTHONHOME", None)
    return variables


def action_set_from(description: dict[str, Any]) -> Any:
    """Our BrowserGym action set with the functions and flags of the AgentLab agent's."""
    from browsergym.core.action import functions
    from browsergym.core.action.highlevel import HighLevelActionSet

    unknown = [name for name in description["functions"] if not hasattr(functions, name)]
    if unknown:
        raise AgentError(f"the AgentLab agent's action set has functions BrowserGym does not: {', '.join(unknown)}")
    custom = [getattr(functions, name) for name in description["functions"] if name != "noop"]
    return HighLevelActionSet(
        subsets=["custom"] if custom else ["chat"],
        custom_actions=custom or None,
        multiaction=description["multiaction"],
        strict=description["strict"],
        retry_with_force=description["retry_with_force"],
        demo_mode=description["demo_mode"],
    )


@dataclass
class BridgeAgentArgs(AgentArgs):
    """A ServiceNow AgentLab 0.4.2 agent (the Python path of an AgentArgs in AgentLab's environment:
    one of AgentLab's, e.g. agentlab.agents.generic_agent.AGENT_4o, or your own on PYTHONPATH)."""

    agent: str = "agentlab.agents.generic_agent.AGENT_4o"
    overrides: dict[str, Any] = field(default_factory=dict)  # dotted keys into that AgentArgs
    set_benchmark: bool = True  # call its set_benchmark before each episode, as AgentLab's Study does
    required_env: tuple[str, ...] = ()  # environment variables it needs (API keys), checked before a study

    def override(self, keys: list[str], value: Any, path: str) -> AgentArgs:
        """A study's dotted overrides: our fields by name, anything else reaches the AgentLab agent's args."""
        if keys[0] in {f.name for f in dataclasses.fields(self)}:
            return super().override(keys, value, path)
        return dataclasses.replace(self, overrides={**self.overrides, ".".join(keys): value})

    def check(self) -> None:
        AgentLabEnvironment.configured().check()
        missing = [name for name in self.required_env if not os.environ.get(name)]
        if missing:
            raise ConfigError(f"{self.agent} needs {', '.join(missing)} set in the environment (its API key)")

    def make_agent(self, context: EpisodeContext) -> Agent:
        return BridgeAgent(self, context)


def start_message(args: BridgeAgentArgs, context: EpisodeContext) -> dict[str, Any]:
    """The request that makes the host's agent for one episode."""
    return {
        "kind": "start",
        "agent": args.agent,
        "overrides": args.overrides,
        "set_benchmark": args.set_benchmark,
        "benchmark": {
            "name": context.benchmark,
            "is_multi_tab": context.is_multi_tab,
            "high_level_action_set_args": {
                **dataclasses.asdict(context.action_set),
                "subsets": list(context.action_set.subsets),
            },
        },
        "task_name": f"{context.benchmark}.{context.task}",
        "seed": context.seed,
    }


def pricing_name(model_name: str, endpoint: str | None) -> str:
    """The name an AgentLab model is priced under, as LiteLLM names it: AgentLab names OpenRouter's models
    without the provider (`anthropic/claude-3.5-sonnet:beta`, called at openrouter.ai), LiteLLM with it."""
    return f"openrouter/{model_name}" if urlsplit(endpoint or "").hostname == "openrouter.ai" else model_name


class BridgeAgent(Agent):
    """Our side of one episode of an AgentLab agent."""

    def __init__(self, args: BridgeAgentArgs, context: EpisodeContext):
        self.environment = AgentLabEnvironment.configured()
        self.environment.check()
        # an idle host of this process, else a new one from the zygote that preloads the agent's module
        self.host: HostProcess | None = IDLE_HOSTS.take(
            self.environment.python, lambda: HostProcess(self.environment, preload=(args.agent,))
        )
        ready = self.host.ask(start_message(args, context))
        self.agent_args = ready["agent_args"]
        self.agent_class = ready["agent_class"]
        self.versions = ready["versions"]
        self.action_set = action_set_from(ready["action_set"])
        self.endpoint = ready.get("endpoint")  # its LLM calls happen inside AgentLab: a step holds a slot
        # the model it calls, priced by agentlab.llm.pricing (the study's prices, LiteLLM's map, our table);
        # an agent without one costs nothing
        model_name = (self.agent_args.get("chat_model_args") or {}).get("model_name")
        self.priced_model = model_name and pricing_name(model_name, self.endpoint)
        self.totals: dict[str, Any] = {**dict.fromkeys(STAT_KEYS, 0), "n_llm_steps": 0}
        if self.priced_model:
            self.totals["cost"] = cost(self.priced_model, 0, 0)
            self.totals["cost_source"] = price_source(self.priced_model)

    def get_action(self, obs: dict) -> AgentStep:
        assert self.host is not None, "the episode is over"
        with request_slot(self.endpoint):
            answer = self.host.ask({"kind": "act", "obs": wire.encode(obs, self.host.scratch)})
        stats = answer["stats"]
        step: dict[str, Any] = {key: int(stats.get(key) or 0) for key in STAT_KEYS}
        for key in STAT_KEYS:
            self.totals[key] += step[key]
        self.totals["n_llm_steps"] += 1
        if self.priced_model:
            step["cost"] = cost(self.priced_model, step["input_tokens"], step["output_tokens"])
            step["cost_source"] = self.totals["cost_source"]
            self.totals["cost"] = add_costs(self.totals["cost"], step["cost"])
        return AgentStep(
            action=answer["action"],
            think=answer.get("think") or "",
            messages=messages_for_the_record(answer["chat_messages"], goal_image_urls(obs)),
            stats=step,
            extra=AgentExtra(other={"agentlab_stats": stats, "agentlab_extra_info": answer.get("extra_info") or {}}),
        )

    def stats(self) -> dict[str, Any]:
        return dict(self.totals)

    def details(self) -> dict[str, Any]:
        """What ran: AgentLab's resolved agent args, its class and versions (for the episode's summary)."""
        return {"class": self.agent_class, "fields": self.agent_args, "versions": self.versions}

    def close(self) -> None:
        ended, self.host = self.host, None
        if ended is not None:
            IDLE_HOSTS.end_episode(self.environment.python, ended)
