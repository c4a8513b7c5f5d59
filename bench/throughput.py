"""Episode throughput, memory and orchestration overhead: ours vs ServiceNow AgentLab 0.4.2.

The workload is the reference one: 10 MiniWoB tasks × 2 seeds, each episode a reset and
3 × noop() (a scripted agent; max_steps 3), at 1 and 2 parallel episodes. Ours runs as a real
Snakemake study (warm episode servers, the default, and cold processes); AgentLab runs with its
joblib backend in its own venv (bench/peer/). Prints episodes/minute, the ratio ours/theirs,
peak memory (PSS of every process of the run) per parallel episode, and the orchestration
overhead: the share of worker-time (parallel jobs × wall time) not spent inside episodes.
Each noop() sleeps 1 s (BrowserGym's default), in both frameworks: "busy s/ep", the worker-time
per episode minus those waits, is what a framework spends on browsers, pages and bookkeeping.
Our wall time is the whole `snakemake` run (planning, episodes, tables, plots, HTML report);
AgentLab's is its `Study.run` (its import, 4-9 s, is left out).

"CPU s/ep" counts every process of the run (Snakemake, job shells, supervisors, episode servers,
Playwright's drivers, every Chromium process), sampled from /proc: CPU-seconds hold on a loaded
machine where wall times do not. Then where our CPU goes: by process, and inside the episode
server by call (bench/cpu_breakdown.py: reset, BrowserGym's observation extraction, screenshots,
our records), from episodes of the same workload run in the bench's own process.

    python bench/throughput.py [--jobs 1 2] [--no-peer] [--no-scale] [--no-breakdown]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from common import (
    MINIWOB_TASKS,
    RunSampler,
    agentlab_interpreter,
    machine_load,
    peer_command,
    snakemake,
    tool_env,
)
from cpu_breakdown import measure, print_breakdown

TASKS = MINIWOB_TASKS
SEEDS = [0, 1]
ACTIONS = ["noop()"] * 3
NOOP_WAIT_S = 1.0  # browsergym.core.action.functions.noop(wait_ms=1000)


def run_ours(jobs: int, workers: str, tasks: list[str] = TASKS, seeds: list[int] = SEEDS) -> dict:
    with tempfile.TemporaryDirectory(prefix="agentlab-bench-") as tmp:
        workdir = Path(tmp)
        trace = workdir / "noops.jsonl"
        trace.write_text("".join(json.dumps({"action": a}) + "\n" for a in ACTIONS))
        config = {
            "study": "bench",
            "benchmarks": {"miniwob": {"tasks": tasks, "seeds": seeds, "max_steps": len(ACTIONS)}},
            "agents": {"scripted": {"config": "agentlab.agents.replay.REPLAY", "overrides": {"trace": str(trace)}}},
            "episode": {"retries": 0, "workers": workers},
        }
        marker = uuid.uuid4().hex
        env = tool_env(AGENTLAB_BENCH_MARK=marker)  # warm servers end with the run, not after a short idle
        started = time.time()
        with RunSampler(marker) as sampler:
            wall = snakemake(workdir, config, "--cores", str(jobs), "--resources", f"browser={jobs}", env=env)
        summaries = [json.loads(p.read_text()) for p in workdir.glob("results/bench/miniwob/*/*/*/summary.json")]
    in_episode = sum(s["elapsed_s"] for s in summaries)
    first_start = min(datetime.fromisoformat(s["started_at"]).timestamp() for s in summaries)
    last_end = max(datetime.fromisoformat(s["finished_at"]).timestamp() for s in summaries)
    return {
        "framework": f"ours ({workers})",
        "n_jobs": jobs,
        "episodes": len(summaries),
        "errors": sum(s["status"] in ("agent_error", "infra_error") for s in summaries),
        "wall_s": wall,
        "episodes_per_min": 60 * len(summaries) / wall,
        "peak_pss_per_parallel_episode_mb": sampler.peak_mb / jobs,
        "cpu_s_per_episode": sampler.cpu_seconds() / len(summaries),
        "cpu_by_kind": {kind: seconds / len(summaries) for kind, seconds in sampler.cpu_by_kind().items()},
        "pss_by_kind": {kind: mb / jobs for kind, mb in sorted(sampler.peak_by_kind_mb.items(), key=lambda i: -i[1])},
        "servers": sum(kind in ("episode server", "cold worker") for kind, _ in sampler.cpu.values()),
        "overhead": 1 - in_episode / (jobs * wall),
        "mean_episode_s": in_episode / len(summaries),
        "head_s": first_start - started,  # planning, until the first episode starts
        "tail_s": started + wall - last_end,  # tables, plots and report, after the last episode
    }


def print_overhead_at_scale(jobs: int) -> None:
    """Orchestration overhead of a study of every MiniWoB task (125 episodes), warm workers."""
    from agentlab.benchmarks import get_benchmark

    row = run_ours(jobs, "warm", tasks=list(get_benchmark("miniwob").task_names), seeds=[0])
    print(
        f"overhead at scale: {row['episodes']} episodes ({row['errors']} errors) at {jobs} jobs in "
        f"{row['wall_s']:.0f} s, {row['episodes_per_min']:.2f} episodes/min; overhead {row['overhead']:.1%} "
        f"(planning {row['head_s']:.1f} s, tables and report {row['tail_s']:.1f} s, "
        f"mean episode {row['mean_episode_s']:.2f} s)"
    )


def run_peer(jobs: int) -> dict:
    """AgentLab 0.4.2 on the same workload, in its own venv (installed on first use)."""
    python, env = agentlab_interpreter()
    marker = uuid.uuid4().hex
    command = peer_command(python, TASKS, SEEDS, "--n-jobs", str(jobs), *[f"--action={a}" for a in ACTIONS])
    with RunSampler(marker) as sampler:
        output = subprocess.run(
            command, capture_output=True, text=True, check=True, env={**env, "AGENTLAB_BENCH_MARK": marker}
        ).stdout
    row = json.loads(output.strip().splitlines()[-1])
    return {**row, "cpu_s_per_episode": sampler.cpu_seconds() / row["episodes"]}  # its imports included


def busy_s_per_episode(row: dict) -> float:
    """Worker-seconds per episode, minus the agent's noop() waits that no framework can skip."""
    return row["n_jobs"] * row["wall_s"] / row["episodes"] - NOOP_WAIT_S * len(ACTIONS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-peer", action="store_true", help="skip ServiceNow AgentLab")
    parser.add_argument("--no-scale", action="store_true", help="skip the 125-episode overhead study")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the in-process CPU breakdown")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each row as it is measured
    print(
        f"throughput: {len(TASKS)} MiniWoB tasks × {len(SEEDS)} seeds, reset + {len(ACTIONS)} × noop() "
        f"({machine_load()} at start)"
    )
    header = (
        f"{'framework':<24} {'jobs':>4} {'episodes':>8} {'err':>3} {'wall s':>7} {'ep/min':>7} "
        f"{'PSS/ep MB':>9} {'overhead':>8} {'vs AgentLab':>11} {'busy s/ep':>9} {'vs AgentLab':>11} "
        f"{'CPU s/ep':>8}"
    )
    print(header)
    ours = []
    for jobs in args.jobs:
        peer = None if args.no_peer else run_peer(jobs)
        rows = [run_ours(jobs, "warm"), run_ours(jobs, "cold")] + ([peer] if peer else [])
        for row in rows:
            ratio = f"{row['episodes_per_min'] / peer['episodes_per_min']:.2f}x" if peer else "–"
            overhead = f"{row['overhead']:.1%}" if "overhead" in row else "–"
            busy_ratio = f"{busy_s_per_episode(peer) / busy_s_per_episode(row):.2f}x" if peer else "–"
            print(
                f"{row['framework']:<24} {row['n_jobs']:>4} {row['episodes']:>8} {row['errors']:>3} "
                f"{row['wall_s']:>7.1f} {row['episodes_per_min']:>7.2f} "
                f"{row['peak_pss_per_parallel_episode_mb']:>9.0f} {overhead:>8} {ratio:>11} "
                f"{busy_s_per_episode(row):>9.2f} {busy_ratio:>11} {row['cpu_s_per_episode']:>8.2f}"
            )
        ours.extend(rows[:2])
    print("where our CPU (s per episode) and memory (MB per parallel episode) go, by process:")
    for row in ours:
        parts = ", ".join(f"{kind} {seconds:.2f}" for kind, seconds in row["cpu_by_kind"].items() if seconds >= 0.005)
        print(
            f"  {row['framework']} at {row['n_jobs']}: {row['cpu_s_per_episode']:.2f} s = {parts} "
            f"({row['servers']} servers for {row['episodes']} episodes)"
        )
        parts = ", ".join(f"{kind} {mb:.0f}" for kind, mb in row["pss_by_kind"].items() if mb >= 1)
        print(f"    peak PSS per parallel episode {row['peak_pss_per_parallel_episode_mb']:.0f} MB = {parts}")
    if not args.no_breakdown:
        print_breakdown(*measure(TASKS, ACTIONS))
    if not args.no_scale:
        print_overhead_at_scale(max(args.jobs))
    print(
        f"({machine_load()} at end) targets: >= 2x AgentLab, overhead <= 5%, <= 400 MB per parallel episode, "
        f"<= 1.5 CPU s per episode"
    )


if __name__ == "__main__":
    main()
