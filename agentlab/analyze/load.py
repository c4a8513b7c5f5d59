"""Load a study's results into pandas DataFrames without importing any agent code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

EPISODE_KEYS = ["benchmark", "agent", "task", "seed"]


@dataclass
class StudyResults:
    """A study's finished episodes (one row each) and the episodes its config expects but lack."""

    path: Path
    manifest: dict[str, Any]
    episodes: pd.DataFrame
    missing: pd.DataFrame  # columns EPISODE_KEYS


def expected_episodes(manifest: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    return [
        (benchmark, agent, task, seed)
        for benchmark, plan in manifest["benchmarks"].items()
        for agent in manifest["agents"]
        for task in plan["tasks"]
        for seed in plan["seeds"]
    ]


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


def _summary_paths(study_dir: Path, manifest: dict[str, Any] | None) -> list[Path]:
    if manifest is None:
        return sorted(study_dir.glob("*/*/*/seed*/summary.json"))
    return [
        study_dir / benchmark / agent / task / f"seed{seed}" / "summary.json"
        for benchmark, agent, task, seed in expected_episodes(manifest)
    ]


def load_study(path: str | Path) -> StudyResults:
    """Read every summary.json of the study at `path` (results/<study>)."""
    study_dir = Path(path)
    manifest_path = study_dir / "study.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    rows, missing = [], []
    for summary_path in _summary_paths(study_dir, manifest):
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            benchmark, agent, task, seed_dir = summary_path.parts[-5:-1]
            missing.append({"benchmark": benchmark, "agent": agent, "task": task, "seed": int(seed_dir[4:])})
            continue
        rows.append(episode_row(summary, summary_path))
    episodes = pd.DataFrame(rows, columns=None if rows else EPISODE_KEYS + ["status", "success"])
    if manifest is None:
        manifest = {"study": study_dir.name, "benchmarks": {}, "agents": {}, "n_episodes": len(rows)}
    return StudyResults(study_dir, manifest, episodes, pd.DataFrame(missing, columns=EPISODE_KEYS))
