#!/usr/bin/env python3
"""WEB_AGENT_LOCAL on 5 MiniWoB tasks: seconds per step, prompt tokens per step, prompt-cache share.

Runs real supervised episodes (real Chromium, the real local model on llama.cpp's server, started
once for all of them as the workflow does) and prints one line per task and the totals.
Usage: python bench/llm_local.py [--tasks a,b,...] [--seed 0] [--max-steps 5]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import time
from pathlib import Path

from agentlab.agents.web_agent import WEB_AGENT_LOCAL
from agentlab.episode.spec import EpisodeSpec, RunLimits
from agentlab.episode.supervisor import run_supervised
from agentlab.llm.local_server import SERVER_DIR_ENV, ensure_server, stop_server

TASKS = "click-test,click-button,enter-text,focus-text,click-link"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=TASKS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-steps", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-llm-"))
    os.environ[SERVER_DIR_ENV] = str(work / "server")
    tic = time.time()
    ensure_server(WEB_AGENT_LOCAL.chat_model_args.server)
    print(f"server start: {time.time() - tic:.1f} s")
    totals = {"steps": 0, "seconds": 0.0, "llm_seconds": 0.0, "input": 0, "cached": 0, "output": 0, "success": 0}
    print(
        f"{'task':<14}{'status':<10}{'steps':>6}{'s/step':>8}{'LLM s/step':>11}{'prompt tok/step':>16}"
        f"{'cached':>8}{'out tok/step':>13}"
    )
    try:
        for task in args.tasks.split(","):
            spec = EpisodeSpec(
                study="bench",
                benchmark="miniwob",
                task=task,
                seed=args.seed,
                agent_name="local",
                agent_config="agentlab.agents.web_agent.WEB_AGENT_LOCAL",
                max_steps=args.max_steps,
            )
            out = work / task
            with open(work / f"{task}.log", "w") as log, contextlib.redirect_stderr(log):  # keep the table clean
                run_supervised(spec, RunLimits(step_timeout_s=300, episode_timeout_s=1800), out)
            summary = json.loads((out / "summary.json").read_text())
            records = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
            steps = [r for r in records if r.get("action") is not None]
            seconds = sum(r["timings"]["agent_s"] + r["timings"].get("env_step_s", 0.0) for r in steps)
            stats = summary["agent_stats"]
            n = max(len(steps), 1)
            totals["steps"] += len(steps)
            totals["seconds"] += seconds
            totals["llm_seconds"] += stats.get("llm_seconds", 0.0)
            totals["input"] += stats.get("input_tokens", 0)
            totals["cached"] += stats.get("cached_tokens", 0)
            totals["output"] += stats.get("output_tokens", 0)
            totals["success"] += summary["status"] == "success"
            cached = stats.get("cached_tokens", 0) / max(stats.get("input_tokens", 0), 1)
            print(
                f"{task:<14}{summary['status']:<10}{len(steps):>6}{seconds / n:>8.1f}"
                f"{stats.get('llm_seconds', 0.0) / n:>11.1f}{stats.get('input_tokens', 0) / n:>16.0f}"
                f"{cached:>8.0%}{stats.get('output_tokens', 0) / n:>13.0f}"
            )
    finally:
        stop_server()
    n = max(totals["steps"], 1)
    print(
        f"{'all':<14}{totals['success']:>2}/{len(args.tasks.split(','))} won{totals['steps']:>6}"
        f"{totals['seconds'] / n:>8.1f}{totals['llm_seconds'] / n:>11.1f}{totals['input'] / n:>16.0f}"
        f"{totals['cached'] / max(totals['input'], 1):>8.0%}{totals['output'] / n:>13.0f}"
    )
    print(
        f"seconds/step = agent + browser step; cached = share of prompt tokens served from the server's "
        f"prefix cache; results and episode logs in {work}"
    )


if __name__ == "__main__":
    main()
