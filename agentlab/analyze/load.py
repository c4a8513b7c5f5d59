"""Load a study's results into pandas DataFrames without importing any agent code."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.layout import EpisodeKey, key_problem, read_manifest, relaunched_episodes, study_episodes, summary_path
from ..core.records import (
    ERROR_STATUSES,
    SUMMARY_TYPES,
    DamagedRecord,
    EpisodeOutcome,
    EpisodeSummary,
    StepRecord,
    read_steps,
    read_summary,
)

EPISODE_KEYS = list(EpisodeKey._fields)
# The summary's scalar fields, each a column of episodes.csv (the records' types say which).
SUMMARY_COLUMNS = [name for name, kinds in SUMMARY_TYPES.items() if dict not in kinds and list not in kinds]
OUTCOME_FIELDS = {field.name for field in dataclasses.fields(EpisodeOutcome)}
DAMAGED_COLUMNS = [*EPISODE_KEYS, "path", "reason"]


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
    # result files that could not be read (DAMAGED_COLUMNS): a damaged summary.json leaves its
    # episode out of the tables; a steps.jsonl with bad lines only loses those lines
    damaged: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DAMAGED_COLUMNS))
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
            records, _ = read_steps(directory)
            rows += [step_row(tuple(keys), directory, record, text) for record in records]
        return pd.DataFrame(rows, columns=None if rows else EPISODE_KEYS + ["step", "action"])


def episode_row(summary: EpisodeSummary, path: Path) -> dict[str, Any]:
    """One flat row of episodes.csv from an episode's summary.json: its scalar fields (SUMMARY_COLUMNS),
    the error's type and message, the provenance's commit and dirty flag, then its timings, versions and
    agent totals by their own names."""
    error, provenance = summary.outcome.error, summary.provenance
    row = {name: getattr(summary.outcome if name in OUTCOME_FIELDS else summary, name) for name in SUMMARY_COLUMNS}
    row.update(
        reward=float(summary.outcome.reward),
        error_type=error.type if error else None,
        error_message=error.message if error else None,
        commit=provenance.commit if provenance else None,
        dirty=provenance.dirty if provenance else None,
        path=str(path.parent),
    )
    for totals in (summary.outcome.timings, summary.versions, summary.outcome.agent_stats):
        row.update(totals)
    stats = summary.outcome.agent_stats
    row["cost_unknown"] = "cost" in stats and stats["cost"] is None  # no price
    return row


def step_row(keys: tuple, directory: Path, record: StepRecord, text: bool = False) -> dict[str, Any]:
    """One flat row of the steps table from a steps.jsonl record; `keys` are the episode's EPISODE_KEYS."""
    seen, answer, effect, timings = record.observation, record.answer, record.effect, record.timings or {}
    row = {
        **dict(zip(EPISODE_KEYS, keys)),
        "step": record.step,
        "url": seen.url if seen else None,
        "action": record.action,
        "think": answer.think if answer else None,
        "reward": effect.reward if effect else None,
        "terminated": effect.terminated if effect else None,
        "truncated": effect.truncated if effect else None,
        "last_action_error": record.last_action_error or None,
        "agent_s": timings.get("agent_s"),
        "env_step_s": timings.get("env_step_s"),
        "screenshot": str(directory / seen.screenshot) if seen and seen.screenshot else None,
    }
    row.update(answer.agent_stats if answer else {})
    if text:
        row.update(axtree=seen.axtree if seen else None, messages=answer.messages if answer else None)
    return row


def reward_kinds(episodes: pd.DataFrame, manifest: dict[str, Any]) -> dict[str, str]:
    """Each benchmark's reward kind: the manifest's, else continuous if any reward is not 0 or 1."""
    kinds = {name: plan.get("reward_kind") for name, plan in manifest.get("benchmarks", {}).items()}
    for benchmark, rewards in episodes.groupby("benchmark")["reward"]:
        if not kinds.get(benchmark):
            kinds[benchmark] = "binary" if rewards.isin([0.0, 1.0]).all() else "continuous"
    return kinds


def repeat_weights(frame: pd.DataFrame, manifest: dict[str, Any]) -> pd.Series:
    """How many times AgentLab runs each episode of `frame`: 1, or n for a (task, seed) that the
    benchmark's seed draw repeats n times (the manifest's `repeats`)."""
    repeats = {
        (benchmark, str(task), int(seed)): int(n)
        for benchmark, plan in manifest.get("benchmarks", {}).items()
        for task, seed, n in plan.get("repeats", [])
    }
    if frame.empty or not repeats:
        return pd.Series(1, index=frame.index, dtype=int)
    keys = zip(frame["benchmark"], frame["task"].astype(str), frame["seed"].astype(int))
    return pd.Series([repeats.get(key, 1) for key in keys], index=frame.index, dtype=int)


def add_scores(episodes: pd.DataFrame, manifest: dict[str, Any]) -> pd.DataFrame:
    """The episodes with their benchmark's reward kind, their score (success, or the reward for a
    continuous benchmark; 0 after an error), AgentLab's reward (0 after an error) and AgentLab weight."""
    if episodes.empty:
        return episodes.assign(
            reward_kind=pd.Series(dtype=str),
            score=pd.Series(dtype=float),
            agentlab_reward=pd.Series(dtype=float),
            weight=pd.Series(dtype=int),
        )
    kinds = episodes["benchmark"].map(reward_kinds(episodes, manifest))
    reward = episodes["reward"].astype(float).where(~episodes["status"].isin(ERROR_STATUSES), 0.0)
    return episodes.assign(
        reward_kind=kinds,
        score=reward.where(kinds == "continuous", episodes["success"].astype(float)),
        agentlab_reward=reward,
        weight=repeat_weights(episodes, manifest),
    )


def load_results(path: str | Path) -> StudyResults:
    """Read every summary.json of the study at `path` (results/<study>); steps are read on first use.

    A damaged summary (truncated, not JSON, wrong types, unknown status; a link, FIFO or device, or
    one the manifest names outside the study) is listed in `damaged` with its reason, never raised:
    one bad file does not stop a study's tables."""
    study_dir = Path(path)
    manifest = read_manifest(study_dir)
    rows, missing, damaged = [], [], []
    for key in study_episodes(study_dir, manifest):
        summary_file = summary_path(study_dir, key)
        problem = key_problem(key)
        if problem is not None:
            damaged.append({**key._asdict(), "path": str(summary_file), "reason": problem})
            continue
        try:
            summary = read_summary(summary_file, inside=study_dir)
        except FileNotFoundError:
            missing.append(key._asdict())
            continue
        except DamagedRecord as error:
            damaged.append({**key._asdict(), "path": str(summary_file), "reason": error.reason})
            continue
        rows.append(episode_row(summary, summary_file))
    episodes = pd.DataFrame(
        rows, columns=None if rows else [*SUMMARY_COLUMNS, "error_type", "error_message", "commit", "dirty", "path"]
    )
    manifest = manifest if manifest is not None else unplanned_manifest(study_dir, len(rows))
    missing_frame = pd.DataFrame(missing, columns=EPISODE_KEYS)
    damaged_frame = pd.DataFrame(damaged, columns=DAMAGED_COLUMNS)
    return study_results(study_dir, manifest, add_scores(episodes, manifest), missing_frame, damaged_frame)


def unplanned_manifest(study_dir: Path, n_episodes: int) -> dict[str, Any]:
    """What stands for the manifest of a study folder without one: its name and episode count."""
    return {"study": study_dir.name, "benchmarks": {}, "agents": {}, "n_episodes": n_episodes}


def study_results(
    study_dir: Path, manifest: dict[str, Any], episodes: pd.DataFrame, missing: pd.DataFrame, damaged: pd.DataFrame
) -> StudyResults:
    """The study's results from its scored episodes and its missing and damaged ones (each weighted by
    repeat_weights), with the episodes `agentlab relaunch` archived."""
    relaunched = pd.DataFrame(
        [{**key._asdict(), "archive": stamp} for stamp, key in relaunched_episodes(study_dir)],
        columns=EPISODE_KEYS + ["archive"],
    )
    return StudyResults(
        study_dir,
        manifest,
        episodes,
        missing.assign(weight=repeat_weights(missing, manifest)),
        relaunched,
        damaged.assign(weight=repeat_weights(damaged, manifest)),
    )
