"""Count a study's episodes by status, fast enough for tens of thousands (no pandas)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from .layout import STAGING_DIR, SUMMARY_FILE, EpisodeKey, read_manifest, study_episodes, summary_path_text
from .records import STATUSES, DamagedRecord, read_summary

COLUMNS = (*STATUSES, "damaged", "in_progress", "missing")


def episode_status(study_dir: Path, key: EpisodeKey) -> str:
    """The status in the episode's summary; 'damaged' if it cannot be read; 'in_progress' if only
    staged files exist; else 'missing'. Paths are strings: pathlib would be most of the time spent."""
    summary = summary_path_text(str(study_dir), key)
    try:
        return read_summary(summary).status
    except DamagedRecord:
        return "damaged"
    except FileNotFoundError:
        folder = summary.removesuffix(SUMMARY_FILE)
        return "in_progress" if os.path.isdir(folder + STAGING_DIR) else "missing"


def count_statuses(study_dir: Path) -> dict[tuple[str, str], Counter]:
    """{(benchmark, agent): Counter of statuses} over the study's episodes."""
    counts: dict[tuple[str, str], Counter] = {}
    for key in study_episodes(study_dir, read_manifest(study_dir)):
        counts.setdefault((key.benchmark, key.agent), Counter())[episode_status(study_dir, key)] += 1
    return counts


def format_counts(counts: dict[tuple[str, str], Counter]) -> str:
    """A plain-text table: one row per benchmark × agent, one column per status, and a total."""
    header = ("benchmark", "agent", *COLUMNS, "total")
    rows = [header]
    totals: Counter = Counter()
    for (benchmark, agent), counter in sorted(counts.items()):
        totals.update(counter)
        rows.append((benchmark, agent, *(str(counter[c]) for c in COLUMNS), str(sum(counter.values()))))
    rows.append(("all", "", *(str(totals[c]) for c in COLUMNS), str(sum(totals.values()))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)
