"""The rerun rules on a finished 1k-episode synthetic study: the real Snakemake workflow plans it
(no episode runs; the summaries are written the way episodes write them)."""

import copy
import os
import time

import pytest
from conftest import planned_jobs, replay_agent, run_snakemake
from synthetic import write_episode

from agentlab.core.layout import PLOTS, REPORT_DIR, TABLES
from agentlab.study.config import load_study

pytestmark = pytest.mark.slow

SEEDS = [0, 1, 2, 3]  # MiniWoB's 125 tasks × 4 seeds × 2 agents = 1000 episodes


@pytest.fixture(scope="module")
def finished_study(tmp_path_factory):
    """A 1k-episode study as a finished run leaves it: Snakemake's metadata of every job (recorded
    by `snakemake --touch` before the files exist, so no job runs), then each episode's summary,
    then the tables, plots and report, newer than the summaries."""
    workdir = tmp_path_factory.mktemp("plan1k")
    config = {
        "study": "plan1k",
        "benchmarks": {"miniwob": {"tasks": "all", "seeds": SEEDS, "max_steps": 5}},
        "agents": {"replay0": replay_agent(), "replay1": replay_agent()},
    }
    run_snakemake(workdir, config, "--touch")
    study = load_study(copy.deepcopy(config))
    study_dir = workdir / "results" / "plan1k"
    study_dir.mkdir(parents=True, exist_ok=True)
    (study_dir / "study.json").write_text("{}")
    for key in study.episode_keys():
        write_episode(
            study_dir,
            key.agent,
            key.task,
            key.seed,
            {"status": "success", "reward": 1.0, "config_hash": study.config_hash(key.benchmark, key.agent)},
        )
    time.sleep(0.05)
    for name in [*TABLES.values(), *PLOTS.values(), f"{REPORT_DIR}/index.html"]:
        (study_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (study_dir / name).write_text("synthetic\n")
    (study_dir / REPORT_DIR / "episodes").mkdir(exist_ok=True)
    assert len(study.summary_paths()) == 1000
    return workdir, config, study


def planned_episodes(workdir, config) -> set[str]:
    """The summaries a dry run of the workflow would make."""
    process = run_snakemake(workdir, config, "--dry-run")
    return {
        line.split()[-1]
        for line in process.stdout.splitlines()
        if line.strip().startswith("output:") and line.strip().endswith("summary.json")
    }


def test_a_finished_study_has_nothing_to_do(finished_study):
    workdir, config, _ = finished_study
    assert planned_jobs(workdir, config) == {}


def test_deleting_one_summary_reruns_only_that_episode(finished_study):
    workdir, config, study = finished_study
    deleted = workdir / study.summary_path("miniwob", "replay1", "click-test", 2)
    text, stat = deleted.read_text(), deleted.stat()
    deleted.unlink()
    try:
        assert planned_jobs(workdir, config) == {"episode": 1, "aggregate": 1, "report": 1, "all": 1}
        assert planned_episodes(workdir, config) == {study.summary_path("miniwob", "replay1", "click-test", 2)}
    finally:  # put it back as it was, older than the tables, for the other tests
        deleted.write_text(text)
        os.utime(deleted, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_changing_one_agents_config_reruns_only_its_episodes(finished_study):
    workdir, config, study = finished_study
    changed = copy.deepcopy(config)
    changed["agents"]["replay1"]["overrides"]["trace"] += " "
    expected = {study.summary_path(*key) for key in study.episode_keys() if key.agent == "replay1"}
    assert planned_episodes(workdir, changed) == expected
