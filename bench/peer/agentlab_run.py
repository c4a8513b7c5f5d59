"""Runs ServiceNow AgentLab 0.4.2 on MiniWoB tasks x seeds (a scripted or one of its own agents); prints one JSON line.

The peer side of bench/throughput.py and of the bridge's tests. Run it with AgentLab's python, in
the environment the bridge runs it in (bench/common.py's agentlab_interpreter: `agentlab bridge
install`, offline variables), never ours: both packages are called `agentlab`. It drives AgentLab
as its users do (a Study run with the joblib backend, AgentLab's defaults: chat window,
pre_observation_delay, relaunches) and only adds what running offline here needs.

wall_s times `Study.run` (worker start-up, episodes, AgentLab's bookkeeping), not the imports
(import_s). peak_pss_mb is the whole process tree's peak PSS (Chromiums included), sampled every
0.2 s; per parallel episode it is divided by min(n_jobs, episodes). rewards maps "task/seedN" to
AgentLab's cum_reward; errors counts episodes with an err_msg or without a result. With
--results-dir the study folder AgentLab wrote is kept there (its path is `study_dir` in the output).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROCTREE = HERE.parents[1] / "agentlab" / "machine" / "proctree.py"

FRAMEWORK = "agentlab-0.4.2"
REFERENCE_ACTIONS = ["noop()"] * 3  # the reference workload: reset + 3 x noop()
DEFAULT_CHROMIUM = os.environ.get("AGENTLAB_CHROMIUM", "/usr/lib/chromium/chromium")


def load_proctree():
    """Our `agentlab/machine/proctree.py` (standard library only), loaded by path: importing our package here
    would clash with ServiceNow's, also named `agentlab`. Both sides' memory is measured by it."""
    spec = importlib.util.spec_from_file_location("ours_proctree", PROCTREE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def package_dir(name: str) -> Path:
    """Where an installed package lives, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise SystemExit(f"agentlab_run.py: package {name!r} is missing: run with the peer venv's python")
    return Path(next(iter(spec.submodule_search_locations)))


def offline_environment(scratch: Path, chromium: str) -> dict[str, str]:
    """Environment AgentLab and its joblib workers need to run here besides the bridge's offline
    variables (nltk, tiktoken, litellm: given by the caller): Debian's Chromium, the pages, a scratch dir.

    - Playwright looks for its own Chromium build under PLAYWRIGHT_BROWSERS_PATH: a link there
      to Debian's Chromium serves both of BrowserGym's launches (task and chat window) in every
      worker, without patching AgentLab or running `playwright install`;
    - MiniWoB pages from the `miniwob` package inside the peer venv, unless MINIWOB_URL says otherwise;
    - AgentLab writes its results under AGENTLAB_EXP_ROOT, here a temp dir deleted afterwards.
    """
    if not Path(chromium).is_file():
        raise SystemExit(f"agentlab_run.py: Chromium not found at {chromium!r}: pass --chromium PATH")
    playwright_browsers = json.loads((package_dir("playwright") / "driver/package/browsers.json").read_text())
    revision = next(b["revision"] for b in playwright_browsers["browsers"] if b["name"] == "chromium")
    chrome = scratch / "ms-playwright" / f"chromium-{revision}" / "chrome-linux" / "chrome"
    chrome.parent.mkdir(parents=True)
    chrome.symlink_to(chromium)
    return {
        "PLAYWRIGHT_BROWSERS_PATH": str(scratch / "ms-playwright"),
        "MINIWOB_URL": os.environ.get("MINIWOB_URL") or (package_dir("miniwob") / "html" / "miniwob").as_uri() + "/",
        "AGENTLAB_EXP_ROOT": str(scratch / "results"),
        # workers unpickle scripted_agent.ScriptedAgentArgs
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
    }


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send whatever AgentLab and its workers print to stderr, so stdout carries only our JSON."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def make_benchmark(tasks: list[str], seeds: list[int], max_steps: int):
    """AgentLab's MiniWoB benchmark restricted to `tasks` x `seeds`, each episode `max_steps` long."""
    from agentlab.experiments.loop import EnvArgs
    from bgym import DEFAULT_BENCHMARKS

    miniwob = DEFAULT_BENCHMARKS["miniwob"](n_repeats=1)
    unknown = sorted(set(tasks) - {name.removeprefix("miniwob.") for name in miniwob.task_metadata["task_name"]})
    if unknown:
        raise SystemExit(f"agentlab_run.py: unknown MiniWoB task(s) {unknown}: use BrowserGym's names, e.g. click-test")
    env_args = [
        EnvArgs(task_name=f"miniwob.{task}", task_seed=seed, max_steps=max_steps) for task in tasks for seed in seeds
    ]
    return dataclasses.replace(miniwob, name="miniwob_peer_bench", env_args_list=env_args)


def make_agent_args(
    actions: list[str], record_dir: str | None, agent: str | None, overrides: dict, fail_on: list[str] | None = None
):
    """AgentLab AgentArgs: `agent` (a Python path, e.g. agentlab.agents.generic_agent.AGENT_4o) with dotted
    `overrides`, applied as the bridge applies them; else the scripted agent playing `actions` (raising
    on the tasks of `fail_on`)."""
    from scripted_agent import ScriptedAgentArgs, wire

    if agent is None:
        failing = tuple(f"miniwob.{task}" for task in fail_on or [])
        return ScriptedAgentArgs(actions=tuple(actions), record_dir=record_dir, fail_on_tasks=failing)
    return wire.apply_overrides(wire.load_agent_args(agent), overrides)


def episode_steps(result) -> list[dict]:
    """Each step's first request to the model (its first two chat messages) and the action chosen."""
    from scripted_agent import wire

    steps = []
    for step in result.steps_info:
        if step.action is None and not step.agent_info:
            continue  # the final observation, which no agent saw
        messages = wire.chat_messages(step.agent_info.get("chat_messages") if step.agent_info else None)
        steps.append({"step": step.step, "messages": messages[:2], "action": step.action})
    return steps


def run(
    tasks: list[str],
    seeds: list[int],
    max_steps: int,
    n_jobs: int,
    actions: list[str],
    chromium: str,
    record_dir: str | None = None,
    agent: str | None = None,
    overrides: dict | None = None,
    results_dir: str | None = None,
    fail_on: list[str] | None = None,
) -> dict:
    """Run the study in a temp dir that is deleted afterwards (its results kept in `results_dir` if given);
    return the figures."""
    with tempfile.TemporaryDirectory(prefix="agentlab-peer-") as scratch:
        os.environ.update(offline_environment(Path(scratch), chromium))
        if results_dir is not None:
            os.environ["AGENTLAB_EXP_ROOT"] = str(Path(results_dir).resolve())
        previous_cwd = os.getcwd()
        os.chdir(scratch)  # workers put the cwd on sys.path: our repo's `agentlab` must not shadow theirs
        try:
            with stdout_to_stderr():
                tic = time.perf_counter()
                from agentlab.experiments.loop import yield_all_exp_results
                from agentlab.experiments.study import Study

                import_s = time.perf_counter() - tic
                agent_args = make_agent_args(actions, record_dir, agent, overrides or {}, fail_on)
                study = Study([agent_args], make_benchmark(tasks, seeds, max_steps))
                with load_proctree().PeakPssSampler() as memory:
                    tic = time.perf_counter()
                    try:
                        study.run(n_jobs=n_jobs, parallel_backend="joblib")
                    except AttributeError as error:
                        # AgentLab 0.4.2's Study.run summarizes its results after the episodes and its
                        # error_report fails on a study that mixes errors and results (a NaN err_msg):
                        # the episodes are on disk; say so and go on
                        study_error = f"{type(error).__name__}: {error}"
                    else:
                        study_error = None
                    wall_s = time.perf_counter() - tic
                results = list(yield_all_exp_results(study.dir, progress_fn=None))
                episodes = len(tasks) * len(seeds)
                rewards, steps = {}, {}
                errors = episodes - len(results)  # episodes without a result count as errors
                for result in results:
                    env_args, summary = result.exp_args.env_args, result.summary_info
                    key = f"{env_args.task_name.removeprefix('miniwob.')}/seed{env_args.task_seed}"
                    rewards[key] = summary.get("cum_reward")
                    errors += bool(summary.get("err_msg"))
                    if agent is not None:
                        steps[key] = episode_steps(result)
        finally:
            os.chdir(previous_cwd)
    return {
        "framework": FRAMEWORK,
        "n_jobs": n_jobs,
        "episodes": episodes,
        "max_steps": max_steps,
        "actions": actions,
        "import_s": round(import_s, 2),
        "wall_s": round(wall_s, 2),
        "episodes_per_min": round(episodes / wall_s * 60, 2),
        "peak_pss_mb": round(memory.peak_mb, 1),
        "peak_pss_per_parallel_episode_mb": round(memory.peak_mb / min(n_jobs, episodes), 1),
        "rewards": dict(sorted(rewards.items())),
        "errors": errors,
        **({"study_dir": str(study.dir)} if results_dir is not None else {}),
        **({"study_error": study_error} if study_error else {}),
        **({"steps": dict(sorted(steps.items()))} if agent is not None else {}),
    }


def comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def seed_list(text: str) -> list[int]:
    return [int(seed) for seed in comma_list(text)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=comma_list, required=True, help="MiniWoB task names, comma-separated")
    parser.add_argument("--seeds", type=seed_list, default=[0, 1], help="comma-separated (default 0,1)")
    parser.add_argument("--n-jobs", type=int, default=1, help="joblib workers")
    parser.add_argument(
        "--action", dest="actions", action="append", help="scripted action, repeat in order (default: 3 x noop())"
    )
    parser.add_argument("--max-steps", type=int, help="default: the number of actions")
    parser.add_argument("--chromium", default=DEFAULT_CHROMIUM, help="Chromium binary (default %(default)s)")
    parser.add_argument("--record-dir", help="save each observation the agent sees under this folder")
    parser.add_argument(
        "--agent",
        help="an AgentLab AgentArgs by Python path instead of the scripted agent "
        "(the output then has each step's first request and action)",
    )
    parser.add_argument("--overrides", type=json.loads, default={}, help="dotted overrides of --agent, as JSON")
    parser.add_argument("--results-dir", help="keep AgentLab's study folder under this folder")
    parser.add_argument("--fail-on", type=comma_list, default=[], help="tasks on which the scripted agent raises")
    args = parser.parse_args()
    actions = args.actions or REFERENCE_ACTIONS
    max_steps = len(actions) if args.max_steps is None else args.max_steps
    if args.n_jobs < 1 or max_steps < 1:
        parser.error(f"--n-jobs and --max-steps must be >= 1, got {args.n_jobs} and {max_steps}")
    if not args.tasks or not args.seeds:
        parser.error("--tasks and --seeds must name at least one task and one seed")
    figures = run(
        args.tasks,
        args.seeds,
        max_steps,
        args.n_jobs,
        actions,
        args.chromium,
        args.record_dir,
        args.agent,
        args.overrides,
        args.results_dir,
        args.fail_on,
    )
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
