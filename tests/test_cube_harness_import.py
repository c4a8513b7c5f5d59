"""Results that travel, from cube-harness: a real experiment folder made by cube-harness 0.1.0rc2 itself (its
Experiment and Ray runner, in its own venv, on the CUBE miniwob-cube benchmark, a scripted agent that solves
click-test, fails click-button and enter-text, and raises on focus-text, which cube-harness records as a FAILED
episode with its error) imported as our episodes, checked against cube-harness's own reading of that folder
(its ExperimentResult: the experiment summary and each episode's status; its pandas frame needs its `analyze`
extra, which its lock leaves out)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO

from agentlab.analyze.aggregate import aggregate_study
from agentlab.analyze.load import load_results
from agentlab.cli.main import main as cli_main
from agentlab.core.records import read_steps, read_summary
from agentlab.report.build import build_report
from agentlab.results_io import import_results
from agentlab.results_io.cube_harness_environment import CubeHarnessEnvironment

RUNNER = REPO / "bench" / "peer" / "cube_harness_run.py"  # with cube_scripted_agent.py beside it
TASKS = ["click-test", "click-button", "enter-text", "focus-text"]
ERRORED = "focus-text"  # its agent raises after its script, as an agent's bug would
ENDED = [task for task in TASKS if task != ERRORED]
AGENT = "ScriptedCubeAgentConfig"
needs_cube_harness = pytest.mark.skipif(
    not CubeHarnessEnvironment.configured().installed(),
    reason="cube-harness's environment is not installed (python bench/cube.py --no-ours installs it)",
)


def cube_harness_environment() -> dict[str, str]:
    return {**os.environ, **CubeHarnessEnvironment.configured().offline_variables()}


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> Path:
    """cube-harness's own run of the scripted agent (click on bid 13, then noop; then an error on ERRORED)
    on TASKS: its folder."""
    output = tmp_path_factory.mktemp("cube-harness") / "experiment"
    process = subprocess.run(
        [str(CubeHarnessEnvironment.configured().python), str(RUNNER), f"--tasks={','.join(TASKS)}"]
        + ["--action=click(bid='13')", "--action=noop", f"--fail-on-tasks={ERRORED}", f"--output-dir={output}"],
        capture_output=True,
        text=True,
        env=cube_harness_environment(),
    )
    assert process.returncode == 0, process.stderr[-3000:]
    figures = json.loads(process.stdout.splitlines()[-1])
    assert figures["statuses"] == {**dict.fromkeys(ENDED, "COMPLETED"), ERRORED: "FAILED"}
    return Path(figures["experiment_dir"])


THEIR_READING = """
import json, sys
from cube_harness.results import ExperimentResult
result = ExperimentResult(sys.argv[1])
print(json.dumps({
    "summary": result.summary().model_dump(),
    "episodes": {status.task_id: {"reward": status.reward, "status": status.status,
                                  "error": [status.error_type, status.error_message]}
                 for status in result.iter_episode_statuses()},
}))
"""


def their_reading(folder: Path) -> dict:
    process = subprocess.run(
        [str(CubeHarnessEnvironment.configured().python), "-P", "-c", THEIR_READING, str(folder)],
        capture_output=True,
        text=True,
        env=cube_harness_environment(),
        cwd="/",
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return json.loads(process.stdout.splitlines()[-1])


@pytest.mark.slow
@needs_cube_harness
def test_a_cube_harness_experiment_imports_with_its_own_numbers(experiment, tmp_path):
    study = tmp_path / "baselines"
    report = import_results(experiment, study)
    assert report.problems == [] and len(report.written) == len(TASKS)

    theirs = their_reading(experiment)
    results = load_results(study)
    episodes = results.episodes.set_index("task")
    assert {task: episode["status"] for task, episode in theirs["episodes"].items()} == {
        **dict.fromkeys(ENDED, "COMPLETED"),
        ERRORED: "FAILED",
    }
    assert dict(episodes["status"]) == {
        "click-test": "success",
        "click-button": "failure",
        "enter-text": "failure",
        ERRORED: "agent_error",
    }
    # their summary counts the episodes that ended (a FAILED one never reaches it); their statuses count all
    assert len(episodes) == len(theirs["episodes"]) == 4
    assert (episodes["status"] != "agent_error").sum() == theirs["summary"]["n_episodes"] == 3
    assert theirs["summary"]["n_errored"] == 0  # step-level errors only: bid 13 missing is the page's answer
    # an errored episode has no reward for them, 0 for us (not a success, as in our own runs' agent errors)
    assert {task: row.reward for task, row in episodes.iterrows()} == {
        task: episode["reward"] or 0.0 for task, episode in theirs["episodes"].items()
    } and theirs["episodes"][ERRORED]["reward"] is None
    ended = episodes.loc[ENDED]
    assert round(ended["reward"].mean(), 4) == theirs["summary"]["avg_reward"] == 0.3333
    assert (
        [episodes.loc[ERRORED, "error_type"], episodes.loc[ERRORED, "error_message"]]
        == theirs["episodes"][ERRORED]["error"]
        == ["RuntimeError", f"scripted agent error on task {ERRORED}"]
    )

    folder = study / "miniwob-cube" / AGENT / "click-test" / "seed0"
    summary = read_summary(folder / "summary.json")
    assert summary.provenance is not None and summary.provenance.imported == {
        "from": "cube-harness",
        "version": "0.1.0rc2",
        "read_with": "0.1.0rc2",
        "folder": str(experiment / "episodes" / "click-test_ep0"),
    }
    assert (summary.format_version, summary.outcome.stop_reason, summary.outcome.n_steps) == (3, "terminated", 1)
    records, problems = read_steps(folder)
    assert problems == [] and [record.action for record in records] == ["click(bid='13')", None]
    first = records[0]
    assert first.effect is not None and first.effect.reward == 1.0 and first.observation is not None
    assert first.observation.screenshot and (folder / first.observation.screenshot).read_bytes().startswith(b"\x89PNG")
    button = read_steps(study / "miniwob-cube" / AGENT / "click-button" / "seed0")[0]
    assert 'Could not find element with bid "13"' in button[0].last_action_error
    errored = study / "miniwob-cube" / AGENT / ERRORED / "seed0"
    errored_summary = read_summary(errored / "summary.json")
    assert errored_summary.outcome.error is not None
    assert (errored_summary.outcome.stop_reason, errored_summary.outcome.n_steps) == ("error", 2)
    assert (errored_summary.outcome.error.type, errored_summary.outcome.error.message) == (
        "RuntimeError",
        f"scripted agent error on task {ERRORED}",
    )
    assert [record.action for record in read_steps(errored)[0]] == ["click(bid='13')", "noop()", None]

    # importing again changes nothing
    before = {path: path.stat().st_mtime_ns for path in study.rglob("*") if path.is_file()}
    again = import_results(experiment, study)
    assert len(again.unchanged) == len(TASKS) and again.written == [] and again.problems == []
    assert {path: path.stat().st_mtime_ns for path in study.rglob("*") if path.is_file()} == before

    # the report's trace pages render the imported episodes (built from the aggregate's tables)
    aggregate_study(study)
    build_report(study, tmp_path / "report")
    page = (tmp_path / "report" / "episodes" / "miniwob-cube" / AGENT / "click-test" / "seed0.html").read_text()
    assert "click(bid=&#39;13&#39;)" in page or "click(bid='13')" in page
    assert "step_000.png" in page
    errored_page = (tmp_path / "report" / "episodes" / "miniwob-cube" / AGENT / ERRORED / "seed0.html").read_text()
    assert f"RuntimeError: scripted agent error on task {ERRORED}" in errored_page
    assert "agent_error" in errored_page and "step_001.png" in errored_page


@pytest.mark.slow
@needs_cube_harness
def test_unfinished_or_unreadable_cube_harness_episodes_are_listed_not_fatal(experiment, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(experiment, copy)
    (copy / "episodes" / "click-button_ep1" / "episode.metadata.json").unlink()  # as if still running
    (copy / "episodes" / "enter-text_ep2" / "episode_config.json").write_text("{not json")
    outside = tmp_path / "outside"
    shutil.copytree(experiment / "episodes" / "click-test_ep0", outside)  # a readable episode, outside the folder
    (copy / "episodes" / "zz-linked_ep9").symlink_to(outside)
    assert cli_main(["import", str(copy), "--study", "partial", "--results", str(tmp_path / "results")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("2 episodes imported, 0 unchanged, 3 not imported")
    assert lines[2] == (
        f"not imported: {copy / 'episodes' / 'zz-linked_ep9'}: "
        "a symbolic link: only folders inside the experiment are read"
    )
    assert lines[0] == (
        f"not imported: {copy / 'episodes' / 'click-button_ep1'}: "
        "no episode.metadata.json: cube-harness has not finished it"
    )
    assert lines[1].startswith(f"not imported: {copy / 'episodes' / 'enter-text_ep2'}: JSONDecodeError")
