"""Planning time for large studies: `snakemake -n` and `agentlab status`/`relaunch --dry-run`.

Synthetic studies of 1k, 10k and 20k MiniWoB episodes (125 tasks × seeds × agents); for the
status commands every episode gets a small synthetic summary.json (no browser is run).

    python bench/planning.py [--sizes 1000 10000 20000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import tempfile
import time
from pathlib import Path

from common import BIN, machine_load, snakemake, tool_env

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
    """A manifest and one small summary.json per episode, as the workflow would leave them."""
    from agentlab.study import load_study

    study = load_study(json.loads(json.dumps(config)))
    study_dir = workdir / "results" / study.name
    study_dir.mkdir(parents=True, exist_ok=True)
    (study_dir / "study.json").write_text(json.dumps(study.manifest()))
    rng = random.Random(0)
    for key in study.episode_keys():
        folder = study_dir / key.benchmark / key.agent / key.task / f"seed{key.seed}"
        folder.mkdir(parents=True)
        summary = {**key._asdict(), "status": rng.choice(STATUSES), "reward": 0.0, "n_steps": 3}
        (folder / "summary.json").write_text(json.dumps(summary))
    return sum(1 for _ in study.episode_keys())


def timed(command: list[str], cwd: Path) -> float:
    started = time.monotonic()
    subprocess.run(command, cwd=cwd, env=tool_env(), check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 20000])
    sizes = parser.parse_args().sizes
    print(f"planning benchmark ({machine_load()})")
    print(f"{'episodes':>9} {'snakemake -n (s)':>17} {'ms/episode':>11} {'status (s)':>11} {'relaunch -n (s)':>16}")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="agentlab-plan-") as tmp:
            workdir = Path(tmp)
            config = study_config(size)
            dry_run = snakemake(workdir, config, "--dry-run", "--quiet", "all", "--cores", "2")
            n = write_synthetic_results(workdir, config)
            study_dir = workdir / "results" / config["study"]
            status = timed([str(BIN / "agentlab"), "status", str(study_dir)], workdir)
            relaunch = timed(
                [str(BIN / "agentlab"), "relaunch", str(study_dir), "--mode", "server_errors", "--dry-run"], workdir
            )
            print(f"{n:>9} {dry_run:>17.1f} {1000 * dry_run / n:>11.2f} {status:>11.2f} {relaunch:>16.2f}")
    print("targets at 20k episodes: snakemake -n <= 40 s, status <= 5 s")


if __name__ == "__main__":
    main()
