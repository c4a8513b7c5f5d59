"""The real Snakemake workflow on a tiny study of real episodes, in a temporary folder."""

import copy
import subprocess

import pandas as pd
import pytest
from conftest import BIN, REPO, planned_jobs, run_snakemake, tool_env

from agentlab.core.layout import PLOTS

pytestmark = pytest.mark.slow


def summaries(workdir):
    return sorted((workdir / "results" / "tiny").glob("miniwob/*/*/seed*/summary.json"))


def test_study_builds_rebuilds_only_what_is_missing_and_aggregates(tiny_study_copy, tiny_study):
    workdir = tiny_study_copy
    study = workdir / "results" / "tiny"
    assert len(summaries(workdir)) == 4

    table = pd.read_csv(study / "summary.csv")
    assert table.loc[0, "n_scored"] == 4 and table.loc[0, "n_success"] == 4
    assert table.loc[0, "score"] == 1.0 and table.loc[0, "n_missing"] == 0
    assert (table.loc[0, "avg_reward"], table.loc[0, "n_completed"], table.loc[0, "n_err"]) == (1.0, "4/4", 0)
    assert len(pd.read_csv(study / "episodes.csv")) == 4
    per_task = pd.read_csv(study / "per_task.csv")
    assert sorted(per_task["task"]) == ["click-button", "click-test"] and set(per_task["n"]) == {2}
    assert "All 4 episodes done." in (study / "summary.md").read_text()
    for plot in PLOTS.values():
        assert (study / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(list((study / "report" / "episodes").rglob("seed*.html"))) == 4

    # delete one episode: exactly that episode is rebuilt, the others are untouched
    kept = {path: path.stat().st_mtime_ns for path in summaries(workdir)}
    deleted = study / "miniwob" / "replay" / "click-test" / "seed1" / "summary.json"
    deleted.unlink()
    del kept[deleted]
    assert planned_jobs(workdir, tiny_study) == {"episode": 1, "aggregate": 1, "report": 1, "all": 1}
    run_snakemake(workdir, tiny_study)
    assert deleted.exists()
    assert {path: path.stat().st_mtime_ns for path in kept} == kept

    # time limits and retries are not part of an episode's identity: nothing reruns
    relaxed = copy.deepcopy(tiny_study)
    relaxed["episode"] = {"retries": 0, "step_timeout_s": 99, "episode_timeout_s": 999}
    assert planned_jobs(workdir, relaxed) == {}

    # a change to the agent's config reruns that agent's episodes
    changed = copy.deepcopy(tiny_study)
    changed["agents"]["replay"]["overrides"]["trace"] = (
        str(REPO / "agentlab/agents/traces/{benchmark}/{task}/seed{seed}.jsonl") + " "
    )
    assert planned_jobs(workdir, changed).get("episode") == 4


def test_aggregation_of_a_partial_study_counts_the_missing(tiny_study_copy):
    study = tiny_study_copy / "results" / "tiny"
    (study / "miniwob" / "replay" / "click-button" / "seed0" / "summary.json").unlink()
    process = subprocess.run(
        [str(BIN / "agentlab"), "aggregate", str(study), "--out", str(study / "partial")],
        capture_output=True,
        text=True,
        env=tool_env(),
        check=True,
    )
    assert "3 episodes aggregated, 1 missing" in process.stdout
    assert "3 of 4 episodes done; **1 missing**" in (study / "partial" / "summary.md").read_text()
    assert pd.read_csv(study / "partial" / "summary.csv").loc[0, "n_missing"] == 1


def test_workflow_lints_clean():
    process = subprocess.run(
        [str(BIN / "snakemake"), "--lint"], cwd=REPO, capture_output=True, text=True, env=tool_env()
    )
    assert process.returncode == 0, process.stdout + process.stderr
    assert "Congratulations, your workflow is in a good condition!" in process.stdout + process.stderr
