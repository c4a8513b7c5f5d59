"""Ctrl-C and SIGTERM of a running study, sent to Snakemake's process group as a terminal (and
`make run`) or a cluster's job killer does: the run stops, leaves no process and no partial episode
behind, and the next run continues where it stopped."""

import os
import re
import signal
import subprocess
import time

import pytest
from conftest import replay_agent, run_snakemake, snakemake_command, tool_env
from helpers import trace_file, wait_for

from agentlab.machine.proctree import marked

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stopped_study_leaves_nothing_running_or_partial_and_the_next_run_continues(
    tmp_path, monkeypatch, process_marker, signum
):
    monkeypatch.setenv("AGENTLAB_WARM_IDLE_S", "600")  # warm servers must end with the run, not when idle
    config = {
        "study": "stop",
        "benchmarks": {"miniwob": {"tasks": ["click-test"], "seeds": [0, 1, 2, 3, 4, 5], "max_steps": 3}},
        "agents": {"replay": replay_agent(trace_file(tmp_path, "noop(10000)", "click('13')"))},
        "episode": {"retries": 1, "step_timeout_s": 60, "episode_timeout_s": 300},
    }
    command = snakemake_command(tmp_path, config, "--cores", "2")
    run = subprocess.Popen(
        command, env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    log = ""
    for line in run.stdout:  # until the first two episodes (started together) are finished
        log += line
        if len(re.findall(r"Finished jobid: \d+ \(Rule: episode\)", log)) == 2:
            break
    study = tmp_path / "results" / "stop" / "miniwob" / "replay" / "click-test"

    def episode_running() -> bool:  # its runner started it and has not ended it
        logs = [p.read_text() for p in study.glob("*/episode.log") if not (p.parent / "summary.json").exists()]
        return any("started" in log and "ended" not in log for log in logs)

    wait_for(episode_running, what="an episode in progress")  # one started after them: 10 s of noop left
    time.sleep(1.0)
    finished = {path: path.read_bytes() for path in study.glob("*/summary.json")}
    assert finished and len(finished) < 6

    stopped_at = time.monotonic()
    os.killpg(run.pid, signum)
    log += run.communicate(timeout=120)[0]
    wait_for(
        lambda: marked(process_marker, "AGENTLAB_TEST_MARK") == [],
        timeout_s=30,
        what="every process of the stopped run to exit",
    )
    print(
        f"{signal.Signals(signum).name}: the run and all its processes ended "
        f"{time.monotonic() - stopped_at:.1f} s after the signal"
    )
    assert run.returncode != 0
    logs = "".join(path.read_text() for path in (tmp_path / "results" / "stop").rglob("*.log"))
    assert f"stopped by {signal.Signals(signum).name}" in logs, logs
    assert "Traceback" not in logs, logs  # one line each
    assert [p for p in tmp_path.rglob("*") if p.name == ".staging" or p.name.endswith(".tmp")] == []
    for episode in study.iterdir():  # an episode is whole (its summary last) or has no step records
        assert (episode / "summary.json").exists() or not (episode / "steps.jsonl").exists(), episode
    assert {path: path.read_bytes() for path in finished} == finished

    run_snakemake(tmp_path, config)  # no --unlock, nothing else
    assert {path: path.read_bytes() for path in finished} == finished
    assert len(list(study.glob("*/summary.json"))) == 6
    assert "All 6 episodes done." in (tmp_path / "results" / "stop" / "summary.md").read_text()
