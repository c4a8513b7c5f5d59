"""Debug mode: one episode in the foreground, errors raised with their traceback, optional pdb."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import ConfigError
from ..core.layout import RESULTS_DIR, episode_dir
from ..episode.spec import EpisodeSpec, RunLimits


def run_in_foreground(spec: EpisodeSpec, out: Path, post_mortem: bool = False) -> int:
    """Run the episode in this process; an error propagates (into pdb at its frame, if asked)."""
    from ..episode.supervisor import run_supervised

    try:
        return run_supervised(spec, RunLimits(), out, debug=True)
    except Exception:
        if post_mortem:
            import pdb

            pdb.post_mortem()
        raise


def debug_episode(
    config_file: Path,
    benchmark: str | None = None,
    agent: str | None = None,
    task: str | None = None,
    seed: int | None = None,
    post_mortem: bool = False,
    workdir: Path = Path("."),
) -> int:
    """Debug one episode of a study config: the first one, or the one the arguments name."""
    from ..study.config import load_study_file

    study = load_study_file(config_file)
    wanted = {"benchmark": benchmark, "agent": agent, "task": task, "seed": seed}
    for key in study.episode_keys():
        if all(value is None or getattr(key, name) == value for name, value in wanted.items()):
            out = episode_dir(workdir / RESULTS_DIR / study.name, key)
            print(f"debugging {key.benchmark}/{key.agent}/{key.task}/seed{key.seed} into {out}")
            return run_in_foreground(study.spec(*key), out, post_mortem)
    named = ", ".join(f"{name}={value}" for name, value in wanted.items() if value is not None)
    raise ConfigError(
        f"no episode of study {study.name!r} matches {named}; allowed: its benchmarks, agents, tasks and seeds"
    )
