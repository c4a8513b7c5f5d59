"""AgentLab's `reproducibility_journal.csv` rows: one per benchmark × agent, its columns as AgentLab 0.4.2
writes them (`experiments/reproducibility_util.py`: get_reproducibility_info's keys, `agent_names` as
`agent_name`, then the results `_add_result_to_info` adds), values as its `str()` gives them."""

from __future__ import annotations

import csv
import io
import platform
import subprocess
from typing import Any

import pandas as pd

from ..analyze.load import StudyResults
from .readiness import any_dirty, episodes_of, last_started

INFO_COLUMNS = (
    "git_user",
    "agent_name",
    "benchmark",
    "study_id",
    "comment",
    "benchmark_version",
    "date",
    "os",
    "python_version",
    "playwright_version",
    "agentlab_version",
    "agentlab_git_hash",
    "agentlab__local_modifications",
    "browsergym_version",
    "browsergym_git_hash",
    "browsergym__local_modifications",
)
RESULT_COLUMNS = ("avg_reward", "std_err", "n_err", "n_completed")
JOURNAL_COLUMNS = INFO_COLUMNS + RESULT_COLUMNS


def git_user() -> str | None:
    """git's user.name, as AgentLab reads it (None when unset)."""
    try:
        done = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def most_common(group: pd.DataFrame, column: str) -> Any:
    """The column's most frequent value in the group (None if it has none)."""
    values = group[column].dropna() if column in group else pd.Series(dtype=object)
    return values.mode().iloc[0] if len(values) else None


def journal_rows(results: StudyResults, summary: pd.DataFrame, comment: str | None = None) -> list[dict[str, Any]]:
    """One journal row per benchmark × agent of `summary` (our summary table of `results`)."""
    rows = []
    user = git_user()
    for row in summary.to_dict(orient="records"):
        group = episodes_of(results, row["benchmark"], row["agent"])
        started = last_started(group)
        rows.append(
            {
                "git_user": user,
                "agent_name": row["agent"],
                "benchmark": row["benchmark"],
                "study_id": results.manifest.get("study", results.path.name),
                "comment": comment,
                "benchmark_version": most_common(group, "browsergym"),
                "date": started.strftime("%Y-%m-%d_%H-%M-%S") if started is not None else None,
                "os": f"{platform.system()} ({platform.version()})",
                "python_version": most_common(group, "python"),
                "playwright_version": most_common(group, "playwright"),
                "agentlab_version": most_common(group, "agentlab"),
                "agentlab_git_hash": most_common(group, "commit"),
                "agentlab__local_modifications": "  M: (uncommitted changes)" if any_dirty(group) else "",
                "browsergym_version": most_common(group, "browsergym"),
                "browsergym_git_hash": None,
                "browsergym__local_modifications": "",
                "avg_reward": row["avg_reward"],
                "std_err": row["std_err"],
                "n_err": int(row["n_err"]),
                "n_completed": row["n_completed"],
            }
        )
    return rows


def journal_csv(rows: list[dict[str, Any]]) -> str:
    """The rows under AgentLab's header, each value as `str()` of it, as its csv.writer writes them."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(JOURNAL_COLUMNS)
    for row in rows:
        writer.writerow([str(row[column]) for column in JOURNAL_COLUMNS])
    return buffer.getvalue()
