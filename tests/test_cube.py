"""CUBE benchmarks in our engine: planned from snapshots, run through the CUBE host in real Chromium on the
cube's real pages, by real Snakemake studies.

The episodes need the CUBE environment (`make cube`, which `make test` runs): a Python 3.12 venv with
miniwob-cube, whose host process serves its tasks to our episodes.
"""

import json
import subprocess

import pandas as pd
import pytest
import yaml
from conftest import BIN, REPO, replay_agent, run_snakemake, tool_env

from agentlab.actions import action_signatures
from agentlab.benchmarks import get_benchmark
from agentlab.benchmarks.cube.catalog import KNOWN_CUBES, task_metadata
from agentlab.benchmarks.cube.environment import CubeEnvironment
from agentlab.errors import InfraError
from agentlab.tool_calls import ToolCall

TASKS = ["click-test", "click-button", "enter-text", "focus-text", "click-checkboxes"]
CUBE_TRACES = str(REPO / "agentlab" / "agents" / "traces" / "miniwob-cube" / "{task}" / "seed0.jsonl")

needs_cube = pytest.mark.skipif(
    not CubeEnvironment.configured().installed(), reason="the CUBE environment is not installed (make cube)"
)


def cube_study(tasks=TASKS, agents=None, **settings) -> dict:
    return {
        "study": "cubes",
        "benchmarks": {"miniwob-cube": {"cube": "miniwob-cube", "tasks": tasks, "max_steps": 3, **settings}},
        "agents": agents or {"replay": replay_agent()},
        "episode": {"retries": 0, "step_timeout_s": 120, "episode_timeout_s": 600},
    }


def test_agentlab_check_counts_every_web_cubes_tasks_from_the_snapshots(tmp_path):
    """Planning imports no cube and needs no CUBE environment: task lists come from the snapshots."""
    config = {
        "study": "web-cubes",
        "benchmarks": {name: {"cube": name, "tasks": "all"} for name in KNOWN_CUBES},
        "agents": {"replay": replay_agent()},
    }
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(config))
    environment = {**tool_env(), "AGENTLAB_CUBE_VENV": str(tmp_path / "no-venv")}
    process = subprocess.run(
        [str(BIN / "agentlab"), "check", str(tmp_path / "study.yaml")], capture_output=True, text=True, env=environment
    )
    assert process.returncode == 0, process.stderr
    counts = {name: len(task_metadata(cube)) for name, cube in KNOWN_CUBES.items()}
    assert counts["miniwob-cube"] == 125 and all(count > 0 for count in counts.values())
    total = sum(counts.values())
    assert process.stdout.splitlines()[0] == f"study 'web-cubes': {total} episodes (4 benchmarks, 1 agents)"


def test_cube_tasks_are_selected_by_name_glob_and_metadata():
    benchmark = get_benchmark("mw", "", "miniwob-cube")
    assert benchmark.select_tasks(["click-b*"]) == ["click-button", "click-button-sequence"]
    assert benchmark.select_tasks({"split": "test", "names": ["click-test"]}) == ["click-test"]
    assert benchmark.episodes(["click-test"], None) == [("click-test", 0)]  # no seed generator: one episode a task
    assert {tool["function"]["name"] for tool in benchmark.tools} >= {"click", "fill", "goto", "noop"}


def test_a_study_naming_a_cube_without_its_environment_stops_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTLAB_CUBE_VENV", str(tmp_path / "no-venv"))
    process = run_snakemake(tmp_path, cube_study(tasks=["click-test"]), check=False)
    assert process.returncode != 0
    lines = [line for line in (process.stdout + process.stderr).splitlines() if "preflight miniwob-cube failed" in line]
    assert lines and lines[0].startswith("agentlab: preflight miniwob-cube failed: CUBE's environment is not installed")
    assert "make cube" in lines[0]
    assert not (tmp_path / "results" / "cubes" / "miniwob-cube").exists()


@needs_cube
@pytest.mark.slow
def test_a_study_of_miniwob_cube_runs_end_to_end(tmp_path):
    """Replayed solutions (string actions, and a cube episode's recorded calls replayed as tool calls) score 1
    on the cube's pages; a wrong click scores 0; the report's trace pages render the cube episodes."""
    run_snakemake(tmp_path, cube_study(agents={"replay": replay_agent(CUBE_TRACES)}))
    study = tmp_path / "results" / "cubes"
    episodes = pd.read_csv(study / "episodes.csv").set_index("task")
    assert episodes["status"].to_dict() == dict.fromkeys(TASKS, "success")
    assert episodes.loc["enter-text", "n_steps"] == 2
    folder = study / "miniwob-cube" / "replay" / "enter-text" / "seed0"
    steps = [json.loads(line) for line in (folder / "steps.jsonl").read_text().splitlines()]
    assert steps[0]["tool_calls"] == [{"name": "fill", "arguments": {"bid": "14", "value": "Keli"}, "id": None}]
    assert steps[1]["reward"] == 1.0 and steps[1]["terminated"] is True
    assert (folder / steps[0]["screenshot"]).stat().st_size > 1000 and "textbox" in steps[0]["axtree"]
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["goal"] == 'Enter "Keli" into the text field and press Submit.'
    assert summary["spec"]["cube"] == "miniwob-cube"
    assert summary["benchmark_details"]["versions"]["cube-standard"] == "0.1.0rc10"
    assert (study / "report" / "index.html").is_file()
    assert list((study / "report").rglob("*enter-text*")), "no trace page of a cube episode"

    # The recorded episodes replayed: their calls go to the cube as tool calls, with the same rewards.
    recorded = str(study / "miniwob-cube" / "replay" / "{task}" / "seed0" / "steps.jsonl")
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text(json.dumps({"action": "click('18')"}) + "\n" + json.dumps({"action": "click('24')"}) + "\n")
    agents = {"recorded": replay_agent(recorded), "wrong": replay_agent(str(wrong))}  # a box ticked, then Submit
    run_snakemake(tmp_path / "again", cube_study(tasks=["enter-text", "click-checkboxes"], agents=agents))
    again = pd.read_csv(tmp_path / "again" / "results" / "cubes" / "episodes.csv").set_index(["agent", "task"])
    assert again.loc[("recorded", "enter-text"), "reward"] == 1.0
    assert again.loc[("recorded", "click-checkboxes"), "reward"] == 1.0
    assert again.loc[("wrong", "click-checkboxes"), "reward"] == 0.0


@needs_cube
@pytest.mark.slow
def test_calls_are_checked_before_they_reach_the_cube():
    """Unknown actions, arguments that fail the schema, navigation off the cube's pages and unparsable
    strings come back as a failed action the agent sees; a dead host is an infrastructure error."""
    benchmark = get_benchmark("miniwob-cube", "", "miniwob-cube")
    signatures = action_signatures(benchmark.action_set.make())
    env = benchmark.make_env("click-test", 0)
    try:
        obs, _ = env.reset()
        assert obs["goal"] == "Click the button." and obs["url"].endswith("/miniwob/click-test.html")
        refusals = {
            "rm_rf": (None, ToolCall("rm_rf", {})),
            "is not of type 'string'": (None, ToolCall("click", {"bid": 13})),
            "navigation to 'file:///etc/hostname' refused": ("goto('file:///etc/hostname')", None),
            "not a single function call": ("click('13'", None),
        }
        for message, (action, call) in refusals.items():
            obs, reward, done, _, info = env.step(action or str(call), call, signatures, False)
            assert message in obs["last_action_error"] and reward == 0.0 and not done and info["tool_calls"] == []
        obs, reward, done, _, _ = env.step("click('9999')", None, signatures, False)
        assert 'Could not find element with bid "9999"' in obs["last_action_error"] and not done
        obs, reward, done, _, _ = env.step("click('13')", None, signatures, False)
        assert (reward, done, env.evaluate()) == (1.0, True, 1.0)
        assert env.host is not None
        env.host.process.kill()
        with pytest.raises(InfraError, match="the CUBE task process exited with code -9"):
            env.reset()
    finally:
        env.close()
