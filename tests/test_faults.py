"""Fault cases on real episodes: hung pages, browser crashes, kill -9, refused navigation, relaunch."""

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import BIN, chromium_processes, replay_agent, run_snakemake, snakemake_command, tool_env
from helpers import trace_file, wait_for
from llm_server import HANG, ScriptedLLMServer

from agentlab.benchmarks.miniwob import miniwob_url
from agentlab.episode.spec import EpisodeSpec, RunLimits
from agentlab.episode.supervisor import run_supervised

pytestmark = pytest.mark.slow


def doctored_miniwob(root: Path, click_handler: str) -> str:
    """A copy of the MiniWoB site whose click-test button runs `click_handler`; returns its URL."""
    original = Path(miniwob_url().removeprefix("file://"))
    site = root / "html"
    for shared in ("core", "common"):
        (site / shared).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(original.parent / shared, site / shared)
    (site / "miniwob").mkdir()
    page = (original / "click-test.html").read_text()
    page = page.replace(
        "btn.on('click', function(){ core.endEpisode(1.0, true); });",
        f"btn.on('click', function(){{ {click_handler} }});",
    )
    assert click_handler in page
    (site / "miniwob" / "click-test.html").write_text(page)
    return (site / "miniwob").as_uri() + "/"


def run_click_test(tmp_path, trace, step_timeout_s=60, warm=False):
    spec = EpisodeSpec(
        study="t",
        benchmark="miniwob",
        task="click-test",
        seed=0,
        agent_name="replay",
        agent_config="agentlab.agents.replay.REPLAY",
        max_steps=3,
        agent_overrides={"trace": trace},
    )
    out = tmp_path / "episode"
    run_supervised(spec, RunLimits(step_timeout_s=step_timeout_s, episode_timeout_s=120, warm=warm), out)
    summary = json.loads((out / "summary.json").read_text())
    steps = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
    return summary, steps


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_a_page_that_never_answers_hits_the_step_timeout_and_leaves_no_browser(
    tmp_path, monkeypatch, process_marker, warm
):
    monkeypatch.setenv("MINIWOB_URL", doctored_miniwob(tmp_path, "while (true) {}"))
    started = time.monotonic()
    summary, steps = run_click_test(tmp_path, trace_file(tmp_path, "click('13')"), step_timeout_s=8, warm=warm)
    assert summary["status"] == "infra_error" and summary["stop_reason"] == "timeout"
    assert summary["error"]["type"] == "EpisodeTimeout"
    assert "step (step 0) exceeded step_timeout_s=8" in summary["error"]["message"]
    assert time.monotonic() - started < 40
    assert chromium_processes(process_marker) == []


def test_navigation_to_a_local_file_is_refused_and_recorded(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIWOB_URL", doctored_miniwob(tmp_path, "window.location.href = 'file:///etc/hostname';"))
    summary, steps = run_click_test(tmp_path, trace_file(tmp_path, "click('13')"))
    assert steps[0]["refused_navigations"] == ["file:///etc/hostname"]
    assert "navigation to 'file:///etc/hostname' refused" in steps[0]["last_action_error"]
    secret = Path("/etc/hostname").read_text().strip()
    assert all(secret not in step["axtree"] for step in steps)
    assert summary["success"] is False


def test_an_injected_browser_crash_is_retried_and_recorded(tmp_path, process_marker):
    config = {
        "study": "crash",
        "benchmarks": {"miniwob": {"tasks": ["click-test"], "seeds": [0], "max_steps": 3}},
        "agents": {"replay": replay_agent(trace_file(tmp_path, "noop(4000)", "click('13')"))},
        "episode": {"retries": 1, "step_timeout_s": 60, "episode_timeout_s": 300},
    }
    command = snakemake_command(tmp_path, config, "--cores", "1")
    run = subprocess.Popen(command, env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def browser_main_process():
        for pid in chromium_processes(process_marker):
            try:
                if b"--remote-debugging-pipe" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
            except OSError:
                pass

    wait_for(lambda: browser_main_process() is not None, what="the episode's browser")
    time.sleep(2.0)  # inside the 4 s noop
    os.kill(browser_main_process(), signal.SIGKILL)
    output, _ = run.communicate(timeout=300)
    assert run.returncode == 0, output

    episode = tmp_path / "results" / "crash" / "miniwob" / "replay" / "click-test" / "seed0"
    summary = json.loads((episode / "summary.json").read_text())
    assert summary["status"] == "success" and summary["attempt"] == 2 and summary["max_attempts"] == 2
    [failed] = list((episode / "attempts").iterdir())
    failed_summary = json.loads((failed / "summary.json").read_text())
    assert failed_summary["status"] == "infra_error" and failed_summary["attempt"] == 1
    assert (failed / "steps.jsonl").exists()
    log = (episode / "episode.log").read_text()  # keeps every attempt, appended
    assert log.index("=== attempt 1/2 ended: infra_error") < log.index("=== attempt 2/2 ended: success")


def test_kill_9_mid_study_keeps_finished_episodes_byte_identical(tmp_path, tiny_study, process_marker):
    """Finished = recorded by Snakemake; an episode killed between its summary and that record is incomplete."""
    tiny_study["benchmarks"]["miniwob"]["tasks"] = ["click-test", "click-button", "enter-text"]
    command = snakemake_command(tmp_path, tiny_study, "--cores", "2")
    run = subprocess.Popen(
        command, env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    log, outputs, finished_jobs = "", {}, []
    for line in run.stdout:  # Snakemake's own account of which jobs finished
        log += line
        outputs.update(re.findall(r"rule episode:\n\s+output: (\S+)\n(?:.*\n)*?\s+jobid: (\d+)", log))
        finished_jobs = re.findall(r"Finished jobid: (\d+) \(Rule: episode\)", log)
        if len(finished_jobs) >= 2:
            break
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    paths = {jobid: path for path, jobid in outputs.items()}
    finished = {tmp_path / paths[jobid]: (tmp_path / paths[jobid]).read_bytes() for jobid in finished_jobs}
    assert len(finished) == 2
    # mid-episode servers die with their supervisors; idle ones exit after AGENTLAB_WARM_IDLE_S
    wait_for(lambda: not chromium_processes(process_marker), timeout_s=20, what="the killed run's browsers to exit")

    run_snakemake(tmp_path, tiny_study, "--unlock")
    run_snakemake(tmp_path, tiny_study)
    study = tmp_path / "results" / "tiny"
    assert {path: path.read_bytes() for path in finished} == finished
    assert len(list(study.glob("miniwob/*/*/*/summary.json"))) == 6
    leftovers = [p for p in tmp_path.rglob("*") if p.name == ".staging" or p.name.endswith(".tmp")]
    assert leftovers == []
    assert "All 6 episodes done." in (study / "summary.md").read_text()


def test_relaunch_server_errors_moves_exactly_the_infra_errors_and_the_rerun_rebuilds_them(tmp_path):
    config = {
        "study": "rel",
        "benchmarks": {"miniwob": {"tasks": ["click-test"], "seeds": [0, 1], "max_steps": 3}},
        "agents": {
            "replay": replay_agent(),
            "slow": replay_agent(trace_file(tmp_path, "noop(60000)", "click('13')")),
        },
        "episode": {"retries": 0, "step_timeout_s": 12, "episode_timeout_s": 120},
    }
    run_snakemake(tmp_path, config)
    study = tmp_path / "results" / "rel"
    agentlab = [str(BIN / "agentlab")]
    status = subprocess.run(agentlab + ["status", str(study)], capture_output=True, text=True, check=True).stdout
    assert status.splitlines()[-1].split() == ["all", "2", "0", "0", "2", "0", "0", "0", "0", "4"]

    dry = subprocess.run(
        agentlab + ["relaunch", str(study), "--mode", "server_errors", "--dry-run"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert dry.count("would move miniwob/slow/") == 2 and "replay" not in dry
    assert len(list(study.glob("miniwob/*/*/*/summary.json"))) == 4  # dry run moved nothing

    subprocess.run(agentlab + ["relaunch", str(study), "--mode", "server_errors"], check=True, capture_output=True)
    archived = sorted(p.relative_to(study).parts[3:] for p in study.glob("relaunched/*/miniwob/*/*/seed*"))
    assert archived == [("slow", "click-test", "seed0"), ("slow", "click-test", "seed1")]
    assert (
        json.loads((study / "relaunched").glob("*/miniwob/slow/click-test/seed0/summary.json").__next__().read_text())[
            "status"
        ]
        == "infra_error"
    )

    trace_file(tmp_path, "noop(100)", "click('13')")  # the server is back: same config, quick answer
    config["episode"]["step_timeout_s"] = 60  # not part of an episode's identity: only the moved rerun
    kept = {p: p.read_bytes() for p in study.glob("miniwob/replay/*/*/summary.json")}
    run_snakemake(tmp_path, config)
    assert {p: p.read_bytes() for p in kept} == kept
    assert {json.loads(p.read_text())["status"] for p in study.glob("miniwob/slow/*/*/summary.json")} == {"success"}
    table = pd.read_csv(study / "summary.csv").set_index("agent")
    assert table.loc["slow", "n_relaunched"] == 2 and table.loc["replay", "n_relaunched"] == 0


def test_an_llm_server_that_hangs_hits_the_step_timeout(tmp_path, process_marker):
    spec = EpisodeSpec(
        study="t",
        benchmark="miniwob",
        task="click-test",
        seed=0,
        agent_name="gpt",
        agent_config="agentlab.agents.web_agent.WEB_AGENT_4o",
        max_steps=3,
    )
    with ScriptedLLMServer([HANG]) as server:
        spec = EpisodeSpec(
            **{
                **spec.__dict__,
                "agent_overrides": {"chat_model_args.base_url": server.base_url, "chat_model_args.api_key_env": None},
            }
        )
        started = time.monotonic()
        run_supervised(spec, RunLimits(step_timeout_s=8, episode_timeout_s=120), tmp_path / "episode")
        assert len(server.requests) == 1  # the request was sent, and never answered
    summary = json.loads((tmp_path / "episode" / "summary.json").read_text())
    assert summary["status"] == "infra_error" and summary["error"]["type"] == "EpisodeTimeout"
    assert "agent (step 0) exceeded step_timeout_s=8" in summary["error"]["message"]
    assert time.monotonic() - started < 40
    assert chromium_processes(process_marker) == []


def test_api_keys_never_reach_results_logs_or_reports(tmp_path, monkeypatch):
    secret = "sk-agentlab-test-" + os.urandom(8).hex()
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    reply = "<think>The button.</think><action>click('13')</action>"
    with ScriptedLLMServer([reply, reply]) as server:
        config = {
            "study": "keys",
            "benchmarks": {"miniwob": {"tasks": ["click-test"], "seeds": [0], "max_steps": 2}},
            "agents": {
                "gpt": {
                    "config": "agentlab.agents.web_agent.WEB_AGENT_4o",
                    "overrides": {"chat_model_args.base_url": server.base_url},
                }
            },
        }
        run_snakemake(tmp_path, config)
    assert server.authorizations[0] == f"Bearer {secret}"  # the key was used ...
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "config.yaml"]
    assert any(p.name == "index.html" for p in written) and any(p.name == "episode.log" for p in written)
    leaks = [str(p) for p in written if secret.encode() in p.read_bytes()]
    assert leaks == []  # ... and written nowhere: results, logs, reports, Snakemake's own records
