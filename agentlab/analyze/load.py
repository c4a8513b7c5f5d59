"""Load a study's results into pandas DataFrames without importing any agent code."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..episode.records import read_records
from ..layout import STEPS_FILE, EpisodeKey, read_manifest, relaunched_episodes, study_episodes, summary_path

EPISODE_KEYS = list(EpisodeKey._fields)
STEP_TEXT_COLUMNS = ("axtree", "messages")  # large: loaded only on request


@dataclass
class StudyResults:
    """A study's finished episodes (one row each) and the episodes its config expects but lack.

    `steps` (one row per step record of every finished episode) is read on first use and kept:
    it means opening every steps.jsonl, which takes a while for studies of thousands of episodes.
    """

    path: Path
    manifest: dict[str, Any]
    episodes: pd.DataFrame
    missing: pd.DataFrame  # columns EPISODE_KEYS
    relaunched: pd.DataFrame  # episodes archived by `agentlab relaunch`: EPISODE_KEYS + archive
    _steps: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def steps(self) -> pd.DataFrame:
        """Every step of every finished episode, without the large text columns (see load_steps)."""
        if self._steps is None:
            self._steps = self.load_steps()
        return self._steps

    def load_steps(self, episodes: pd.DataFrame | None = None, text: bool = False) -> pd.DataFrame:
        """Steps of `episodes` (default: all finished ones); `text` adds the AXTree and messages."""
        episodes = self.episodes if episodes is None else episodes
        rows = []
        for *keys, path in episodes[EPISODE_KEYS + ["path"]].itertuples(index=False):
            directory = Path(path)
            rows += [step_row(tuple(keys), directory, record, text) for record in read_steps(directory)]
        return pd.DataFrame(rows, columns=None if rows else EPISODE_KEYS + ["step", "action"])


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
        "started_at": summary.get("started_at"),
        "agentlab": versions.get("agentlab"),
        "browsergym": versions.get("browsergym"),
        "playwright": versions.get("playwright"),
        "chromium": versions.get("chromium"),
        "python": versions.get("python"),
        "path": str(path.parent),
    }
    stats = summary.get("agent_stats") or {}
    row.update(stats)
    row["cost_unknown"] = "cost" in stats and stats["cost"] is None  # e.g. a model without a price
    return row


def read_steps(directory: Path) -> list[dict[str, Any]]:
    """The step records of an episode's steps.jsonl, in order; [] if it has none."""
    try:
        return read_records(directory / STEPS_FILE)
    except FileNotFoundError:
        return []


def step_row(keys: tuple, directory: Path, record: dict[str, Any], text: bool = False) -> dict[str, Any]:
    """One flat row of the steps table from a steps.jsonl record; `keys` are the episode's EPISODE_KEYS."""
    timings = record.get("timings") or {}
    row = {
        **dict(zip(EPISODE_KEYS, keys)),
        "step": record.get("step"),
        "url": record.get("url"),
        "action": record.get("action"),
        "think": record.get("think"),
        "reward": record.get("reward"),
        "terminated": record.get("terminated"),
        "truncated": record.get("truncated"),
        "last_action_error": record.get("last_action_error") or None,
        "agent_s": timings.get("agent_s"),
        "env_step_s": timings.get("env_step_s"),
        "screenshot": str(directory / record["screenshot"]) if record.get("screenshot") else None,
    }
    row.update(record.get("agent_stats") or {})
    if text:
        row.update({column: record.get(column) for column in STEP_TEXT_COLUMNS})
    return row


def load_study(path: str | Path) -> StudyResults:
    """Read every summary.json of the study at `path` (results/<study>); steps are read on first use."""
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
    episodes = pd.DataFrame(rows, columns=None if rows else EPISODE_KEYS + ["status", "success", "path"])
    if manifest is None:
        manifest = {"study": study_dir.name, "benchmarks": {}, "agents": {}, "n_episodes": len(rows)}
    relaunched = pd.DataFrame(
        [{**key._asdict(), "archive": stamp} for stamp, key in relaunched_episodes(study_dir)],
        columns=EPISODE_KEYS + ["archive"],
    )
    return StudyResults(study_dir, manifest, episodes, pd.DataFrame(missing, columns=EPISODE_KEYS), relaunched)
