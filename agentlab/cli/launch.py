"""The original AgentLab's `launch_exp.py` flags, mapped onto a study config and the same Snakemake workflow.

    agentlab launch --agent_config agentlab.agents.generic_agent.AGENT_4o --benchmark miniwob --n_jobs -1

`--exp_config` names a function (Python path) that returns a study config dict, or a YAML study
file; `--extra_kwargs` (JSON) are passed to that function.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from ..agents.registry import load_agent_args
from ..benchmarks import UnknownBenchmarkError
from ..core.errors import ConfigError
from ..core.layout import RESULTS_DIR
from ..machine.runlock import remove_stale_lock
from ..study.relaunch import MODES, NO_RELAUNCH, archive_episodes, select_episodes

CHECKOUT_SNAKEFILE = Path(__file__).resolve().parents[2] / "Snakefile"  # the workflow beside the package
ORIGINAL_BENCHMARK_NAMES = {
    "workarena.l1": "workarena_l1",
    "workarena.l2": "workarena_l2",
    "workarena.l3": "workarena_l3",
}


def run_agent_on_benchmark(
    agent_config: str,
    benchmark: str,
    tasks: str | list[str] = "all",
    seeds: list[int] | None = None,
    max_steps: int | None = None,
    study: str | None = None,
    agent_overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The original AgentLab's default experiment: one agent on every task of a benchmark.

    Seeds: the benchmark's own (MiniWoB's 5 per task as BrowserGym draws them, WorkArena's curriculum,
    WebArena's seed 0), else five per task.
    """
    from ..benchmarks import get_benchmark

    agent_name = agent_config.rsplit(".", 1)[-1].lower().replace("_", "-")
    settings: dict[str, Any] = {"tasks": tasks}
    known = get_benchmark(benchmark)
    if seeds is not None or not (known.default_seeds or known.curriculum):
        settings["seeds"] = list(seeds if seeds is not None else range(5))
    if max_steps is not None:
        settings["max_steps"] = max_steps
    return {
        "study": study or f"{agent_name}-on-{benchmark}",
        "benchmarks": {benchmark: settings},
        "agents": {agent_name: {"config": agent_config, "overrides": agent_overrides or {}}},
    }


# The original AgentLab's experiment functions, by the names its README gives them.
ORIGINAL_EXP_CONFIGS = {
    "agentlab.agents.generic_agent.final_run": run_agent_on_benchmark,  # the agent on the whole benchmark
}


def study_config(exp_config: str, agent_config: str | None, benchmark: str, extra_kwargs: dict) -> dict:
    """The study config a seed command line describes."""
    if exp_config.endswith((".yaml", ".yml")):
        return yaml.safe_load(Path(exp_config).read_text())
    module_name, _, name = exp_config.rpartition(".")
    try:
        function = ORIGINAL_EXP_CONFIGS.get(exp_config) or getattr(__import__(module_name, fromlist=[name]), name)
    except (ImportError, AttributeError, ValueError):
        raise ConfigError(
            f"--exp_config {exp_config!r} is neither a YAML study file nor a Python path "
            "to a function; allowed e.g. agentlab.cli.launch.run_agent_on_benchmark"
        ) from None
    if agent_config is None:
        raise ConfigError(
            "--agent_config is missing; allowed: a Python path such as agentlab.agents.generic_agent.AGENT_4o"
        )
    load_agent_args(agent_config)  # fails early, in one line, on a bad path
    try:
        return function(
            agent_config=agent_config, benchmark=ORIGINAL_BENCHMARK_NAMES.get(benchmark, benchmark), **extra_kwargs
        )
    except TypeError as error:
        raise ConfigError(f"--extra_kwargs do not fit {exp_config}: {error}") from None
    except UnknownBenchmarkError as error:
        raise ConfigError(f"--benchmark {benchmark!r}: {error}") from None


def workflow_snakefile(given: str | None) -> Path:
    """The workflow to run: --snakefile, else the Snakefile of the checkout this package is in."""
    snakefile = Path(given) if given else CHECKOUT_SNAKEFILE
    if not snakefile.is_file():
        raise ConfigError(
            f"no Snakefile at {snakefile}; allowed: --snakefile PATH of this project's workflow "
            "(a clone of its repository)"
        )
    return snakefile


def n_cores(n_jobs: int) -> int:
    if n_jobs == -1:
        return os.cpu_count() or 1
    if n_jobs < 1:
        raise ConfigError(f"--n_jobs {n_jobs} is not allowed; allowed: -1 (all cores) or a positive number")
    return n_jobs


def launch(args: Any) -> int:
    """Write the study config under --exp_root, relaunch what --relaunch_mode selects, run Snakemake."""
    from ..study.config import check_config_size, load_study

    cores = n_cores(args.n_jobs)
    try:
        extra_kwargs = json.loads(args.extra_kwargs)
    except json.JSONDecodeError as error:
        raise ConfigError(f"--extra_kwargs {args.extra_kwargs!r} is not JSON ({error.msg})") from None
    config = study_config(args.exp_config, args.agent_config, args.benchmark, extra_kwargs)
    check_config_size(config)  # before the copy below walks a YAML alias bomb
    study = load_study(json.loads(json.dumps(config)))  # validated before anything starts
    root = Path(args.exp_root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    config_file = root / f"{study.name}.yaml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    if args.debug:
        from .debug import debug_episode

        return debug_episode(config_file, post_mortem=args.pdb, workdir=root)

    if not args.dry_run:
        said = remove_stale_lock(root)
        if said:
            print(f"agentlab: {said}", file=sys.stderr)
    study_dir = root / RESULTS_DIR / study.name
    if args.relaunch_mode not in (None, NO_RELAUNCH) and MODES[args.relaunch_mode] and study_dir.is_dir():
        keys = select_episodes(study_dir, args.relaunch_mode)
        if keys and args.dry_run:
            print(f"would relaunch {len(keys)} episodes (dry run: nothing moved)")
        elif keys:
            print(f"relaunching {len(keys)} episodes; old ones kept in {archive_episodes(study_dir, keys)}")
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(workflow_snakefile(args.snakefile)),
        "--directory",
        str(root),
        "--configfile",
        str(config_file),
        "--cores",
        str(cores),
        "--resources",
        f"browser={cores}",
        *(["--dry-run"] if args.dry_run else []),
    ]
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(command, env=environment).returncode
