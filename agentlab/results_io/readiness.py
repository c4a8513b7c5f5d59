"""Whether a study may be published: finished, from a clean tree, on one commit. A submission is a
claim others build on: it refuses what it could not reproduce, unless told otherwise."""

from __future__ import annotations

import pandas as pd

from ..analyze.load import StudyResults
from ..core.errors import ConfigError
from ..report.provenance import commit_counts, dirty_episodes


def refusals(results: StudyResults) -> list[str]:
    """Why the study (its chosen episodes) should not be exported; [] when it may be."""
    reasons = []
    unfinished = len(results.missing) + len(results.damaged)
    if unfinished:
        reasons.append(f"{unfinished} of its episodes are not finished ({len(results.damaged)} damaged)")
    dirty = dirty_episodes(results.episodes)
    if dirty:
        reasons.append(f"{dirty} episodes ran on a workflow tree with uncommitted changes")
    commits = commit_counts(results.episodes)
    if len(commits) > 1:
        reasons.append(f"its episodes ran on {len(commits)} commits ({', '.join(c[:12] for c in sorted(commits))})")
    return reasons


def check_exportable(results: StudyResults, allow_dirty: bool) -> None:
    """ConfigError (one line) naming every reason the study is not exportable, unless `allow_dirty`."""
    reasons = refusals(results)
    if reasons and not allow_dirty:
        raise ConfigError(
            f"not exporting study {results.path.name}: {'; '.join(reasons)} (--allow-dirty exports it anyway)"
        )


def chosen(results: StudyResults, benchmark: str | None, agent: str | None) -> StudyResults:
    """The study restricted to one benchmark and/or agent (None: all)."""

    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        mask = pd.Series(True, index=frame.index)
        if benchmark is not None:
            mask &= frame["benchmark"] == benchmark
        if agent is not None:
            mask &= frame["agent"] == agent
        return frame[mask]

    restricted = StudyResults(
        results.path,
        results.manifest,
        keep(results.episodes),
        keep(results.missing),
        keep(results.relaunched),
        keep(results.damaged),
    )
    if restricted.episodes.empty and restricted.missing.empty:
        raise ConfigError(
            f"study {results.path.name} has no episodes of benchmark {benchmark or 'any'} × agent {agent or 'any'}; "
            f"allowed: {', '.join(sorted(set(results.episodes['benchmark'])))} × "
            f"{', '.join(sorted(set(results.episodes['agent'])))}"
        )
    return restricted


def episodes_of(results: StudyResults, benchmark: str, agent: str) -> pd.DataFrame:
    """The finished episodes of one benchmark × agent."""
    episodes = results.episodes
    return episodes[(episodes["benchmark"] == benchmark) & (episodes["agent"] == agent)]


def last_started(group: pd.DataFrame) -> pd.Timestamp | None:
    """When the group's last episode started (UTC), None if no summary says."""
    started = pd.to_datetime(group["started_at"], errors="coerce", utc=True).dropna() if len(group) else None
    return None if started is None or started.empty else started.max()


def any_dirty(group: pd.DataFrame) -> bool:
    return "dirty" in group and bool((group["dirty"] == True).any())  # noqa: E712 (None: unknown)
