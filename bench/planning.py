"""Planning time for large studies: `snakemake -n`, a run with nothing to do, `agentlab status`
and `relaunch --dry-run`, each with its wall time, time per episode and peak memory.

Synthetic studies of 1k to 100k MiniWoB episodes (125 tasks × seeds × agents, no browser run):
`snakemake -n` plans every episode of a study not yet run; then every episode gets a small
summary.json and the tables, plots and report files exist (newer than the summaries), so
`snakemake` has nothing to do. The synthetic study has no Snakemake metadata (.snakemake/), so
that run checks every output's existence and age but has no recorded params to compare. Status
is counted twice: the first count reads every summary, the next ones (and relaunch) only stat them.
The first row is Snakemake's own floor: a dry run of as many bare jobs (bench/planning_floor.smk).

    python bench/planning.py [--sizes 1000 10000 20000 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

from common import BIN, REPO, machine_load, snakemake_command, tool_env

N_TASKS = 125
STATUSES = ["success"] * 6 + ["failure"] * 3 + ["infra_error"]


def study_config(size: int) -> dict:
    agents = 1 if size <= 1000 else 2
    seeds = size // (N_TASKS * agents)
    return {
        "study": f"plan{size}",
        "benchmarks": {"miniwob": {"tasks": "all", "seeds": list(range(seeds)), "max_steps": 5}},
        "agents": {f"replay{i}": {"config": "agentlab.agents.replay.REPLAY"} for i in range(agents)},
    }


def write_synthetic_results(workdir: Path, config: dict) -> int:
    """A manifest and one small summary.json per episode, as the workflow would leave them, then
    the aggregate and report rules' outputs (placeholders, newer than every summary)."""
    from agentlab.core.layout import PLOTS, REPORT_DIR, TABLES
    from agentlab.study.config import load_study

    study = load_study(json.loads(json.dumps(config)))
    study_dir = workdir / "results" / study.name
    study_dir.mkdir(parents=True, exist_ok=True)
    (study_dir / "study.json").write_text(json.dumps(study.manifest()))
    rng = random.Random(0)
    for key in study.episode_keys():
        folder = study_dir / key.benchmark / key.agent / key.task / f"seed{key.seed}"
        folder.mkdir(parents=True)
        summary = {
            **key._asdict(),
            "status": rng.choice(STATUSES),
            "reward": 0.0,
            "n_steps": 3,
            "spec": json.loads(study.spec_json(*key)),
            "config_hash": study.config_hash(key.benchmark, key.agent),
        }
        (folder / "summary.json").write_text(json.dumps(summary))
    time.sleep(0.05)  # outputs strictly newer than their inputs
    for name in [*TABLES.values(), *PLOTS.values(), f"{REPORT_DIR}/index.html"]:
        (study_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (study_dir / name).write_text("synthetic\n")
    (study_dir / REPORT_DIR / "episodes").mkdir(exist_ok=True)
    return sum(1 for _ in study.episode_keys())


def measured(command: list[str], cwd: Path) -> tuple[float, float]:
    """Run `command`; return its wall time in seconds and its peak resident memory in MB."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=cwd, env=tool_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 20000, 100000])
    sizes = parser.parse_args().sizes
    print(f"planning benchmark ({machine_load()})")
    print(f"{'episodes':>9}  {'command':<28} {'seconds':>8} {'ms/episode':>11} {'peak MB':>8}")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="agentlab-plan-") as tmp:
            workdir = Path(tmp)
            config = study_config(size)
            (workdir / "config.yaml").write_text(json.dumps(config))
            floor = [
                str(BIN / "snakemake"),
                "--snakefile",
                str(REPO / "bench" / "planning_floor.smk"),
                "--directory",
                str(workdir / "floor"),
                "--config",
                f"episodes={size}",
                "--cores",
                "2",
                "--dry-run",
                "--quiet",
                "all",
            ]
            figures = {
                "snakemake -n (bare, floor)": measured(floor, workdir),
                "snakemake -n": measured(
                    snakemake_command(workdir, "--cores", "2", "--dry-run", "--quiet", "all"), workdir
                ),
            }
            n = write_synthetic_results(workdir, config)
            study_dir = str(workdir / "results" / config["study"])
            figures["snakemake (nothing to do)"] = measured(
                snakemake_command(workdir, "--cores", "2", "--quiet", "all"), workdir
            )
            status = [str(BIN / "agentlab"), "status", study_dir]
            figures["agentlab status (first)"] = measured(status, workdir)  # reads every summary
            figures["agentlab status (again)"] = measured(status, workdir)  # from its cache (agentlab/study/status.py)
            figures["relaunch --dry-run"] = measured(
                [str(BIN / "agentlab"), "relaunch", study_dir, "--mode", "server_errors", "--dry-run"], workdir
            )
            for name, (seconds, peak_mb) in figures.items():
                print(f"{n:>9}  {name:<28} {seconds:>8.1f} {1000 * seconds / n:>11.3f} {peak_mb:>8.0f}", flush=True)
    print("targets at 100k episodes: snakemake -n <= 60 s and <= 1.5 GB; status and relaunch --dry-run <= 2 s")
    print(f"({machine_load()} at the end: the machine is shared, compare figures of one run)")


if __name__ == "__main__":
    main()
