"""A tiny study of real episodes through profiles/slurm on a real single-node SLURM (tests/local_slurm.py)."""

import json
import os
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import REPO, snakemake_command, tool_env
from local_slurm import local_slurm

pytestmark = pytest.mark.slow

PROFILE = REPO / "profiles" / "slurm"
HARD_TIMEOUT_S = 300  # plugin 2.8.0 loops forever on "No active jobs" when it loses its jobs: never let it hang CI


@pytest.fixture(scope="module")
def slurm():
    if os.geteuid() != 0:
        pytest.skip("starting SLURM's daemons needs root (CI runs as root)")
    with local_slurm() as cluster:
        yield cluster


def start_snakemake(workdir, config, *args):
    """The real workflow with the SLURM profile as docs/cluster.md runs it, under a hard timeout. The first
    status check comes after 2 s instead of the profile's 20 s: these jobs take seconds, not hours."""
    profile = ("--workflow-profile", str(PROFILE), "--slurm-init-seconds-before-status-checks", "2")
    command = ["timeout", "-k", "10", str(HARD_TIMEOUT_S), *snakemake_command(workdir, config, *profile, *args)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=tool_env())


def finish(process) -> str:
    output, _ = process.communicate(timeout=HARD_TIMEOUT_S + 30)
    assert process.returncode not in (124, 137), f"snakemake hung on SLURM and was killed:\n{output}"
    return output


def wait_for_summary(folder, process, timeout_s=HARD_TIMEOUT_S):
    """The first episode summary written under `folder` while `process` runs."""
    deadline = time.monotonic() + timeout_s
    while not (found := list(folder.glob("*/seed*/summary.json"))):
        assert process.poll() is None and time.monotonic() < deadline, f"no summary appeared in {folder}"
        time.sleep(0.2)
    return found[0]


def processes_of_jobs_from(workdir: Path) -> list[str]:
    """Command lines of live processes started by SLURM jobs submitted from `workdir` (a browser, a
    job step): they inherit SLURM_SUBMIT_DIR, unlike job ids, which restart with every test cluster."""
    marker = f"SLURM_SUBMIT_DIR={workdir}".encode()
    found = []
    for process in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (process / "environ").read_bytes().split(b"\0"):
                found.append((process / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return found


def time_limit(minutes: int) -> str:
    """A SLURM TimeLimit as `scontrol` prints it (under a day)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def test_study_runs_batched_on_slurm_and_a_cancelled_job_is_reported_and_retried(slurm, tmp_path, tiny_study):
    """Two episodes share one SLURM job; cancelling it mid-way fails it, the retry gets twice the time."""
    tiny_study["benchmarks"]["miniwob"]["seeds"] = [0]
    episodes = tmp_path / "results" / "tiny" / "miniwob" / "replay"
    started = time.monotonic()
    process = start_snakemake(tmp_path, tiny_study)

    first = wait_for_summary(episodes, process)  # the group job is now between its two episodes
    cancelled = json.loads(first.read_text())["slurm_job_id"]
    slurm.run("scancel", cancelled)
    output = finish(process)
    print(f"SLURM study: {time.monotonic() - started:.1f} s wall")
    assert process.returncode == 0, output

    # the cancelled job was reported with its SLURM log, and its group retried as attempt 2
    assert "Error in group episodes" in output and "Trying to restart job" in output
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    logs = tmp_path / profile["slurm-logdir"] / "group_episodes_episode"
    assert (logs / f"{cancelled}.log").is_file()
    assert slurm.job(cancelled)["JobState"] == "CANCELLED"

    summaries = [json.loads(path.read_text()) for path in sorted(episodes.glob("*/seed0/summary.json"))]
    assert [(s["task"], s["status"], s["attempt"]) for s in summaries] == [
        ("click-button", "success", 2),
        ("click-test", "success", 2),
    ]
    retried = summaries[0]["slurm_job_id"]
    assert retried != cancelled and {s["slurm_job_id"] for s in summaries} == {retried}  # one job, both episodes
    assert (logs / f"{retried}.log").is_file()

    # what the group job asked SLURM for: one episode's CPU and memory, both episodes' runtime,
    # doubled on the second attempt (runtime = attempt x (episode_timeout_s/60 + 5) minutes)
    episode_minutes = tiny_study["episode"]["episode_timeout_s"] // 60 + 5
    first_try, second_try = slurm.job(cancelled), slurm.job(retried)
    assert second_try["JobState"] == "COMPLETED"
    assert first_try["TimeLimit"] == time_limit(2 * episode_minutes)
    assert second_try["TimeLimit"] == time_limit(2 * 2 * episode_minutes)
    assert second_try["NumCPUs"] == "1"
    assert second_try["MinMemoryNode"] == f"{profile['set-resources']['episode']['mem_mb']}M"

    # the tables were made where snakemake runs (localrules, no SLURM job), from both episodes
    table = pd.read_csv(tmp_path / "results" / "tiny" / "summary.csv")
    assert table.loc[0, "n_scored"] == 2 and table.loc[0, "n_success"] == 2
    assert sorted(path.name for path in logs.parent.iterdir()) == ["group_episodes_episode"]
    assert processes_of_jobs_from(tmp_path) == []  # the cancelled job left no browser behind


def test_a_job_slurm_refuses_fails_the_run_instead_of_waiting(slurm, tmp_path, tiny_study):
    """sbatch rejects a partition typo: the run ends with an error (Snakemake 9.27.1 drops the reason
    for group jobs, so docs/cluster.md says to check settings with `sbatch --test-only` first)."""
    tiny_study["benchmarks"]["miniwob"]["seeds"] = [0]
    process = start_snakemake(tmp_path, tiny_study, "--set-resources", "episode:slurm_partition=no-such-partition")
    output = finish(process)
    assert process.returncode == 1 and "Error in group episodes" in output, output
    assert not list((tmp_path / "results" / "tiny").glob("miniwob/*/*/seed*/summary.json"))
    refused = subprocess.run(
        ["sbatch", "--test-only", "--partition", "no-such-partition", "--wrap", "true"], capture_output=True, text=True
    )
    assert refused.returncode != 0 and "Invalid partition name specified" in refused.stderr
