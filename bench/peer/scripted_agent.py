"""A scripted agent for ServiceNow AgentLab 0.4.2: plays a fixed list of actions, then stops.

The peer's equivalent of our ReplayAgent fed the same actions: with max_steps == len(actions)
both frameworks reset, step each action once and end the episode by truncation at max_steps,
without asking the agent again. A top-level module because AgentLab pickles the agent's args
into its joblib workers, which import it from PYTHONPATH.
"""

from __future__ import annotations

from dataclasses import dataclass

import bgym
from agentlab.agents.agent_args import AgentArgs


@dataclass
class ScriptedAgentArgs(AgentArgs):
    agent_name: str = "ScriptedAgent"
    actions: tuple[str, ...] = ()
    action_set_args: bgym.HighLevelActionSetArgs | None = None

    def set_benchmark(self, benchmark: bgym.Benchmark, demo_mode: bool) -> None:
        """Use the benchmark's action set, as AgentLab's own agents do."""
        self.action_set_args = benchmark.high_level_action_set_args

    def make_agent(self) -> "ScriptedAgent":
        return ScriptedAgent(self.actions, self.action_set_args.make_action_set())


class ScriptedAgent(bgym.Agent):
    def __init__(self, actions: tuple[str, ...], action_set: bgym.HighLevelActionSet):
        self.actions = actions
        self.action_set = action_set
        self.played = 0

    def get_action(self, obs: dict) -> tuple[str | None, bgym.AgentInfo]:
        """The next scripted action; None (AgentLab ends the episode) once the script is over."""
        if self.played >= len(self.actions):
            return None, bgym.AgentInfo(think="script finished")
        action = self.actions[self.played]
        self.played += 1
        return action, bgym.AgentInfo(think=f"scripted step {self.played} of {len(self.actions)}")
