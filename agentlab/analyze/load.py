"""Load a study's results into pandas DataFrames without importing any agent code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..layout import EpisodeKey, read_manifest, relaunched_episodes, study_episodes, summary_path

EPISODE_KEYS = list(EpisodeKey._fields)


@dataclass
class StudyResults:
    """A study's finished episodes (one row each) and the episodes its config expects but lack."""

    path: Path
    manifest: dict[str, Any]
    episodes: pd.DataFrame
    missing: pd.DataFrame  # columns EPISODE_KEYS
    relaunched: pd.DataFrame  # episodes archived by `agentlab relaunch`: EPISODE_KEYS + archive


def episode_row(summary: dict[str, Any], path: Path) -> dict[str, Any]:
    """One flat row of episodes.csv from an episode's summary.json."""
    error = summary.get("error") or {}
    timings = summary.get("timings") or {}
    versions = summary.get("versions") or {}
    row = {
        **{key: summary.get(key) for key in EPISODE_KEYS},
        "status": summary.get("status"),
        "success": bool(summary.get("success")),
        "reward": summary.get("reward"),
        "n_steps": summary.get("n_steps"),
        "terminated": summary.get("terminated"),
        "truncated": summary.get("truncated"),
        "stop_reason": summary.get("stop_reason"),
        "error_type": error.get("type"),
        "error_message": error.get("message"),
        "elapsed_s": summary.get("elapsed_s"),
        "reset_s": timings.get("reset_s"),
        "agent_s": timings.get("agent_s"),
        "env_step_s": timings.get("env_step_s"),
        "attempt": summary.get("attempt"),
        "config_hash": summary.get("config_hash"),
        "chromium": versions.get("chromium"),
        "browsergym": versions.get("browsergym"),
        "path": str(path.parent),
    }
    stats = summary.get("agent_stats") or {}
    row.update(stats)
    row["cost_unknown"] = "cost" in stats and stats["cost"] is None  # e.g. a model without a price
    return row


def load_study(path: str | Path) -> StudyResults:
    """Read every summary.json of the study at `path` (results/<study>)."""
    study_dir = Path(path)
    manifest = read_manifest(study_dir)
    rows, missing = [], []
    for key in study_episodes(study_dir, manifest):
        summary_file = summary_path(study_dir, key)
        try:
            summary = json.loads(summary_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            missing.append(key._asdict())
            continue
        rows.append(episode_row(summary, summary_file))
    episodes = pd.DataFrame(rows, columns=None if rows else EPISODE_KEYS + ["status", "success"])
    if manifest is None:
        manifest = {"study": study_dir.name, "benchmarks": {}, "agents": {}, "n_episodes": len(rows)}
    relaunched = pd.DataFrame(
        [{**key._asdict(), "archive": stamp} for stamp, key in relaunched_episodes(study_dir)],
        columns=EPISODE_KEYS + ["archive"],
    )
    return StudyResults(study_dir, manifest, episodes, pd.DataFrame(missing, columns=EPISODE_KEYS), relaunched)
