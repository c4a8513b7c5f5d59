"""What a reader needs to reproduce a study: code revision, software versions, config hashes."""

from __future__ import annotations

import pandas as pd

VERSION_COLUMNS = ("agentlab", "browsergym", "playwright", "chromium", "python")


def version_counts(episodes: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Per component, how many episodes ran with each version: more than one is a warning sign.
    Episodes that never reached the browser have no Chromium version and are not counted."""
    return {
        column: {str(version): int(n) for version, n in episodes[column].dropna().value_counts().items()}
        for column in VERSION_COLUMNS
        if column in episodes
    }


def commit_counts(episodes: pd.DataFrame) -> dict[str, int]:
    """How many episodes ran on each workflow commit (from their summaries; older ones have none):
    more than one commit means the study mixes code revisions."""
    if "commit" not in episodes:
        return {}
    return {str(commit): int(n) for commit, n in episodes["commit"].dropna().value_counts().items()}


def dirty_episodes(episodes: pd.DataFrame) -> int:
    """How many episodes ran from a workflow tree with uncommitted changes."""
    return int((episodes["dirty"] == True).sum()) if "dirty" in episodes else 0  # noqa: E712 (None: unknown)


def stale_config_hashes(episodes: pd.DataFrame, manifest: dict) -> pd.DataFrame:
    """Episodes whose config hash differs from the one the study config gives their benchmark × agent."""
    expected = {
        (benchmark, agent): digest
        for agent, plan in manifest.get("agents", {}).items()
        for benchmark, digest in (plan.get("config_hash") or {}).items()
    }
    if episodes.empty or not expected or "config_hash" not in episodes:
        return episodes.iloc[0:0]
    wanted = [expected.get((b, a)) for b, a in zip(episodes["benchmark"], episodes["agent"])]
    return episodes[[w is not None and w != h for w, h in zip(wanted, episodes["config_hash"])]]
