"""The `agentlab` command: what the Snakemake rules call, and tools for studies.

Each subcommand imports what it needs when it runs, so `agentlab episode` starts fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import ConfigError


def cmd_episode(args: argparse.Namespace) -> int:
    from .episode.spec import EpisodeSpec, RunLimits
    from .episode.supervisor import run_supervised

    limits = RunLimits(
        step_timeout_s=args.step_timeout,
        episode_timeout_s=args.episode_timeout,
        attempt=args.attempt,
        max_attempts=args.max_attempts,
    )
    spec = EpisodeSpec.from_json(args.spec)
    if not args.debug:
        return run_supervised(spec, limits, args.out)
    try:
        return run_supervised(spec, limits, args.out, debug=True)
    except Exception:
        if args.pdb:
            import pdb

            pdb.post_mortem()
        raise


def cmd_manifest(args: argparse.Namespace) -> int:
    from .io import write_json_atomic

    write_json_atomic(args.out, json.loads(args.json))
    return 0


def cmd_aggregate(args: argparse.Namespace) -> int:
    from .analyze.aggregate import aggregate_study

    report = aggregate_study(args.study_dir, args.out)
    print(report)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .study import load_study_file

    study = load_study_file(args.config)
    n = sum(1 for _ in study.episode_keys())
    print(f"study {study.name!r}: {n} episodes "
          f"({len(study.benchmarks)} benchmarks, {len(study.agents)} agents)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agentlab", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    episode = commands.add_parser("episode", help="run one episode into a folder")
    episode.add_argument("--spec", required=True, help="the EpisodeSpec, as JSON")
    episode.add_argument("--out", required=True, type=Path, help="episode folder (gets summary.json)")
    episode.add_argument("--attempt", type=int, default=1, help="Snakemake's attempt number")
    episode.add_argument("--max-attempts", type=int, default=1)
    episode.add_argument("--step-timeout", type=float, default=300.0, help="seconds per reset/agent call/step")
    episode.add_argument("--episode-timeout", type=float, default=3600.0, help="seconds per episode")
    episode.add_argument("--debug", action="store_true", help="run in the foreground and raise errors")
    episode.add_argument("--pdb", action="store_true", help="with --debug: post-mortem debugger at the error")
    episode.set_defaults(func=cmd_episode)

    manifest = commands.add_parser("manifest", help="write a study manifest (used by the workflow)")
    manifest.add_argument("--out", required=True, type=Path)
    manifest.add_argument("--json", required=True)
    manifest.set_defaults(func=cmd_manifest)

    aggregate = commands.add_parser("aggregate", help="tables and plots from a study's episodes")
    aggregate.add_argument("study_dir", type=Path, help="results/<study>")
    aggregate.add_argument("--out", type=Path, default=None, help="output folder (default: the study's)")
    aggregate.set_defaults(func=cmd_aggregate)

    check = commands.add_parser("check", help="validate a study config and count its episodes")
    check.add_argument("config", type=Path)
    check.set_defaults(func=cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as error:
        print(f"agentlab: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
