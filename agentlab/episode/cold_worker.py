"""A cold worker: the process that runs one episode for the supervisor, reporting each phase on a pipe."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ..core.budget import Budget
from .loop import run_episode
from .spec import EpisodeSpec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agentlab.episode.cold_worker")
    parser.add_argument("--spec", required=True, help="EpisodeSpec as JSON")
    parser.add_argument("--dir", required=True, type=Path, help="staging folder for the step records")
    parser.add_argument("--events-fd", required=True, type=int, help="pipe to the supervisor")
    parser.add_argument("--budget", default=Budget().to_json(), help="Budget as JSON (per-episode limits)")
    args = parser.parse_args(argv)

    with os.fdopen(args.events_fd, "w", buffering=1) as events:

        def send(message: dict) -> None:
            events.write(json.dumps(message, default=str) + "\n")

        outcome = run_episode(
            EpisodeSpec.from_json(args.spec),
            args.dir,
            on_phase=lambda phase, step: send({"event": "phase", "phase": phase, "step": step}),
            budget=Budget.from_json(args.budget),
        )
        send({"event": "outcome", "outcome": outcome.to_dict()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
