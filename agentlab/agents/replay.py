"""Replays the actions of a recorded trace: a cheap reference agent, test fixtures, reproducibility checks.

A trace is JSON lines with an "action" field per step, the format of an episode's `steps.jsonl`,
so a finished study can be replayed by pointing `trace` at its episodes. A record's "think" and
"messages", when present, are replayed too, so the replayed trace reads like the recorded one; a
record of one function call ("tool_calls", as a CUBE episode records it) is replayed as that call.
The package ships solutions of a few MiniWoB tasks and seeds (`traces/`), REPLAY's default.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..browser.tool_calls import ToolCall
from ..core.errors import AgentError
from ..core.records import StepRecord, read_records
from .base import Agent, AgentArgs, AgentStep, EpisodeContext

PACKAGE_PREFIX = "agentlab:"  # a trace path inside this package, the same on every machine


def trace_path(name: str) -> Path:
    """The file a trace name means: a path, or with the `agentlab:` prefix one inside this package."""
    if name.startswith(PACKAGE_PREFIX):
        return Path(__file__).parent / name.removeprefix(PACKAGE_PREFIX)
    return Path(name)


def read_trace(path: Path) -> list[StepRecord]:
    """The records of a trace file that have an action, in order."""
    return [record for record in read_records(path) if record.action is not None]


@dataclass
class ReplayAgentArgs(AgentArgs):
    # path template; {benchmark}, {task} and {seed} are filled in per episode; "agentlab:..." is in the package
    trace: str = f"{PACKAGE_PREFIX}traces/{{benchmark}}/{{task}}/seed{{seed}}.jsonl"

    def make_agent(self, context: EpisodeContext) -> Agent:
        path = trace_path(self.trace.format(benchmark=context.benchmark, task=context.task, seed=context.seed))
        if not path.is_file():
            raise AgentError(f"no trace to replay for {context.task} seed {context.seed}: {path} is missing")
        return ReplayAgent(read_trace(path), context.action_set.make(), str(path))


class ReplayAgent(Agent):
    def __init__(self, records: list[StepRecord], action_set, source: str):
        self.records = list(records)
        self.action_set = action_set
        self.source = source
        self.played = 0

    def get_action(self, obs: dict) -> AgentStep:
        if self.played >= len(self.records):
            return AgentStep(action=None, think=f"trace {self.source} has no more actions")
        record = self.records[self.played]
        answer = record.answer
        assert answer is not None and answer.action is not None  # read_trace keeps only records with an action
        self.played += 1
        calls = record.tool_calls or []
        call = ToolCall(str(calls[0]["name"]), dict(calls[0].get("arguments") or {})) if len(calls) == 1 else None
        return AgentStep(
            action=str(call) if call else answer.action,
            tool_call=call,
            think=answer.think or f"replaying step {self.played} of {self.source}",
            messages=answer.messages,
        )


REPLAY = ReplayAgentArgs()
