"""What a reader needs to reproduce a study: code revision, software versions, config hashes."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

VERSION_COLUMNS = ("agentlab", "browsergym", "playwright", "chromium", "python")


@dataclass(frozen=True)
class GitState:
    """The workflow repository's commit and whether it had uncommitted changes (None: unknown)."""

    commit: str | None
    dirty: bool | None


def _git(repo: Path, *args: str) -> str | None:
    try:
        process = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):  # no git installed, or it hung
        return None
    return process.stdout if process.returncode == 0 else None


def git_state(repo: Path | None) -> GitState:
    """Commit and dirty flag of `repo` now (when the report is built); unknown outside a git repository."""
    if repo is None:
        return GitState(None, None)
    commit = _git(repo, "rev-parse", "HEAD")
    if commit is None:
        return GitState(None, None)
    status = _git(repo, "status", "--porcelain")  # untracked files count: a new agent module changes results
    return GitState(commit.strip(), None if status is None else bool(status.strip()))


def version_counts(episodes: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Per component, how many episodes ran with each version: more than one is a warning sign.
    Episodes that never reached the browser have no Chromium version and are not counted."""
    return {
        column: {str(version): int(n) for version, n in episodes[column].dropna().value_counts().items()}
        for column in VERSION_COLUMNS
        if column in episodes
    }


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
