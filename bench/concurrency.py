"""Many episodes at once, waiting on an LLM: ours vs ServiceNow AgentLab 0.4.2, side by side.

A real OpenAI-compatible HTTP server on 127.0.0.1 (tests/llm_server.py) answers every call after a
delay (2 s by default; --heavy-tail: log-normal around it, median the delay, sigma 1, capped at 10x)
with a GenericAgent-format answer of ~150 output tokens whose action is noop() (BrowserGym waits 1 s);
prompt tokens are counted from the real prompts. The same agent on both sides: AgentLab's
GenericAgent with AGENT_4o's flags, ours through the bridge in a Snakemake study (warm episode
servers, --resources browser=N), AgentLab's own Study with joblib n_jobs=N, both pointed at the
server by OPENAI_BASE_URL. MiniWoB tasks x seeds, max_steps 5, at each parallel level.

Per framework and level it prints: episodes/min (ours: the whole Snakemake run; AgentLab: its
Study.run), the latency bound N / (steps x (delay + 1 s noop)) and the share of it reached, peak
PSS per parallel episode (every process of the run: Chromiums, agent hosts, Snakemake), CPU
seconds per step (every process of the run, sampled from /proc), errors and timeouts; then where
our CPU went and where the peak memory sat, by process. Last, the rate-limited case: the server
answers 429 above 8 requests at once, our study caps the endpoint at 8
(episode.max_concurrent_requests): failed episodes must be 0.
A framework is not run at higher levels once a level fails or errs in most episodes.

    python bench/concurrency.py [--parallel 1 4 8 16 32] [--tasks 10] [--seeds 0,1] [--delay 2]
                                [--heavy-tail] [--no-peer] [--no-limited]
    python bench/concurrency.py --parallel 1 4 --tasks 2 --seeds 0     # small: minutes
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from common import (
    MINIWOB_TASKS,
    REPO,
    RunSampler,
    agentlab_interpreter,
    machine_load,
    peer_command,
    snakemake,
    tool_env,
)

sys.path.insert(0, str(REPO / "tests"))
from llm_server import ScriptedLLMServer  # noqa: E402  (the tests' real HTTP server)

from agentlab.benchmarks.miniwob import miniwob_url  # noqa: E402

TASKS = MINIWOB_TASKS
AGENT = "agentlab.agents.generic_agent.AGENT_4o"
MAX_STEPS = 5
NOOP_S = 1.0  # BrowserGym's noop() waits 1 s: the browser step of the latency bound
LIMIT = 8  # the rate-limited server's requests at once
THINK = (
    "The page shows the task's widgets. I have not found what the goal asks for yet, so I will "
    "wait for the page to change before I act, and look again at the accessibility tree. "
) * 3
ANSWER = f"<think>{THINK.strip()}</think>\n<action>noop()</action>"  # ~150 tokens at 4 characters each


def delays(median_s: float, heavy_tail: bool):
    """Seconds before the n-th answer: constant, or log-normal (median `median_s`, sigma 1, capped at 10x)."""
    if not heavy_tail:
        return median_s
    return lambda n: min(random.Random(n).lognormvariate(math.log(median_s), 1.0), 10 * median_s)


def run_ours(
    server: ScriptedLLMServer, parallel: int, tasks: list[str], seeds: list[int], cap: int | None = None
) -> dict:
    with tempfile.TemporaryDirectory(prefix="agentlab-concurrency-") as tmp:
        workdir = Path(tmp)
        config = {
            "study": "concurrency",
            "benchmarks": {"miniwob": {"tasks": tasks, "seeds": seeds, "max_steps": MAX_STEPS}},
            "agents": {"agentlab-4o": {"config": AGENT}},
            "episode": {"retries": 0, **({"max_concurrent_requests": {server.base_url: cap}} if cap else {})},
        }
        marker = uuid.uuid4().hex
        env = tool_env(AGENTLAB_BENCH_MARK=marker, OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-local")
        with RunSampler(marker) as sampler:
            try:
                # --cores too: Snakemake's local executor runs at most --cores + 5 jobs at once
                cores = str(max(2, parallel))
                wall = snakemake(workdir, config, "--cores", cores, "--resources", f"browser={parallel}", env=env)
            except subprocess.CalledProcessError as error:
                return {"framework": "ours", "failed": f"snakemake exited with {error.returncode}"}
        summaries = [json.loads(p.read_text()) for p in workdir.glob("results/concurrency/miniwob/*/*/*/summary.json")]
    timings = {
        key: sum(s["timings"].get(key) or 0 for s in summaries) / max(len(summaries), 1)
        for key in ("setup_s", "reset_wait_s", "reset_s", "agent_s", "env_step_s", "total_s")
    }
    return {
        "framework": "ours",
        "episodes": len(summaries),
        "steps": sum(s["n_steps"] for s in summaries),
        "errors": sum(s["status"] in ("agent_error", "infra_error", "eval_error") for s in summaries),
        "timeouts": sum(s["stop_reason"] == "timeout" for s in summaries),
        "wall_s": wall,
        "peak_pss_mb": sampler.peak_mb,
        "cpu_s": sampler.cpu_seconds(),
        "cpu_by_kind": sampler.cpu_by_kind(),
        "peak_pss_by_kind": sampler.peak_by_kind_mb,
        "episode_timings": timings,
    }


def run_theirs(server: ScriptedLLMServer, parallel: int, tasks: list[str], seeds: list[int]) -> dict:
    python, env = agentlab_interpreter()
    marker = uuid.uuid4().hex
    env = {
        **env,
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "sk-local",
        "MINIWOB_URL": miniwob_url(),
        "AGENTLAB_BENCH_MARK": marker,
    }
    command = peer_command(
        python, tasks, seeds, "--max-steps", str(MAX_STEPS), "--agent", AGENT, "--n-jobs", str(parallel)
    )
    with RunSampler(marker) as sampler:
        process = subprocess.run(command, capture_output=True, text=True, env=env)
    if process.returncode != 0:
        return {
            "framework": "AgentLab 0.4.2",
            "failed": f"exited with {process.returncode}: {process.stderr.strip().splitlines()[-1:]}",
        }
    result = json.loads(process.stdout.strip().splitlines()[-1])
    return {
        "framework": "AgentLab 0.4.2",
        "episodes": result["episodes"],
        "steps": sum(len(steps) for steps in result["steps"].values()),
        "errors": result["errors"],
        "timeouts": 0,  # AgentLab has no episode time limit here: a hung episode hangs the run
        "wall_s": result["wall_s"],
        "peak_pss_mb": sampler.peak_mb,
        "cpu_s": sampler.cpu_seconds(),
        "cpu_by_kind": sampler.cpu_by_kind(),
        "peak_pss_by_kind": sampler.peak_by_kind_mb,
    }


def print_row(row: dict, parallel: int, delay_s: float) -> None:
    if "failed" in row:
        print(f"{row['framework']:<15} {parallel:>4}  failed: {row['failed']}")
        return
    per_min = 60 * row["episodes"] / row["wall_s"]
    steps_per_episode = row["steps"] / max(row["episodes"], 1)
    bound = 60 * min(parallel, row["episodes"]) / (max(steps_per_episode, 1) * (delay_s + NOOP_S))
    print(
        f"{row['framework']:<15} {parallel:>4} {row['episodes']:>8} {row['wall_s']:>7.1f} {per_min:>7.2f} "
        f"{bound:>7.1f} {per_min / bound:>6.0%} {row['peak_pss_mb'] / min(parallel, row['episodes']):>9.0f} "
        f"{row['cpu_s'] / max(row['steps'], 1):>8.2f} {row['errors']:>4} {row['timeouts']:>4}"
    )


def print_cpu(row: dict) -> None:
    """Where the CPU of a run went, by process kind, and our episodes' mean phase times."""
    if "failed" in row:
        return
    total = row["cpu_s"]
    parts = ", ".join(
        f"{kind} {seconds:.1f} s ({seconds / total:.0%})"
        for kind, seconds in row["cpu_by_kind"].items()
        if seconds >= 0.01 * total
    )
    print(f"  {row['framework']} CPU {total:.1f} s = {total / max(row['episodes'], 1):.2f} s/episode: {parts}")
    if row["peak_pss_by_kind"]:
        memory = sorted(row["peak_pss_by_kind"].items(), key=lambda item: -item[1])
        print("  peak PSS by process: " + ", ".join(f"{kind} {mb:.0f} MB" for kind, mb in memory if mb >= 1))
    if "episode_timings" in row:
        print("  mean episode phases (wall): " + ", ".join(f"{k} {v:.2f} s" for k, v in row["episode_timings"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 4, 8, 16, 32])
    parser.add_argument("--tasks", type=int, default=len(TASKS), help=f"the first N of {len(TASKS)} MiniWoB tasks")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated task seeds")
    parser.add_argument(
        "--delay", type=float, default=2.0, help="seconds per LLM answer (the median with --heavy-tail)"
    )
    parser.add_argument("--heavy-tail", action="store_true", help="log-normal delays instead of constant ones")
    parser.add_argument("--no-peer", action="store_true", help="skip ServiceNow AgentLab")
    parser.add_argument("--no-limited", action="store_true", help="skip the 429-limited server case")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each row as it is measured
    tasks, seeds = TASKS[: args.tasks], [int(s) for s in args.seeds.split(",")]
    print(
        f"concurrency: {AGENT} on {len(tasks)} MiniWoB tasks x {len(seeds)} seeds, max_steps {MAX_STEPS}, "
        f"LLM delay {args.delay:g} s{' (heavy-tailed)' if args.heavy_tail else ''} + noop() {NOOP_S:g} s per step; "
        f"{machine_load()} at start"
    )
    print(
        f"{'framework':<15} {'par':>4} {'episodes':>8} {'wall s':>7} {'ep/min':>7} {'bound':>7} {'share':>6} "
        f"{'PSS/ep MB':>9} {'CPU s/step':>8} {'err':>4} {'tmo':>4}"
    )
    rows = []
    stopped = {"ours": False, "AgentLab 0.4.2": args.no_peer}
    with ScriptedLLMServer(then=ANSWER, delay_s=delays(args.delay, args.heavy_tail)) as server:
        for parallel in args.parallel:
            runners = [("ours", run_ours), ("AgentLab 0.4.2", run_theirs)]
            for name, runner in runners:
                if stopped[name]:
                    continue
                row = runner(server, parallel, tasks, seeds)
                rows.append((parallel, row))
                print_row(row, parallel, args.delay)
                if "failed" in row or row["errors"] > row["episodes"] / 2:
                    stopped[name] = True
                    print(f"  {name}: not run at higher levels ({row.get('failed') or 'most episodes failed'})")
    print("where the CPU went:")
    for parallel, row in rows:
        print(f" at {parallel}:")
        print_cpu(row)
    if not args.no_limited:
        parallel = max(args.parallel)
        with ScriptedLLMServer(
            then=ANSWER, delay_s=delays(args.delay, args.heavy_tail), max_concurrent=LIMIT
        ) as server:
            row = run_ours(server, parallel, tasks, seeds, cap=LIMIT)
            print(f"rate-limited server (429 above {LIMIT} at once), ours capped at {LIMIT}, {parallel} parallel:")
            print_row(row, parallel, args.delay)
            print(
                f"  failed episodes {row.get('errors', 'all')}, requests refused with 429: {server.rejected}, "
                f"peak requests at once: {server.peak_concurrent}"
            )
    print(
        f"({machine_load()} at end) targets: >= 3x AgentLab at its highest level, >= 80% of the bound at 16, "
        f"<= 150 MB PSS per parallel episode at 16, 0 failed episodes when rate-limited"
    )


if __name__ == "__main__":
    main()
