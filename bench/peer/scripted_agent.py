"""A scripted agent for ServiceNow AgentLab 0.4.2: plays a fixed list of actions, then stops.

The peer's equivalent of our ReplayAgent fed the same actions: with max_steps == len(actions)
both frameworks reset, step each action once and end the episode by truncation at max_steps,
without asking the agent again. A top-level module because AgentLab pickles the agent's args
into its joblib workers, which import it from PYTHONPATH; the bridge imports it the same way
(`agentlab.agents.bridge` with `agent: scripted_agent.SCRIPTED`).

With `record_dir`, every observation the agent is given (after AgentLab's preprocessing) is
saved as `<record_dir>/<task name>/step_<n>.json` (numpy arrays in .npy files beside it), so that
AgentLab's own loop and our bridge can be compared key by key on the same task and seed. On the
tasks in `fail_on_tasks` the agent raises instead of acting: an episode AgentLab records as an error.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

import bgym
from agentlab.agents.agent_args import AgentArgs

# The encoder of our bridge's wire format (standard library only), loaded by path: importing our
# package here would clash with ServiceNow's, also named `agentlab`.
_HOST = Path(__file__).resolve().parents[2] / "agentlab" / "agents" / "bridge" / "host.py"
_spec = importlib.util.spec_from_file_location("bridge_wire", _HOST)
wire = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wire)


@dataclass
class ScriptedAgentArgs(AgentArgs):
    agent_name: str = "ScriptedAgent"
    actions: tuple[str, ...] = ()
    action_set_args: bgym.HighLevelActionSetArgs | None = None
    record_dir: str | None = None  # save each preprocessed observation here
    fail_on_tasks: tuple[str, ...] = ()  # BrowserGym task names (miniwob.click-test) whose first step raises

    def set_benchmark(self, benchmark: bgym.Benchmark, demo_mode: bool) -> None:
        """Use the benchmark's action set, as AgentLab's own agents do."""
        self.action_set_args = benchmark.high_level_action_set_args

    def make_agent(self) -> ScriptedAgent:
        return ScriptedAgent(
            self.actions, self.action_set_args.make_action_set(), self.record_dir, tuple(self.fail_on_tasks)
        )


class ScriptedAgent(bgym.Agent):
    def __init__(
        self,
        actions: tuple[str, ...],
        action_set: bgym.HighLevelActionSet,
        record_dir: str | None = None,
        fail_on_tasks: tuple[str, ...] = (),
    ):
        from agentlab.agents.generic_agent.agent_configs import FLAGS_GPT_4o

        from agentlab.agents import dynamic_prompting as dp

        self.actions = actions
        self.action_set = action_set
        self.played = 0
        self.record_dir = Path(record_dir) if record_dir else None
        self.task_name = "task"
        self.fail_on_tasks = fail_on_tasks
        # GenericAgent's preprocessing (DOM/AXTree text, pruned HTML, set-of-marks screenshot)
        self._preprocess = dp.make_obs_preprocessor(FLAGS_GPT_4o.obs)

    def obs_preprocessor(self, obs: dict) -> dict:
        return self._preprocess(obs)

    def set_task_name(self, task_name: str) -> None:
        """Called by AgentLab's loop (and our bridge) with the episode's task, e.g. miniwob.click-test."""
        self.task_name = task_name

    def get_action(self, obs: dict) -> tuple[str | None, bgym.AgentInfo]:
        """The next scripted action; None (AgentLab ends the episode) once the script is over."""
        if self.record_dir is not None:
            folder = self.record_dir / self.task_name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"step_{self.played}.json").write_text(json.dumps(wire.encode(obs, folder)))
        if self.task_name in self.fail_on_tasks:
            raise RuntimeError(f"scripted failure on {self.task_name}")
        if self.played >= len(self.actions):
            return None, bgym.AgentInfo(think="script finished")
        action = self.actions[self.played]
        self.played += 1
        return action, bgym.AgentInfo(
            think=f"scripted step {self.played} of {len(self.actions)}",
            stats={"input_tokens": 10 * self.played, "output_tokens": self.played},
        )


SCRIPTED = ScriptedAgentArgs()
