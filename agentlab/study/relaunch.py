"""Relaunch episodes by status: move their folders into the study's archive, never delete them.

After a relaunch, a plain `snakemake` rebuilds exactly the moved episodes (their summaries are
missing). `incomplete_only` needs no move: Snakemake's --rerun-incomplete and missing targets
already cover episodes that never finished.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from ..core.errors import ConfigError
from ..core.layout import RELAUNCHED_DIR, EpisodeKey, episode_dir, key_problem, read_manifest, study_episodes
from .status import StatusReader

MODES = {
    "incomplete_only": frozenset(),
    "server_errors": frozenset({"infra_error", "eval_error"}),
    "all_errors": frozenset({"infra_error", "eval_error", "agent_error"}),
    "damaged": frozenset({"damaged"}),  # summaries that cannot be read: rerun them
}
NO_RELAUNCH = "None"  # the original AgentLab's `--relaunch_mode None`: relaunch nothing


def select_episodes(study_dir: Path, mode: str) -> list[EpisodeKey]:
    """The study's episodes whose summary status the relaunch `mode` selects (never one whose manifest
    name is no folder of the study: there is nothing of the study to move)."""
    if mode not in MODES:
        raise ConfigError(f"unknown relaunch mode {mode!r}; allowed: {', '.join(MODES)}")
    statuses = MODES[mode]
    if not statuses:
        return []
    reader = StatusReader(study_dir)
    keys = [key for key in study_episodes(study_dir, read_manifest(study_dir)) if key_problem(key) is None]
    selected = [key for key in keys if reader.status(key) in statuses]
    reader.save()
    return selected


def archive_episodes(study_dir: Path, keys: list[EpisodeKey]) -> Path:
    """Move the episodes' folders to results/<study>/relaunched/<UTC time>/...; return that folder."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    archive = study_dir / RELAUNCHED_DIR / stamp
    for key in keys:
        target = episode_dir(archive, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(episode_dir(study_dir, key), target)  # atomic, same file system
    return archive
