"""The real local model: Qwen2.5-Coder-0.5B on llama.cpp's server (xllamacpp), as a managed
service and through a real Snakemake run of a real MiniWoB episode."""

import json
import threading
import time

import pandas as pd
import pytest
from conftest import run_snakemake

from agentlab.llm import local_server
from agentlab.llm.local_server import ServerSettings, ensure_server, read_state, status, stop_server

pytestmark = pytest.mark.slow


def serve_processes(directory) -> int:
    """How many local LLM server processes (`python -m agentlab.llm.local_server`) of `directory` are alive."""
    count = 0
    for entry in __import__("os").listdir("/proc"):
        if entry.isdigit() and local_server._is_our_server(int(entry)):
            try:
                environ = open(f"/proc/{entry}/environ", "rb").read()
            except OSError:
                continue
            count += f"{local_server.SERVER_DIR_ENV}={directory}".encode() in environ
    return count


def test_concurrent_starts_share_one_server_which_stops_when_idle(tmp_path):
    settings = ServerSettings(idle_timeout_s=3)
    states = []
    threads = [threading.Thread(target=lambda: states.append(ensure_server(settings, tmp_path))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({state.pid for state in states}) == 1 and serve_processes(tmp_path) == 1
    assert status(tmp_path) == states[0]
    with pytest.raises(local_server.LocalServerError, match="stop it first"):
        ensure_server(ServerSettings(n_ctx=2048), tmp_path)
    deadline = time.monotonic() + 30
    while (read_state(tmp_path) is not None or serve_processes(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert read_state(tmp_path) is None and serve_processes(tmp_path) == 0  # it stopped by itself
    assert "idle for 3 s: stopping" in (tmp_path / local_server.LOG_FILE).read_text()
    assert stop_server(tmp_path) is None


def test_snakemake_runs_the_local_model_on_a_real_task(tmp_path):
    config = {
        "study": "local",
        "benchmarks": {"miniwob": {"tasks": ["click-test"], "seeds": [0], "max_steps": 2}},
        "agents": {"qwen": {"config": "agentlab.agents.web_agent.WEB_AGENT_LOCAL"}},
        "episode": {"retries": 0, "step_timeout_s": 240, "episode_timeout_s": 600},
    }
    run_snakemake(tmp_path, config)
    episode = tmp_path / "results" / "local" / "miniwob" / "qwen" / "click-test" / "seed0"
    summary = json.loads((episode / "summary.json").read_text())
    assert summary["status"] in ("success", "failure"), summary["error"]
    stats = summary["agent_stats"]
    assert stats["n_llm_calls"] >= 1 and stats["input_tokens"] > 300 and stats["output_tokens"] > 0
    assert stats["cost"] == 0.0 and stats["llm_seconds"] > 0
    first = json.loads((episode / "steps.jsonl").read_text().splitlines()[0])
    assert first["action"] and first["action"].split("(")[0] in (
        "click",
        "fill",
        "noop",
        "mouse_click",
        "keyboard_press",
        "keyboard_type",
        "scroll",
    )
    assert first["messages"][0]["role"] == "system" and first["messages"][-1]["role"] == "assistant"
    assert first["agent_stats"]["input_tokens"] > 0
    table = pd.read_csv(tmp_path / "results" / "local" / "summary.csv")
    assert table.loc[0, "input_tokens"] == stats["input_tokens"] and table.loc[0, "cost"] == 0.0
    # started once by the workflow, for the run, and stopped at its end
    server_dir = tmp_path / ".agentlab" / "llm-server"
    assert (server_dir / local_server.LOG_FILE).read_text().count("serving ") == 1
    assert read_state(server_dir) is None and serve_processes(server_dir) == 0
