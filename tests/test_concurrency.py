"""Many episodes at once: the per-endpoint cap on LLM requests holds across threads and processes,
and 8 parallel episodes (a real Snakemake run, real Chromium and MiniWoB pages) against a slow
OpenAI-compatible server that answers 429 above its limit all finish with the right rewards."""

import json
import os
import re
import subprocess
import sys
import threading

import pytest
from conftest import run_snakemake
from llm_server import ScriptedLLMServer

from agentlab.core.errors import ConfigError
from agentlab.llm.limiter import LIMITS_ENV, configured_limits, normalize, request_slot
from agentlab.llm.openai_chat import OpenAIChatArgs
from agentlab.machine.slots import RESETS_ENV, max_concurrent_resets

HOLD_A_SLOT = """
import sys, time
from agentlab.machine.slots import held_slot
with held_slot("test", "key", int(sys.argv[1])):
    print(time.monotonic(), flush=True)
    time.sleep(0.3)
    print(time.monotonic(), flush=True)
"""


def test_endpoints_are_compared_without_trailing_slash_or_case():
    assert normalize("HTTP://Host:8000/v1/") == normalize("http://host:8000/v1") == "http://host:8000/v1"


def test_a_malformed_limit_is_one_line(monkeypatch):
    monkeypatch.setenv(LIMITS_ENV, '{"http://x/v1": 0}')
    with pytest.raises(ConfigError, match=r"^AGENTLAB_MAX_CONCURRENT_REQUESTS=.*allowed: a JSON object of base URL"):
        configured_limits()


def test_the_cap_holds_for_a_real_client_and_nothing_is_rate_limited(monkeypatch, tmp_path):
    """12 threads each make 2 calls through our OpenAI client to a server allowing 3 at once, capped at 3."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    with ScriptedLLMServer(then="<action>noop()</action>", delay_s=0.2, max_concurrent=3) as server:
        monkeypatch.setenv(LIMITS_ENV, f'{{"{server.base_url}/": 3}}')
        args = OpenAIChatArgs(model_name="m", base_url=server.base_url, api_key_env=None, max_retries=0)
        failures = []

        def calls() -> None:
            model = args.make_model()
            try:
                for _ in range(2):
                    model.chat([{"role": "user", "content": "hi"}])
            except Exception as error:  # noqa: BLE001 - reported below
                failures.append(error)

        threads = [threading.Thread(target=calls) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == [] and server.rejected == 0 and len(server.requests) == 24
    assert server.peak_concurrent == 3  # the cap, reached: the calls did overlap


def test_an_uncapped_endpoint_takes_no_slot(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv(LIMITS_ENV, '{"http://capped/v1": 1}')
    with request_slot("http://other/v1"), request_slot(None), request_slot("http://capped/v1"):
        pass
    assert len(list(tmp_path.rglob("slot-*"))) == 1


@pytest.mark.slow
@pytest.mark.parametrize("limit", [1, 2])
def test_slots_hold_across_processes(limit, monkeypatch, tmp_path):
    """Five processes want the same slot; at most `limit` of them are inside it at any moment."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    processes = [
        subprocess.Popen([sys.executable, "-c", HOLD_A_SLOT, str(limit)], stdout=subprocess.PIPE, text=True)
        for _ in range(5)
    ]
    intervals = [tuple(map(float, process.communicate()[0].split())) for process in processes]
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    inside = [sum(change for _, change in events[: i + 1]) for i in range(len(events))]
    assert max(inside) == limit


def test_resets_at_once_default_to_the_cpus_this_process_may_use(monkeypatch):
    monkeypatch.delenv(RESETS_ENV, raising=False)
    assert max_concurrent_resets() == len(os.sched_getaffinity(0))
    monkeypatch.setenv(RESETS_ENV, "3")
    assert max_concurrent_resets() == 3


def click_button(body: dict) -> str:
    """Click the "Click Me!" button of click-test, found in the prompt's accessibility tree."""
    bid = re.search(r"\[(\w+)\] button 'Click Me!'", body["messages"][1]["content"]).group(1)
    return f"<think>The button is [{bid}].</think>\n<action>click('{bid}')</action>"


@pytest.mark.slow
def test_eight_parallel_episodes_against_a_slow_rate_limited_server(tmp_path):
    """The server takes 2 s per answer and refuses a third request at once (429); the study caps
    the endpoint at 2. All 8 episodes run at once (browser=8 on 2 cores) and solve the task."""
    with ScriptedLLMServer(then=click_button, delay_s=2.0, max_concurrent=2) as server:
        config = {
            "study": "parallel",
            "benchmarks": {"miniwob": {"tasks": ["click-test"], "seeds": list(range(8)), "max_steps": 3}},
            "agents": {
                "ours": {
                    "config": "agentlab.agents.web_agent.WEB_AGENT_4o",
                    "overrides": {
                        "chat_model_args.base_url": server.base_url,
                        "chat_model_args.api_key_env": None,
                        "chat_model_args.model_name": "scripted-model",
                        "chat_model_args.max_retries": 0,
                    },
                }
            },
            "episode": {"retries": 0, "max_concurrent_requests": {server.base_url: 2}},
        }
        run_snakemake(tmp_path, config, "--cores", "3", "--resources", "browser=8")  # 3 + 5 jobs at once
    summaries = [
        json.loads(path.read_text())
        for path in (tmp_path / "results/parallel/miniwob/ours/click-test").glob("*/summary.json")
    ]
    assert len(summaries) == 8 and all((s["status"], s["reward"]) == ("success", 1.0) for s in summaries)
    assert server.rejected == 0 and server.peak_concurrent == 2 and len(server.requests) == 8
    assert most_at_once(summaries) > 2  # more episodes than the cap ran side by side
    assert all(s["timings"]["reset_wait_s"] >= 0 for s in summaries)  # each took one of the 2 CPUs' reset slots


def most_at_once(summaries: list[dict]) -> int:
    """The most episodes running at one moment, from their start and end times."""
    events = sorted([(s["started_at"], 1) for s in summaries] + [(s["finished_at"], -1) for s in summaries])
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak


@pytest.mark.slow
def test_more_browsers_than_snakemakes_local_jobs_is_said_in_one_line(tmp_path, tiny_study):
    """Snakemake's local executor runs at most --cores + 5 jobs at once: browser=16 with --cores 2 would
    silently run 7 episodes at once, so the run says so (and still runs)."""
    process = run_snakemake(tmp_path, tiny_study, "--resources", "browser=16")
    assert (
        "agentlab: --resources browser=16 with --cores 2 runs at most 7 jobs at once (Snakemake's local "
        "executor: --cores + 5); give --cores 11 or more for 16 episodes at once" in process.stderr
    )
    assert "runs at most" not in run_snakemake(tmp_path / "again", tiny_study, "--resources", "browser=7").stderr
