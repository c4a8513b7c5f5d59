"""Runs cube-harness 0.1.0rc2 on miniwob-cube tasks with a scripted agent through its Ray runner; prints one JSON line.

The peer side of bench/cube.py. Run it with the cube-harness venv's python (bench/cube.py installs
it from agentlab/results_io/cube-harness-0.1.0rc2.lock.txt), never ours. It drives cube-harness as its
recipes do (an Experiment over MINIWOB_CONFIGS["default"], `run_with_ray(exp, n_cpus=N)`) and only
adds what running offline here needs: Debian's Chromium through the tool config's Playwright
launch options, a free port for miniwob-cube's page server (its default, 8000, is fixed), Ray
started on this node without its dashboard, results in a temp dir deleted afterwards.

wall_s times ray.init and `run_with_ray` (Ray's start, the page server, episodes, Ray's shutdown),
not the imports (import_s), nor Ray's failed starts (ray_failed_starts: retried up to twice);
ray_init_s is Ray's start alone. Each task is one episode (miniwob-cube seeds every page with
42). statuses maps each task to cube-harness's episode status (COMPLETED when the agent ended
it, FAILED when it raised, as --fail-on-tasks makes it); errors counts the episodes with another
status or none. With --output-dir the experiment folder cube-harness wrote is kept there (its
path is `experiment_dir` in the output).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import tempfile
import time
from pathlib import Path

from agentlab_run import DEFAULT_CHROMIUM, comma_list, load_proctree, stdout_to_stderr

HERE = Path(__file__).resolve().parent
FRAMEWORK = "cube-harness-0.1.0rc2"
REFERENCE_ACTIONS = ["noop"] * 3  # the reference workload: reset + 3 x noop, then the agent stops


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now, for miniwob-cube's page server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_ray(n_jobs: int, attempts: int = 3) -> tuple[float, int]:
    """Start Ray as run_with_ray would, minus the dashboard (it would serve on 0.0.0.0:8265); return
    when the successful start began and how many failed before it. Ray gives its raylet a fixed 30 s
    to register, which a loaded machine misses ("The current node timed out during startup")."""
    import ray

    for failed in range(attempts):
        tic = time.perf_counter()
        try:
            ray.init(num_cpus=n_jobs, include_dashboard=False, log_to_driver=True)
            return tic, failed
        except Exception as error:
            if "timed out during startup" not in str(error) or failed == attempts - 1:
                raise
            ray.shutdown()
    raise AssertionError("unreachable")


def make_experiment(
    tasks: list[str], actions: list[str], fail_on_tasks: list[str], max_steps: int, chromium: str, output_dir: Path
):
    """cube-harness's Experiment: the scripted agent on miniwob-cube's default config restricted to `tasks`,
    ending those of `fail_on_tasks` in an agent error."""
    from cube_browser_playwright import PlaywrightSessionConfig
    from cube_harness.experiment import Experiment
    from cube_scripted_agent import ScriptedCubeAgentConfig
    from miniwob_cube.configs import MINIWOB_CONFIGS

    default = MINIWOB_CONFIGS["default"]
    unknown = sorted(set(tasks) - set(default.tasks()))
    if unknown:
        raise SystemExit(f"cube_harness_run.py: unknown miniwob-cube task(s) {unknown}: e.g. click-test")
    browser = PlaywrightSessionConfig(pw_extra_kwargs={"executable_path": chromium})
    benchmark = default.model_copy(
        update={"tool_config": default.tool_config.model_copy(update={"browser": browser}), "port": free_port()}
    ).subset_from_list(tasks)
    return Experiment(
        name="cube-peer-bench",
        output_dir=output_dir,
        agent_config=ScriptedCubeAgentConfig(actions=actions, fail_on_tasks=fail_on_tasks),
        benchmark_config=benchmark,
        max_steps=max_steps,
        max_retries=0,  # as our side's retries: 0; a failed episode counts as an error
    )


def run(
    tasks: list[str],
    n_jobs: int,
    actions: list[str],
    fail_on_tasks: list[str],
    max_steps: int,
    chromium: str,
    output_dir: Path | None,
) -> dict:
    """Run the experiment in a temp dir that is deleted afterwards (the experiment folder in `output_dir`
    if given, kept); return the figures."""
    if not Path(chromium).is_file():
        raise SystemExit(f"cube_harness_run.py: Chromium not found at {chromium!r}: pass --chromium PATH")
    with tempfile.TemporaryDirectory(prefix="cube-peer-") as scratch:
        os.environ.update(
            {
                # Ray's workers unpickle cube_scripted_agent's config: they import it from PYTHONPATH
                "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
                "CH_EXP_DIR": scratch,
                "RAY_USAGE_STATS_ENABLED": "0",  # no usage report sent home
                "TMPDIR": scratch,  # Ray's session folder and the page server's logs
            }
        )
        previous_cwd = os.getcwd()
        os.chdir(scratch)  # nothing of our repo on the workers' path
        try:
            with stdout_to_stderr():
                tic = time.perf_counter()
                from cube_harness.exp_runner import run_with_ray
                from cube_harness.storage import FileStorage

                import_s = time.perf_counter() - tic
                experiment_dir = output_dir.resolve() if output_dir else Path(scratch) / "experiment"
                exp = make_experiment(tasks, actions, fail_on_tasks, max_steps, chromium, experiment_dir)
                with load_proctree().PeakPssSampler() as memory:
                    tic, failed_starts = start_ray(n_jobs)
                    ray_init_s = time.perf_counter() - tic
                    run_with_ray(exp, n_cpus=n_jobs)
                    wall_s = time.perf_counter() - tic
                statuses = {
                    status.task_id: status for status in FileStorage(exp.output_dir).list_episode_statuses().values()
                }
        finally:
            os.chdir(previous_cwd)
    return {
        "framework": FRAMEWORK,
        "experiment_dir": str(exp.output_dir) if output_dir else None,  # cube-harness adds a suffix
        "n_jobs": n_jobs,
        "episodes": len(tasks),
        "max_steps": max_steps,
        "actions": actions,
        "fail_on_tasks": fail_on_tasks,
        "import_s": round(import_s, 2),
        "wall_s": round(wall_s, 2),
        "ray_init_s": round(ray_init_s, 2),
        "ray_failed_starts": failed_starts,
        "episodes_per_min": round(len(tasks) / wall_s * 60, 2),
        "peak_pss_mb": round(memory.peak_mb, 1),
        "peak_pss_per_parallel_episode_mb": round(memory.peak_mb / min(n_jobs, len(tasks)), 1),
        "statuses": {task: statuses[task].status if task in statuses else None for task in tasks},
        "rewards": {task: statuses[task].reward for task in tasks if task in statuses},
        "errors": sum(task not in statuses or statuses[task].status != "COMPLETED" for task in tasks),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=comma_list, required=True, help="miniwob-cube task ids, comma-separated")
    parser.add_argument("--n-jobs", type=int, default=1, help="Ray workers (run_with_ray's n_cpus)")
    parser.add_argument(
        "--action",
        dest="actions",
        action="append",
        help="scripted tool call (a name, or name(key='value', ...)), repeat in order (default: 3 x noop)",
    )
    parser.add_argument(
        "--fail-on-tasks",
        type=comma_list,
        default=[],
        help="tasks (among --tasks) whose agent raises after its script: cube-harness records an agent error",
    )
    parser.add_argument("--max-steps", type=int, help="cube-harness's agent-step cap (default: the actions + 2)")
    parser.add_argument("--chromium", default=DEFAULT_CHROMIUM, help="Chromium binary (default %(default)s)")
    parser.add_argument("--output-dir", type=Path, help="keep the experiment folder there (default: deleted)")
    args = parser.parse_args()
    actions = args.actions or REFERENCE_ACTIONS
    # cube-harness ends an episode as MAX_STEPS_REACHED when its agent-step count reaches the cap,
    # before that step's call: the script's steps and the last one (no call, the end) stay below it
    max_steps = len(actions) + 2 if args.max_steps is None else args.max_steps
    if args.n_jobs < 1 or max_steps < 1:
        parser.error(f"--n-jobs and --max-steps must be >= 1, got {args.n_jobs} and {max_steps}")
    if not args.tasks:
        parser.error("--tasks must name at least one task")
    if not set(args.fail_on_tasks) <= set(args.tasks):
        parser.error(f"--fail-on-tasks {sorted(set(args.fail_on_tasks) - set(args.tasks))} are not among --tasks")
    figures = run(args.tasks, args.n_jobs, actions, args.fail_on_tasks, max_steps, args.chromium, args.output_dir)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
