"""A scripted agent for cube-harness 0.1.0rc2: plays a fixed list of tool calls, then stops. No LLM.

The peer of our ReplayAgent fed the same actions (bench/cube.py): per episode, cube-harness resets
the task, then each `step` returns one action, the cube's BrowserGym-named tool call (`noop`);
after the script a step with no actions ends the episode as COMPLETED (cube-harness's graceful
end, see its Agent.run). Not `final_step`: miniwob-cube's tool (cube_browser_tool's BgymTool) has
only BrowserGym's actions, and sends every call to BrowserGym, where final_step() is no function.
With `fail_on_tasks`, the episodes of those tasks end in an agent error instead, as cube-harness
records one: the agent plays its script, then its step raises where it would have ended, and
cube-harness marks the episode FAILED with that error. The agent learns its task from the `task_id`
that cube-harness's Episode passes to AgentConfig.make, not from the observation.
A top-level module because cube-harness stores the config's class by its import path and Ray's
workers import it from PYTHONPATH.
"""

from __future__ import annotations

import ast

from cube.core import Action, ActionSchema, Observation
from cube_harness.agent import Agent, AgentConfig
from cube_harness.core import AgentOutput


def parse_call(text: str) -> tuple[str, dict]:
    """A scripted call, `noop` or `click(bid='13')` (keyword arguments, literal values), as (name, arguments)."""
    node = ast.parse(text, mode="eval").body
    if isinstance(node, ast.Name):
        return node.id, {}
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or node.args:
        raise ValueError(f"scripted call {text!r} is not a name or name(key=value, ...)")
    return node.func.id, {keyword.arg: ast.literal_eval(keyword.value) for keyword in node.keywords}


class ScriptedCubeAgentConfig(AgentConfig):
    actions: list[str] = ["noop"] * 3  # tool calls: a name, or name(key='value', ...)
    fail_on_tasks: list[str] = []  # task ids whose episodes end in an agent error after the script

    def make(
        self, action_set: list[ActionSchema] | None = None, task_id: str | None = None, **kwargs
    ) -> ScriptedCubeAgent:
        names = {schema.name for schema in action_set or []}
        unknown = sorted({parse_call(action)[0] for action in self.actions} - names)
        if unknown:
            raise ValueError(f"scripted actions {unknown} are not in the task's action set {sorted(names)}")
        return ScriptedCubeAgent(self, failing_task=task_id if task_id in self.fail_on_tasks else None)


class ScriptedCubeAgent(Agent):
    def __init__(self, config: ScriptedCubeAgentConfig, failing_task: str | None = None):
        super().__init__(config)
        self.calls = [parse_call(action) for action in config.actions]
        self.played = 0
        self.failing_task = failing_task

    def step(self, obs: Observation) -> AgentOutput:
        """The next scripted call; once the script is over, no call (the end), or the scripted error."""
        if self.played >= len(self.calls):
            if self.failing_task is not None:
                raise RuntimeError(f"scripted agent error on task {self.failing_task}")
            return AgentOutput(actions=[])
        name, arguments = self.calls[self.played]
        self.played += 1
        return AgentOutput(actions=[Action(id=f"call-{self.played}", name=name, arguments=arguments)])
