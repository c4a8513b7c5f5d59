"""Provenance per episode on real Snakemake runs of a copy of the workflow in its own git repository:
each summary records the commit and dirty flag the run started from; strict_provenance refuses a dirty tree."""

import json
import shutil
import subprocess

import pytest
from conftest import REPO, replay_agent, snakemake_command, tool_env

from agentlab import __version__

pytestmark = pytest.mark.slow


def git(repo, *args):
    command = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def run(workflow, workdir, seeds, strict):
    config = {
        "study": "prov",
        "benchmarks": {"miniwob": {"tasks": ["click-test"], "seeds": seeds, "max_steps": 3}},
        "agents": {"replay": replay_agent()},
        "episode": {"retries": 0, "strict_provenance": strict},
    }
    command = snakemake_command(workdir, config, "--cores", "2", snakefile=workflow / "Snakefile")
    return subprocess.run(command, capture_output=True, text=True, env=tool_env())


def test_episodes_record_the_runs_commit_and_strict_provenance_refuses_a_dirty_tree(tmp_path):
    workflow, workdir = tmp_path / "workflow", tmp_path / "run"
    workflow.mkdir()
    for name in ("rules", "config", "envs"):
        shutil.copytree(REPO / name, workflow / name)
    shutil.copy(REPO / "Snakefile", workflow)
    git(workflow, "init", "-q")
    git(workflow, "add", ".")
    git(workflow, "commit", "-q", "-m", "the workflow")
    head = git(workflow, "rev-parse", "HEAD")
    episodes = workdir / "results" / "prov" / "miniwob" / "replay" / "click-test"

    first = run(workflow, workdir, [0], strict=True)
    assert first.returncode == 0, first.stderr
    summary = json.loads((episodes / "seed0" / "summary.json").read_text())
    assert summary["provenance"] == {"commit": head, "dirty": False, "agentlab": __version__}
    assert summary["format_version"] == 3

    (workflow / "rules" / "mine.smk").write_text("# an uncommitted change\n")
    refused = run(workflow, workdir, [0, 1], strict=True)
    assert refused.returncode == 2
    [line] = [line for line in refused.stderr.splitlines() if line.startswith("agentlab:")]
    assert line == (
        f"agentlab: episode.strict_provenance is true but the workflow at commit {head} has uncommitted "
        "changes; commit or stash them (git status), or set strict_provenance: false"
    )
    assert "Traceback" not in refused.stderr and not (episodes / "seed1").exists()

    allowed = run(workflow, workdir, [0, 1], strict=False)
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads((episodes / "seed1" / "summary.json").read_text())["provenance"]["dirty"] is True
    report = (workdir / "results" / "prov" / "report" / "index.html").read_text()
    assert "1 episodes ran on a dirty tree (uncommitted changes)" in report
