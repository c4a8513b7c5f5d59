"""CUBE benchmarks in our engine: planned from snapshots, run through the CUBE host in real Chromium on the
cube's real pages, by real Snakemake studies.

The episodes need the CUBE environment (`make cube`, which `make test` runs): a Python 3.12 venv with
miniwob-cube, whose host process serves its tasks to our episodes.
"""

import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import BIN, REPO, replay_agent, run_snakemake, tool_env

from agentlab.benchmarks import get_benchmark
from agentlab.benchmarks.cube import client
from agentlab.benchmarks.cube.catalog import KNOWN_CUBES, task_metadata
from agentlab.benchmarks.cube.environment import CubeEnvironment
from agentlab.browser.actions import action_signatures
from agentlab.browser.tool_calls import ToolCall
from agentlab.core.errors import InfraError
from agentlab.machine.proctree import descendants, kill, wait_gone

TASKS = ["click-test", "click-button", "enter-text", "focus-text", "click-checkboxes"]
CROSS_CHECKED = ["click-button", "enter-text", "click-checkboxes"]
NATIVE_SEED_OF_CUBE = 374076  # our native miniwob's seed whose page seed is miniwob-cube's Math.seedrandom(42)
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


@pytest.mark.slow
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


@pytest.mark.slow
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
def test_a_study_of_miniwob_cube_runs_end_to_end_and_matches_native_miniwob(tmp_path):
    """Replayed solutions score 1 on the cube's pages and a wrong answer 0; the same actions on our native
    miniwob at seed 374076 (whose page seed, RandomState(374076).randint(0, 10**6), is the 42 miniwob-cube
    hard-codes) meet the same goals, the same pages (AXTree and bids) and the same rewards; the report renders."""
    wrong = tmp_path / "wrong.jsonl"  # a box ticked, then Submit: wrong on "Select nothing and click Submit."
    wrong.write_text(json.dumps({"action": "click('18')"}) + "\n" + json.dumps({"action": "click('24')"}) + "\n")
    config = cube_study(
        tasks=CROSS_CHECKED, agents={"replay": replay_agent(CUBE_TRACES), "wrong": replay_agent(str(wrong))}
    )
    config["benchmarks"]["miniwob"] = {"tasks": CROSS_CHECKED, "seeds": [NATIVE_SEED_OF_CUBE], "max_steps": 3}
    run_snakemake(tmp_path, config)
    study = tmp_path / "results" / "cubes"
    episodes = pd.read_csv(study / "episodes.csv").set_index(["benchmark", "agent", "task"])
    for task in CROSS_CHECKED:
        assert episodes.loc[("miniwob-cube", "replay", task), "reward"] == 1.0
        assert episodes.loc[("miniwob", "replay", task), "reward"] == 1.0
    assert episodes.loc[("miniwob-cube", "wrong", "click-checkboxes"), "reward"] == 0.0
    assert episodes.loc[("miniwob", "wrong", "click-checkboxes"), "reward"] == 0.0
    assert episodes.loc[("miniwob-cube", "replay", "enter-text"), "n_steps"] == 2

    cube = study / "miniwob-cube" / "replay" / "enter-text" / "seed0"
    native = study / "miniwob" / "replay" / "enter-text" / f"seed{NATIVE_SEED_OF_CUBE}"
    steps = [json.loads(line) for line in (cube / "steps.jsonl").read_text().splitlines()]
    native_steps = [json.loads(line) for line in (native / "steps.jsonl").read_text().splitlines()]
    assert steps[0]["tool_calls"] == [{"name": "fill", "arguments": {"bid": "14", "value": "Keli"}, "id": None}]
    assert steps[1]["reward"] == 1.0 and steps[1]["terminated"] is True
    assert (cube / steps[0]["screenshot"]).stat().st_size > 1000
    assert without_urls(steps[0]["axtree"]) == without_urls(native_steps[0]["axtree"])
    summary, native_summary = (json.loads((folder / "summary.json").read_text()) for folder in (cube, native))
    assert summary["goal"] == native_summary["goal"] == 'Enter "Keli" into the text field and press Submit.'
    assert summary["spec"]["cube"] == "miniwob-cube"
    assert summary["benchmark_details"]["versions"]["cube-standard"] == "0.1.0rc10"
    assert (study / "report" / "index.html").is_file()
    assert list((study / "report").rglob("*enter-text*")), "no trace page of a cube episode"

    # A cube episode's recorded calls, replayed: they reach the cube as tool calls, with the same reward.
    recorded = str(study / "miniwob-cube" / "replay" / "{task}" / "seed0" / "steps.jsonl")
    run_snakemake(tmp_path / "again", cube_study(tasks=["enter-text"], agents={"recorded": replay_agent(recorded)}))
    again = tmp_path / "again" / "results" / "cubes" / "miniwob-cube" / "recorded" / "enter-text" / "seed0"
    assert json.loads((again / "summary.json").read_text())["reward"] == 1.0
    assert json.loads((again / "steps.jsonl").read_text().splitlines()[0])["tool_calls"] == steps[0]["tool_calls"]


def without_urls(axtree: str) -> str:
    """An AXTree without its URLs: the cube serves its pages over HTTP, our native MiniWoB from files."""
    return re.sub(r"url='[^']*'", "url=", axtree)


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
        left = set(descendants(env.host.pid))  # its page server, Playwright's driver, Chromium
        env.host.process.kill()
        with pytest.raises(InfraError, match="the CUBE task process exited with code -9"):
            env.reset()
    finally:
        env.close()
    kill(left)  # in an episode, the supervisor's kill of the episode server's tree takes them


@needs_cube
@pytest.mark.slow
def test_a_host_that_ends_takes_its_page_server_and_browser_along():
    benchmark = get_benchmark("miniwob-cube", "", "miniwob-cube")
    env = benchmark.make_env("click-test", 0)
    env.reset()
    assert env.host is not None
    host, tree = env.host, set(descendants(env.host.pid))
    assert len(tree) >= 3, tree  # miniwob-cube's page server, Playwright's driver and Chromium at least
    env.close()  # the host waits for this process's next episode
    assert client.IDLE_HOSTS.pop(env.python) is host
    host.close()
    wait_gone(tree)
    assert not [pid for pid in tree if Path(f"/proc/{pid}").exists()]


def test_native_miniwob_seed_374076_seeds_its_page_as_miniwob_cube_does():
    """BrowserGym's MiniWoB task seeds its page with RandomState(seed).randint(0, 10**6); miniwob-cube with 42."""
    import numpy as np

    assert np.random.RandomState(NATIVE_SEED_OF_CUBE).randint(0, 1000000) == 42


@pytest.mark.parametrize("cube", ["miniwob-cube\n", "../x:Y", "pkg.mod:X; rm -rf /", "x" * 201])
def test_a_bad_cube_name_is_refused_in_one_line(cube):
    from agentlab.core.errors import ConfigError
    from agentlab.study.config import load_study

    with pytest.raises(ConfigError) as refused:
        load_study(cube_study() | {"benchmarks": {"mw": {"cube": cube, "tasks": "all"}}})
    assert "\n" not in str(refused.value) and "cube" in str(refused.value)


@needs_cube
@pytest.mark.slow
def test_the_local_model_plays_miniwob_cube_through_tool_calls(tmp_path):
    """The offline model (Qwen2.5-Coder-0.5B on llama.cpp) in WebAgent's tool mode, asked through the OpenAI
    tools API with the cube's own tools: each episode ends scored, from a prompt that showed it that task's page;
    a call it makes reaches the cube as that call, one it makes wrong is re-asked or ends as its error."""
    local = "agentlab.agents.web_agent.WEB_AGENT_LOCAL_TOOLS"
    agents = {"qwen": {"config": local, "overrides": {"flags.max_parse_retries": 0}}}  # one call a task: CI time
    config = cube_study(tasks=["click-test", "focus-text"], agents=agents, max_steps=1)
    config["episode"] = {"retries": 0, "step_timeout_s": 600, "episode_timeout_s": 1800}
    run_snakemake(tmp_path, config)
    study = tmp_path / "results" / "cubes"
    episodes = pd.read_csv(study / "episodes.csv").set_index("task")
    for task, goal in {"click-test": "Click the button.", "focus-text": "Focus into the textbox."}.items():
        assert episodes.loc[task, "status"] in ("success", "failure", "agent_error"), episodes.loc[
            task, "error_message"
        ]
        first = json.loads(
            (study / "miniwob-cube" / "qwen" / task / "seed0" / "steps.jsonl").read_text().splitlines()[0]
        )
        prompt = "\n".join(str(message["content"]) for message in first["messages"] if message["role"] != "assistant")
        assert goal in prompt and "RootWebArea" in prompt  # its page, and the tools through the API:
        assert first["agent_stats"]["input_tokens"] > 1200  # the server's template put the cube's 18 tools in
        if first.get("tool_calls"):  # the model's call went to the cube as it made it
            assert first["action"] == str(ToolCall(**{k: first["tool_calls"][0][k] for k in ("name", "arguments")}))
