"""The `agentlab` command: what the Snakemake rules call, and tools for studies.

Each subcommand imports what it needs when it runs, so `agentlab episode` starts fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from ..core.errors import ConfigError
from ..core.layout import RESULTS_DIR
from ..foreign.pinned_venv import PinnedVenv
from ..results_io import EXPORT_FORMATS
from ..study.relaunch import MODES as RELAUNCH_MODES
from ..study.relaunch import NO_RELAUNCH


def existing_study(path: Path) -> Path:
    """`path` if it is a study folder; ConfigError (one line) otherwise."""
    if not path.is_dir():
        raise ConfigError(f"study folder {str(path)!r} does not exist; allowed: results/<study>")
    return path


def cmd_episode(args: argparse.Namespace) -> int:
    from ..core.budget import Budget
    from ..episode.spec import EpisodeSpec, RunLimits
    from ..llm.limiter import LIMITS_ENV, configured_limits
    from ..machine.slots import RESETS_ENV

    spec = EpisodeSpec.from_json(args.spec)
    if args.max_concurrent_requests:  # workers and warm servers inherit them
        os.environ[LIMITS_ENV] = args.max_concurrent_requests
        configured_limits()  # a malformed value: one line now
    if args.max_concurrent_resets:
        os.environ[RESETS_ENV] = str(args.max_concurrent_resets)
    if args.debug:
        from .debug import run_in_foreground

        return run_in_foreground(spec, args.out, post_mortem=args.pdb)
    from ..episode.supervisor import run_supervised

    limits = RunLimits(
        step_timeout_s=args.step_timeout,
        episode_timeout_s=args.episode_timeout,
        attempt=args.attempt,
        max_attempts=args.max_attempts,
        warm=args.workers == "warm",
        budget=Budget.from_json(args.budget),
        study_dir=args.study_dir,
    )
    return run_supervised(spec, limits, args.out)


def episode_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab episode`'s arguments."""
    from ..episode.spec import RunLimits

    parser.add_argument("--spec", required=True, help="the EpisodeSpec, as JSON")
    parser.add_argument("--out", required=True, type=Path, help="episode folder (gets summary.json)")
    parser.add_argument("--attempt", type=int, default=1, help="Snakemake's attempt number")
    parser.add_argument("--max-attempts", type=int, default=1)
    parser.add_argument(
        "--step-timeout", type=float, default=RunLimits.step_timeout_s, help="seconds per reset/agent call/step"
    )
    parser.add_argument(
        "--episode-timeout", type=float, default=RunLimits.episode_timeout_s, help="seconds per episode"
    )
    parser.add_argument(
        "--workers",
        choices=["warm", "cold"],
        default="warm" if RunLimits.warm else "cold",
        help="warm: reuse an episode server with a running browser; cold: a new process",
    )
    parser.add_argument("--budget", default="{}", help="spending limits (agentlab.core.budget.Budget) as JSON")
    parser.add_argument(
        "--max-concurrent-requests",
        default="",
        help="JSON {LLM base URL: most requests in flight at once from this machine}",
    )
    parser.add_argument(
        "--max-concurrent-resets",
        type=int,
        choices=range(1, 1025),
        metavar="N",
        help="most page resets at once on this machine (default: its CPUs)",
    )
    parser.add_argument("--study-dir", help="results/<study>: keep its spend ledger, check budget.max_cost_usd")
    parser.add_argument("--debug", action="store_true", help="run in the foreground and raise errors")
    parser.add_argument("--pdb", action="store_true", help="with --debug: post-mortem debugger at the error")


def cmd_debug(args: argparse.Namespace) -> int:
    from .debug import debug_episode

    return debug_episode(args.config, args.benchmark, args.agent, args.task, args.seed, post_mortem=args.pdb)


def debug_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab debug`'s arguments."""
    parser.add_argument("config", type=Path, help="a study config (YAML)")
    parser.add_argument("--benchmark")
    parser.add_argument("--agent")
    parser.add_argument("--task")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--pdb", action="store_true", help="post-mortem debugger at the error")


def cmd_launch(args: argparse.Namespace) -> int:
    from .launch import launch

    return launch(args)


def launch_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab launch`'s arguments."""
    parser.add_argument("--exp_root", default=".", help="folder for results/ and the study config")
    parser.add_argument("--n_jobs", type=int, default=1, help="parallel episodes; -1 = all cores")
    parser.add_argument(
        "--exp_config",
        default="agentlab.cli.launch.run_agent_on_benchmark",
        help="Python path of a function returning a study config, or a YAML study file",
    )
    parser.add_argument("--benchmark", default="miniwob", help="e.g. miniwob, workarena.l1")
    parser.add_argument("--agent_config", help="Python path of an agent config")
    parser.add_argument(
        "--relaunch_mode",
        choices=[NO_RELAUNCH, *RELAUNCH_MODES],
        help="relaunch these episodes of an existing study first (None: none)",
    )
    parser.add_argument("--extra_kwargs", default="{}", help="JSON keyword arguments for --exp_config")
    parser.add_argument("--debug", action="store_true", help="run the first episode in the foreground")
    parser.add_argument("--dry-run", action="store_true", help="write the study config and show what would run")
    parser.add_argument("--snakefile", help="the workflow (default: the Snakefile of this package's checkout)")
    parser.add_argument("--pdb", action="store_true", help="with --debug: post-mortem debugger at the error")


def cmd_unlock_stale(args: argparse.Namespace) -> int:
    from ..machine.runlock import remove_stale_lock

    said = remove_stale_lock(args.directory)
    if said:
        print(f"agentlab: {said}", file=sys.stderr)
    return 0


def unlock_stale_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab unlock-stale`'s arguments."""
    parser.add_argument("--directory", type=Path, default=Path("."), help="the workflow's working folder")


def cmd_manifest(args: argparse.Namespace) -> int:
    from ..core.files import write_json_atomic
    from ..study.config import load_study

    try:
        config = json.loads(args.study)
    except json.JSONDecodeError as error:
        raise ConfigError(f"--study is not JSON ({error.msg}); allowed: the study config as JSON") from None
    if not isinstance(config, dict):
        raise ConfigError("--study is not a JSON object; allowed: the study config (study, benchmarks, agents)")
    write_json_atomic(args.out, load_study(config).manifest())
    return 0


def manifest_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab manifest`'s arguments."""
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--study", required=True, help="the study config (study, benchmarks, agents) as JSON")


def cmd_aggregate(args: argparse.Namespace) -> int:
    from ..analyze.aggregate import aggregate_study

    report = aggregate_study(existing_study(args.study_dir), args.out)
    print(report)
    return 0


def aggregate_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab aggregate`'s arguments."""
    parser.add_argument("study_dir", type=Path, help="results/<study>")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: the study's)")


def cmd_report(args: argparse.Namespace) -> int:
    from ..report import build_report

    print(build_report(existing_study(args.study_dir), args.out, args.repo))
    return 0


def report_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab report`'s arguments."""
    parser.add_argument("study_dir", type=Path, help="results/<study>, aggregated (plots/ exist)")
    parser.add_argument("--out", type=Path, default=None, help="report folder (default: <study_dir>/report)")
    parser.add_argument(
        "--repo", type=Path, default=None, help="the workflow's git repository, for commit and dirty flag"
    )


def cmd_preflight(args: argparse.Namespace) -> int:
    from ..benchmarks import get_benchmark
    from ..benchmarks.preflight import run_preflight
    from ..core.files import read_json, write_json_atomic

    benchmark = get_benchmark(args.benchmark, args.module, args.cube)
    if args.manifest:
        tasks = read_json(args.manifest)["benchmarks"][args.benchmark]["tasks"]
    else:
        tasks = list(benchmark.task_names)
    record = run_preflight(benchmark, tasks)
    if args.out:
        write_json_atomic(args.out, record)
    print(f"preflight {args.benchmark}: ready for {len(tasks)} tasks")
    return 0


def preflight_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab preflight`'s arguments."""
    parser.add_argument("benchmark")
    parser.add_argument("--module", default="", help="Python path of a custom benchmark, 'package.module:NAME'")
    parser.add_argument("--cube", default="", help="the cube of a CUBE benchmark (miniwob-cube, 'pkg.mod:Config')")
    parser.add_argument("--manifest", type=Path, help="study.json whose tasks to check (default: all tasks)")
    parser.add_argument("--out", type=Path, help="where to write the record of the check")


def cmd_reset(args: argparse.Namespace) -> int:
    from ..benchmarks import get_benchmark
    from ..core.files import write_json_atomic

    benchmark = get_benchmark(args.benchmark, args.module)
    if benchmark.backend is None or benchmark.backend.instance is None:
        raise ConfigError(f"benchmark {args.benchmark} has no instance to reset")
    print(f"resetting the {benchmark.backend.instance} instance", flush=True)
    record = benchmark.backend.reset(timeout_s=args.timeout)
    write_json_atomic(args.out, record)
    print(f"{benchmark.backend.instance} instance reset in {record['elapsed_s']:.0f} s")
    return 0


def reset_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab reset`'s arguments."""
    parser.add_argument("benchmark")
    parser.add_argument("--module", default="", help="Python path of a custom benchmark, 'package.module:NAME'")
    parser.add_argument("--out", required=True, type=Path, help="where to write the record of the reset")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds the reset may take")


def cmd_check(args: argparse.Namespace) -> int:
    from ..study.config import load_study_file

    study = load_study_file(args.config)
    n = sum(1 for _ in study.episode_keys())
    print(f"study {study.name!r}: {n} episodes ({len(study.benchmarks)} benchmarks, {len(study.agents)} agents)")
    for name, plan in study.agents.items():
        swept = ", ".join(f"{key}={json.dumps(value)}" for key, value in plan.swept.items())
        print(f"  {name}" + (f"  (sweep of {plan.sweep_of}: {swept})" if plan.sweep_of else ""))
    return 0


def check_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab check`'s arguments."""
    parser.add_argument("config", type=Path)


def cmd_prompt_test(args: argparse.Namespace) -> int:
    from .prompt_testing import PromptTest, format_result, parse_override, run_prompt_test

    test = PromptTest(
        episode=args.episode,
        step=args.step,
        agent=args.agent,
        overrides=dict(parse_override(text) for text in args.override),
        rebuild=args.rebuild,
        model=args.model,
        base_url=args.base_url,
        api_key_env=args.api_key_env,
        temperature=args.temperature,
        max_new_tokens=args.max_new_tokens,
        show_prompt=args.show_prompt,
    )
    print(format_result(test, run_prompt_test(test)))
    return 0


def prompt_test_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab prompt-test`'s arguments."""
    parser.add_argument(
        "episode", type=Path, help="an episode folder: results/<study>/<benchmark>/<agent>/<task>/seed<N>"
    )
    parser.add_argument("--step", type=int, required=True, help="the step whose prompt to send (from 0)")
    parser.add_argument(
        "--agent",
        help="Python path of a WebAgent config: send the prompt it builds from the "
        "recorded observation (default: re-send the recorded prompt)",
    )
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change a field of the agent's config (VALUE as JSON), then build its prompt; repeatable",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="build the prompt from the recorded observation with the episode's own config",
    )
    parser.add_argument(
        "--model",
        help="'local' (the offline model, no key) or a model name on an OpenAI-compatible "
        "API (default: the agent's model)",
    )
    parser.add_argument("--base-url", help="with --model NAME: the API root, e.g. http://localhost:8000/v1")
    parser.add_argument(
        "--api-key-env",
        help="with --model NAME: the environment variable holding the key "
        "(default: OPENAI_API_KEY, none with --base-url)",
    )
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--max-new-tokens", type=int)
    parser.add_argument("--show-prompt", action="store_true", help="print the prompt's messages too")


def cmd_status(args: argparse.Namespace) -> int:
    from ..study.status import count_statuses, format_counts

    print(format_counts(count_statuses(existing_study(args.study_dir))))
    return 0


def status_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab status`'s arguments."""
    parser.add_argument("study_dir", type=Path, help="results/<study>")


def cmd_relaunch(args: argparse.Namespace) -> int:
    from ..study.relaunch import archive_episodes, select_episodes

    keys = select_episodes(existing_study(args.study_dir), args.mode)
    for key in keys:
        print(f"{'would move' if args.dry_run else 'moving'} {key.benchmark}/{key.agent}/{key.task}/seed{key.seed}")
    if args.dry_run or not keys:
        print(f"{len(keys)} episodes selected by {args.mode}" + (" (dry run: nothing moved)" if args.dry_run else ""))
        return 0
    archive = archive_episodes(args.study_dir, keys)
    print(f"{len(keys)} episodes moved to {archive}; run snakemake to rebuild them")
    return 0


def relaunch_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab relaunch`'s arguments."""
    parser.add_argument("study_dir", type=Path, help="results/<study>")
    parser.add_argument("--mode", required=True, choices=list(RELAUNCH_MODES))
    parser.add_argument("--dry-run", action="store_true", help="list the episodes, move nothing")


def cmd_import(args: argparse.Namespace) -> int:
    from ..results_io import import_results

    report = import_results(args.source, args.results / args.study)
    for problem in report.problems:
        print(f"not imported: {problem}")
    print(report.line())
    return 0


def import_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab import`'s arguments."""
    parser.add_argument(
        "source", type=Path, help="a ServiceNow AgentLab study folder or a cube-harness experiment folder"
    )
    parser.add_argument("--study", required=True, help="the study to import into: <results>/<study>")
    parser.add_argument("--results", type=Path, default=Path(RESULTS_DIR), help="results folder (default: results)")


def cmd_export(args: argparse.Namespace) -> int:
    from ..results_io import export_study

    study = existing_study(args.study_dir)
    print(export_study(study, args.format, args.out, args.allow_dirty, args.benchmark, args.agent))
    return 0


def export_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab export`'s arguments."""
    parser.add_argument("study_dir", type=Path, help="results/<study>")
    parser.add_argument("--format", required=True, choices=list(EXPORT_FORMATS))
    parser.add_argument("--out", type=Path, default=None, help="output file (default: in the study's exports/)")
    parser.add_argument("--benchmark", default=None, help="export this benchmark only")
    parser.add_argument("--agent", default=None, help="export this agent only")
    parser.add_argument(
        "--allow-dirty", action="store_true", help="export an unfinished study, a dirty tree or mixed commits"
    )


def cmd_llm_server(args: argparse.Namespace) -> int:
    from ..llm import local_server

    settings = local_server.ServerSettings.from_json(args.settings) if args.settings else local_server.ServerSettings()
    if args.action == "start":
        started = local_server.ensure_server(settings)
        print(f"local LLM server running at {started.base_url} (pid {started.pid})")
    elif args.action == "stop":
        stopped = local_server.stop_server()
        print(f"stopped the local LLM server (pid {stopped.pid})" if stopped else "no local LLM server was running")
    else:
        running = local_server.status()
        print(
            f"running at {running.base_url} (pid {running.pid}): {running.settings}"
            if running
            else f"no local LLM server in {local_server.runtime_dir()}"
        )
    return 0


def llm_server_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab llm-server`'s arguments."""
    parser.add_argument(
        "action",
        choices=["start", "stop", "status"],
        help="start (detached, idempotent), stop or status (python -m agentlab.llm.local_server "
        "serves in the foreground)",
    )
    parser.add_argument("--settings", help="ServerSettings as JSON (default: the packaged model)")


def venv_action(environment: PinnedVenv, action: str) -> int:
    """`install` a pinned venv (idempotent), or say where it is (`status`; when missing, one line on installing it)."""
    if action == "install":
        print(environment.install())
    elif environment.installed():
        print(f"{environment.name} is installed in {environment.venv} ({environment.python})")
    else:
        environment.check()  # raises the one-line ConfigError saying how to install it
    return 0


def venv_options(parser: argparse.ArgumentParser) -> None:
    """`agentlab bridge`'s and `agentlab cube`'s arguments: what to do with the pinned venv."""
    parser.add_argument("action", choices=["install", "status"], help="install (idempotent) or say where it is")


def cmd_bridge(args: argparse.Namespace) -> int:
    from ..agents.bridge.environment import AgentLabEnvironment

    return venv_action(AgentLabEnvironment.configured(), args.action)


def cmd_cube(args: argparse.Namespace) -> int:
    from ..benchmarks.cube.environment import CubeEnvironment

    return venv_action(CubeEnvironment.configured(), args.action)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (the usage is a --help away), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


@dataclass(frozen=True)
class Subcommand:
    """One `agentlab` subcommand: its name, its line in `agentlab --help`, what adds its arguments, what runs it."""

    name: str
    help: str
    add_options: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# In the order `agentlab --help` lists them.
SUBCOMMANDS = (
    Subcommand("episode", "run one episode into a folder", episode_options, cmd_episode),
    Subcommand("manifest", "write a study manifest (used by the workflow)", manifest_options, cmd_manifest),
    Subcommand("aggregate", "tables and plots from a study's episodes", aggregate_options, cmd_aggregate),
    Subcommand("status", "count a study's episodes by status", status_options, cmd_status),
    Subcommand("relaunch", "archive episodes by status so snakemake reruns them", relaunch_options, cmd_relaunch),
    Subcommand(
        "import",
        "another framework's results (an AgentLab study, a cube-harness experiment) as episodes of a study",
        import_options,
        cmd_import,
    ),
    Subcommand("export", "a finished study in a submission format of the field", export_options, cmd_export),
    Subcommand("debug", "run one episode of a study in the foreground, raising errors", debug_options, cmd_debug),
    Subcommand(
        "launch", "the original AgentLab's launch_exp.py flags, run through Snakemake", launch_options, cmd_launch
    ),
    Subcommand(
        "unlock-stale",
        "remove a Snakemake lock left by a killed run (never a live run's)",
        unlock_stale_options,
        cmd_unlock_stale,
    ),
    Subcommand("report", "static HTML report of a study: index and one page per episode", report_options, cmd_report),
    Subcommand(
        "preflight", "check a benchmark's package and backend (server, credentials)", preflight_options, cmd_preflight
    ),
    Subcommand("reset", "reset the shared instance of a WebArena-family benchmark", reset_options, cmd_reset),
    Subcommand("check", "validate a study config, count its episodes, list its agents", check_options, cmd_check),
    Subcommand(
        "prompt-test",
        "ask a model again at a recorded step; print its answer and action",
        prompt_test_options,
        cmd_prompt_test,
    ),
    Subcommand("bridge", "ServiceNow AgentLab 0.4.2's environment, where its agents run", venv_options, cmd_bridge),
    Subcommand("cube", "the CUBE benchmarks' environment (Python 3.12), where cubes run", venv_options, cmd_cube),
    Subcommand("llm-server", "the local LLM server shared by a run's episodes", llm_server_options, cmd_llm_server),
)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="agentlab", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for subcommand in SUBCOMMANDS:
        subparser = commands.add_parser(subcommand.name, help=subcommand.help)
        subcommand.add_options(subparser)
        subparser.set_defaults(func=subcommand.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..core.errors import (  # not from preflight.py: its HTTP imports would slow every episode
        InfraError,
        PreflightError,
    )

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as error:
        say_error(error)
        return 2
    except (InfraError, PreflightError) as error:  # a backend failed or is missing: one line, no traceback
        say_error(error)
        return 1


def say_error(error: Exception) -> None:
    """The one-line refusal, newline included, in one write: parallel jobs share Snakemake's stderr, and
    print's two writes (text, then newline) let another job's line land inside ours."""
    sys.stderr.write(f"agentlab: {error}\n")
    sys.stderr.flush()


if __name__ == "__main__":
    raise SystemExit(main())
