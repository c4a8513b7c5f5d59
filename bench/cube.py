"""CUBE episodes, ours vs cube-harness 0.1.0rc2's own runner: the same miniwob-cube tasks, side by side.

The workload: the ten MiniWoB tasks of the other benches as miniwob-cube 1.1.0 tasks (one episode
each: the cube seeds every page alike), each episode a reset and 3 x noop (BrowserGym's, 1 s each)
by a scripted agent, at 1 and 8 parallel episodes. Ours runs a real Snakemake study of the cube
(the replay agent playing noop() x 3, max_steps 4: it stops after its script; --cores N
--resources browser=N). cube-harness runs in its own venv (bench/peer/, installed on first use
into ~/.cache/agentlab/ from agentlab/results_io/cube-harness-0.1.0rc2.lock.txt): an Experiment driven
by `run_with_ray(exp, n_cpus=N)`, Ray on this node without its dashboard, its scripted agent
calling noop x 3, then a step with no call, its end (bench/peer/cube_scripted_agent.py).

Per framework and level it prints episodes/min, the ratio ours/theirs, CPU seconds per episode
(every process of the run, Chromiums and Ray's daemons included, sampled from /proc), peak PSS
of the whole run and per parallel episode, and errors (episodes not ended by their agent: our
agent_error/infra_error/eval_error, cube-harness's episodes not COMPLETED). Then where each run's
CPU and peak memory went, by process. Our wall time is the whole `snakemake` run (planning,
episodes, tables, report); cube-harness's is ray.init + run_with_ray (Ray's start and shutdown,
the cube's page server, episodes), not its imports. The target: ours >= 3x cube-harness's
episodes/min at 8 parallel.

    python bench/cube.py [--parallel 1 8] [--tasks 10] [--no-ours] [--no-peer]
    python bench/cube.py --parallel 1 --tasks 2            # small: minutes
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from common import MINIWOB_TASKS, REPO, RunSampler, machine_load, snakemake, tool_env

from agentlab.benchmarks.cube.environment import CubeEnvironment
from agentlab.results_io.cube_harness_environment import CUBE_HARNESS as PEER
from agentlab.results_io.cube_harness_environment import CubeHarnessEnvironment

TASKS = MINIWOB_TASKS
ACTIONS = ["noop()"] * 3
MAX_STEPS = len(ACTIONS) + 1  # room for the step where the replay agent, its script over, stops
CUBE = "miniwob-cube"
PEER_RUN = REPO / "bench" / "peer" / "cube_harness_run.py"
ERRORS = ("agent_error", "infra_error", "eval_error")


def install(environment: CubeEnvironment) -> None:
    """Install a pinned venv on first use, saying what was done and how long it took."""
    started = time.monotonic()
    done = environment.install()
    print(done + (f" in {time.monotonic() - started:.0f} s" if done.startswith("installed") else ""), flush=True)


def run_ours(parallel: int, tasks: list[str]) -> dict:
    install(CubeEnvironment.configured())  # the cubes' venv (agentlab cube install)
    with tempfile.TemporaryDirectory(prefix="agentlab-cube-bench-") as tmp:
        workdir = Path(tmp)
        trace = workdir / "noops.jsonl"
        trace.write_text("".join(json.dumps({"action": action}) + "\n" for action in ACTIONS))
        config = {
            "study": "cube",
            "benchmarks": {CUBE: {"cube": CUBE, "tasks": tasks, "max_steps": MAX_STEPS}},
            "agents": {"scripted": {"config": "agentlab.agents.replay.REPLAY", "overrides": {"trace": str(trace)}}},
            "episode": {"retries": 0},
        }
        marker = uuid.uuid4().hex
        env = tool_env(AGENTLAB_BENCH_MARK=marker)
        with RunSampler(marker) as sampler:
            try:
                # --cores too: Snakemake's local executor runs at most --cores + 5 jobs at once
                cores = str(max(2, parallel))
                wall = snakemake(workdir, config, "--cores", cores, "--resources", f"browser={parallel}", env=env)
            except subprocess.CalledProcessError as error:
                return {"framework": "ours", "failed": f"snakemake exited with {error.returncode}"}
        summaries = [json.loads(p.read_text()) for p in workdir.glob(f"results/cube/{CUBE}/*/*/*/summary.json")]
    return {
        "framework": "ours",
        "episodes": len(tasks),
        "errors": len(tasks) - len(summaries) + sum(s["status"] in ERRORS for s in summaries),
        "wall_s": wall,
        "cpu_s": sampler.cpu_seconds(),
        "cpu_by_kind": sampler.cpu_by_kind(),
        "peak_pss_mb": sampler.peak_mb,
        "peak_pss_by_kind": sampler.peak_by_kind_mb,
        "phases": {
            key: sum(s["timings"].get(key) or 0 for s in summaries) / max(len(summaries), 1)
            for key in ("setup_s", "reset_s", "agent_s", "env_step_s", "total_s")
        },
    }


def run_theirs(parallel: int, tasks: list[str]) -> dict:
    environment = CubeHarnessEnvironment.configured()
    install(environment)
    marker = uuid.uuid4().hex
    env = {**os.environ, **environment.offline_variables(), "AGENTLAB_BENCH_MARK": marker}
    command = [str(environment.python), str(PEER_RUN), "--tasks", ",".join(tasks), "--n-jobs", str(parallel)]
    with RunSampler(marker) as sampler:
        process = subprocess.run(command, capture_output=True, text=True, env=env)
    if process.returncode != 0:
        return {"framework": PEER, "failed": f"exited with {process.returncode}: {process.stderr.strip()[-400:]}"}
    result = json.loads(process.stdout.strip().splitlines()[-1])
    return {
        "framework": PEER,
        "episodes": result["episodes"],
        "errors": result["errors"],
        "wall_s": result["wall_s"],
        "cpu_s": sampler.cpu_seconds(),  # its imports included
        "cpu_by_kind": sampler.cpu_by_kind(),
        "peak_pss_mb": sampler.peak_mb,
        "peak_pss_by_kind": sampler.peak_by_kind_mb,
        "phases": {"import_s": result["import_s"], "ray_init_s": result["ray_init_s"]},
        "ray_failed_starts": result["ray_failed_starts"],
        "statuses": result["statuses"],
    }


def per_min(row: dict) -> float:
    return 60 * row["episodes"] / row["wall_s"]


def print_row(row: dict, parallel: int, theirs: dict | None) -> None:
    if "failed" in row:
        print(f"{row['framework']:<22} {parallel:>4}  failed: {row['failed']}")
        return
    ratio = f"{per_min(row) / per_min(theirs):.2f}x" if theirs and "failed" not in theirs else "–"
    print(
        f"{row['framework']:<22} {parallel:>4} {row['episodes']:>8} {row['errors']:>4} {row['wall_s']:>7.1f} "
        f"{per_min(row):>7.2f} {ratio:>11} {row['cpu_s'] / row['episodes']:>8.2f} {row['peak_pss_mb']:>8.0f} "
        f"{row['peak_pss_mb'] / min(parallel, row['episodes']):>9.0f}"
    )


def print_where(row: dict, parallel: int) -> None:
    """Where a run's CPU and peak memory went, by process, and its phase times."""
    if "failed" in row:
        return
    total = row["cpu_s"]
    parts = ", ".join(
        f"{kind} {seconds:.1f} s ({seconds / total:.0%})"
        for kind, seconds in row["cpu_by_kind"].items()
        if seconds >= 0.01 * total
    )
    print(f"  {row['framework']} at {parallel}: CPU {total:.1f} s = {total / row['episodes']:.2f} s/episode: {parts}")
    memory = sorted(row["peak_pss_by_kind"].items(), key=lambda item: -item[1])
    print(
        f"    peak PSS {row['peak_pss_mb']:.0f} MB: " + ", ".join(f"{kind} {mb:.0f}" for kind, mb in memory if mb >= 1)
    )
    print("    " + ", ".join(f"{key} {seconds:.2f}" for key, seconds in row["phases"].items()))
    if row.get("ray_failed_starts"):
        print(f"    Ray failed to start {row['ray_failed_starts']} time(s) first (its raylet's 30 s), not timed")
    bad = {task: status for task, status in row.get("statuses", {}).items() if status != "COMPLETED"}
    if bad:
        print(f"    episodes not COMPLETED: {bad}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--tasks", type=int, default=len(TASKS), help=f"the first N of {len(TASKS)} MiniWoB tasks")
    parser.add_argument("--no-ours", action="store_true", help="skip our Snakemake study (the peer alone)")
    parser.add_argument("--no-peer", action="store_true", help=f"skip {PEER}")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each row as it is measured
    tasks = TASKS[: args.tasks]
    print(
        f"cube: {len(tasks)} {CUBE} tasks, reset + {len(ACTIONS)} x noop by a scripted agent; {machine_load()} at start"
    )
    print(
        f"{'framework':<22} {'par':>4} {'episodes':>8} {'err':>4} {'wall s':>7} {'ep/min':>7} {'ours/theirs':>11} "
        f"{'CPU s/ep':>8} {'PSS MB':>8} {'PSS/ep MB':>9}"
    )
    measured = []
    for parallel in args.parallel:
        theirs = None if args.no_peer else run_theirs(parallel, tasks)
        ours = None if args.no_ours else run_ours(parallel, tasks)
        for row in filter(None, [ours, theirs]):
            print_row(row, parallel, theirs if row is ours else None)
        measured.append((parallel, ours, theirs))
    print("where the CPU (every process of the run) and the peak memory went:")
    for parallel, ours, theirs in measured:
        for row in filter(None, [ours, theirs]):
            print_where(row, parallel)
    print(f"({machine_load()} at end) target: ours >= 3x {PEER}'s episodes/min at 8 parallel")


if __name__ == "__main__":
    main()
