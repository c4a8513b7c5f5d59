"""Stale Snakemake locks on real Snakemake processes: a killed run's lock is removed by the next run,
a live run's never is."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BIN, tool_env

from agentlab.machine.proctree import is_snakemake
from agentlab.machine.runlock import LOCKS_DIR, snakemake_processes

pytestmark = pytest.mark.slow

SNAKEMAKE = [str(BIN / "snakemake"), "--cores", "1"]

SNAKEFILE = (
    'rule all:\n    input: "done"\n\n'
    'rule slow:\n    output: "done"\n    shell: "sleep {config[sleep]} && touch {output}"\n'
)


def start_snakemake(folder: Path) -> subprocess.Popen:
    (folder / "Snakefile").write_text(SNAKEFILE)
    run = subprocess.Popen(
        [*SNAKEMAKE, "--config", "sleep=60"],
        cwd=folder,
        env=tool_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not (folder / LOCKS_DIR).is_dir() or not any((folder / LOCKS_DIR).iterdir()):
        assert run.poll() is None and time.monotonic() < deadline, "snakemake did not lock its folder"
        time.sleep(0.1)
    return run


def unlock_stale(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agentlab", "unlock-stale", "--directory", str(folder)],
        capture_output=True,
        text=True,
        env=tool_env(),
    )


def test_a_live_run_is_never_unlocked_and_a_killed_runs_lock_is_removed(tmp_path):
    run = start_snakemake(tmp_path)
    try:
        assert [process.pid for process in snakemake_processes(tmp_path)] == [run.pid]
        second = unlock_stale(tmp_path)
        assert second.returncode == 2 and second.stdout == ""
        assert second.stderr == (
            f"agentlab: a run is in progress in {tmp_path.resolve()} (snakemake pid {run.pid}); "
            "wait for it to finish or stop it (Ctrl-C, or kill -INT that pid), then run again\n"
        )
        assert any((tmp_path / LOCKS_DIR).iterdir())
    finally:
        os.killpg(run.pid, signal.SIGKILL)  # a crash: Snakemake leaves its lock behind
        run.wait()
    locked = subprocess.run(
        [*SNAKEMAKE, "--config", "sleep=0"], cwd=tmp_path, env=tool_env(), capture_output=True, text=True
    )
    assert locked.returncode != 0 and "LockException" in locked.stderr  # what a plain rerun meets

    recovered = unlock_stale(tmp_path)
    assert recovered.returncode == 0
    assert recovered.stderr == (
        f"agentlab: removed the lock left by an interrupted run in {tmp_path.resolve()} "
        "(no snakemake works there); its finished episodes are kept\n"
    )
    assert not (tmp_path / LOCKS_DIR).exists()
    rerun = subprocess.run(
        [*SNAKEMAKE, "--config", "sleep=0"], cwd=tmp_path, env=tool_env(), capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    assert (tmp_path / "done").exists()
    assert unlock_stale(tmp_path).stderr == ""  # no lock: nothing to say


def test_snakemake_is_told_from_the_jobs_it_starts():
    assert is_snakemake(["/venv/bin/python", "/venv/bin/snakemake", "--cores", "2"])
    assert is_snakemake(["/venv/bin/snakemake", "--cores", "2"])
    assert is_snakemake(["python3", "-m", "snakemake", "--directory", "x"])
    assert not is_snakemake(["/bin/bash", "-c", "agentlab episode --out .snakemake/x"])
    assert not is_snakemake(["agentlab", "unlock-stale"])
