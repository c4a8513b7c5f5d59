"""Replays the actions of a recorded trace: fixtures for tests, and reproducibility checks.

A trace is JSON lines with an "action" field per step, the format of an episode's `steps.jsonl`,
so a finished study can be replayed by pointing `trace` at its episodes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import AgentError
from .base import Agent, AgentArgs, AgentStep, EpisodeContext, make_action_set


def read_trace_actions(path: Path) -> list[str]:
    """The non-null actions of a trace file, in order."""
    actions = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                action = json.loads(line).get("action")
                if action is not None:
                    actions.append(action)
    return actions


@dataclass
class ReplayAgentArgs(AgentArgs):
    # path template; {benchmark}, {task} and {seed} are filled in per episode
    trace: str = "tests/fixtures/traces/{benchmark}/{task}/seed{seed}.jsonl"

    def make_agent(self, context: EpisodeContext) -> Agent:
        path = Path(self.trace.format(benchmark=context.benchmark, task=context.task, seed=context.seed))
        if not path.is_file():
            raise AgentError(f"no trace to replay for {context.task} seed {context.seed}: {path} is missing")
        return ReplayAgent(read_trace_actions(path), make_action_set(context.action_subsets), str(path))


class ReplayAgent(Agent):
    def __init__(self, actions: list[str], action_set, source: str):
        self.actions = list(actions)
        self.action_set = action_set
        self.source = source
        self.played = 0

    def get_action(self, obs: dict) -> AgentStep:
        if self.played >= len(self.actions):
            return AgentStep(action=None, think=f"trace {self.source} has no more actions")
        action = self.actions[self.played]
        self.played += 1
        return AgentStep(action=action, think=f"replaying step {self.played} of {self.source}")


REPLAY = ReplayAgentArgs()
