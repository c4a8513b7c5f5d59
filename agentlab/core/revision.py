"""The workflow's git revision: which commit ran, and whether its tree had uncommitted changes.

Bottom layer, so the episode runner records it in each summary and the report states it.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import ConfigError
from .records import Provenance

# Set once per study run (rules/common.smk) and inherited by every episode job: episodes record the
# revision the run started from, and no episode runs git.
PROVENANCE_ENV = "AGENTLAB_PROVENANCE"


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
    """Commit and dirty flag of `repo` now; unknown outside a git repository."""
    if repo is None:
        return GitState(None, None)
    commit = _git(repo, "rev-parse", "HEAD")
    if commit is None:
        return GitState(None, None)
    status = _git(repo, "status", "--porcelain")  # untracked files count: a new agent module changes results
    return GitState(commit.strip(), None if status is None else bool(status.strip()))


def current_provenance(repo: Path) -> Provenance:
    """The provenance of an episode run now from the workflow at `repo`."""
    from .. import __version__

    git = git_state(repo)
    return Provenance(commit=git.commit, dirty=git.dirty, agentlab=__version__)


def run_provenance(repo: Path) -> Provenance:
    """This run's provenance: the one the study run exported (PROVENANCE_ENV), else computed now."""
    exported = os.environ.get(PROVENANCE_ENV)
    if exported:
        try:
            return Provenance(**json.loads(exported))
        except (ValueError, TypeError):
            raise ConfigError(
                f"{PROVENANCE_ENV}={exported!r} is not a provenance record; "
                "allowed: JSON with commit, dirty, agentlab (or unset)"
            ) from None
    return current_provenance(repo)


def export_provenance(repo: Path) -> Provenance:
    """Compute this study run's provenance once and export it to the episode jobs it starts."""
    provenance = run_provenance(repo)
    os.environ[PROVENANCE_ENV] = json.dumps(asdict(provenance))
    return provenance


def check_clean(provenance: Provenance, strict: bool) -> None:
    """ConfigError (one line) if `strict` and the workflow tree has uncommitted changes."""
    if strict and provenance.dirty:
        raise ConfigError(
            f"episode.strict_provenance is true but the workflow at commit {provenance.commit} has "
            "uncommitted changes; commit or stash them (git status), or set strict_provenance: false"
        )
