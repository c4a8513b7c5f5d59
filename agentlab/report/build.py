"""Build a study's report folder: index.html (overview, episode finder, tables, plots, comparisons,
errors), episodes/ (one trace page per finished episode), compare/ (one page per benchmark, task and
seed that several agents ran), agents.html, and the report's scripts (assets/) and data files (data/).
Pages link to the plots and screenshots in the study folder by relative paths, so the report opens
from disk with no server and copies no image."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import pandas as pd

from ..analyze.aggregate import COMPARISON_NOTE, DAMAGED_NOTE, StudyTables
from ..analyze.compare import paired_episodes, task_outcomes
from ..analyze.error_groups import action_error_groups
from ..analyze.load import EPISODE_KEYS, StudyResults
from ..analyze.outputs import read_study_outputs
from ..analyze.stats import BOOTSTRAP_CONFIDENCE
from ..analyze.summarize import SCORE_NOTE
from ..core.files import replace_dir, write_text_atomic
from ..core.layout import PLOTS, REPORT_DIR, EpisodeKey, episode_id
from ..core.records import DamagedRecord
from ..core.revision import GitState, git_state
from .compare import COMPARE_DIR, compare_page_path, compared_groups, write_agents_page, write_compare_page
from .finder import copy_assets, write_finder_data
from .provenance import commit_counts, dirty_episodes, stale_config_hashes, version_counts
from .render import relative_url, render
from .trace import TracedEpisode, trace_page_path, write_trace_page

INDEX_FILE = "index.html"
EPISODES_DIR = "episodes"
PLOT_CAPTIONS = {  # the plots `agentlab aggregate` draws (layout.PLOTS): caption
    "score_plot": "Score (success rate, or mean reward) per agent with standard-error bars",
    "cost_plot": "Score against mean cost per episode",
    "per_task_plot": "Score per task and agent",
}


def _staging(report_dir: Path, name: str) -> Path:
    """An empty folder beside report_dir/name, at the same depth: relative links hold for both."""
    staging = report_dir / f".{name}.staging"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def write_trace_pages(
    results: StudyResults, report_dir: Path, compared: set[tuple[str, str, int]]
) -> list[TracedEpisode]:
    """Write every finished episode's trace page into report_dir/episodes (swapped in complete), each
    linking to its compare page if its (benchmark, task, seed) is in `compared`."""
    staging = _staging(report_dir, EPISODES_DIR)
    traced = []
    for key in map(EpisodeKey._make, results.episodes[EPISODE_KEYS].itertuples(index=False, name=None)):
        group = (key.benchmark, key.task, key.seed)
        compare = compare_page_path(report_dir / COMPARE_DIR, *group) if group in compared else None
        try:
            traced.append(
                write_trace_page(results.path, key, trace_page_path(staging, key), report_dir / INDEX_FILE, compare)
            )
        except (FileNotFoundError, DamagedRecord) as error:  # changed since `aggregate`: its page is left out
            print(f"report: no trace page for {episode_id(key)}: {error}", flush=True)
    replace_dir(staging, report_dir / EPISODES_DIR)
    return traced


def write_compare_pages(traced: list[TracedEpisode], report_dir: Path, compared: set[tuple[str, str, int]]) -> None:
    """One compare page per (benchmark, task, seed) in `compared`, into report_dir/compare (swapped in complete)."""
    staging = _staging(report_dir, COMPARE_DIR)
    groups: dict[tuple[str, str, int], list[TracedEpisode]] = {}
    for episode in traced:
        groups.setdefault((episode.key.benchmark, episode.key.task, episode.key.seed), []).append(episode)
    for group in sorted(compared):
        write_compare_page(groups[group], compare_page_path(staging, *group), report_dir, report_dir / EPISODES_DIR)
    replace_dir(staging, report_dir / COMPARE_DIR)


def action_error_rows(traced: list[TracedEpisode]) -> pd.DataFrame:
    """The steps that carry a last_action_error (rows as in StudyResults.steps)."""
    rows = [row for episode in traced for row in episode.error_rows]
    return pd.DataFrame(rows, columns=None if rows else EPISODE_KEYS + ["last_action_error"])


def _episode_link(key: EpisodeKey, report_dir: Path) -> dict[str, str]:
    return {"label": episode_id(key), "url": relative_url(trace_page_path(report_dir / EPISODES_DIR, key), report_dir)}


def _error_groups_view(groups: pd.DataFrame, report_dir: Path) -> list[dict[Hashable, Any]]:
    return [
        {**row, "examples": [_episode_link(EpisodeKey(*keys), report_dir) for keys in row["examples"]]}
        for row in groups.to_dict("records")
    ]


def _per_task_view(results: StudyResults, tables: StudyTables, report_dir: Path) -> list[dict[str, Any]]:
    """Rows benchmark × task; per agent its success rate and a link per episode (missing ones unlinked)."""
    rates = {(r.benchmark, r.task, r.agent): r for r in tables.per_task.itertuples()}
    cells: dict[tuple, dict[str, list]] = {}
    finished = results.episodes[EPISODE_KEYS + ["status"]].itertuples(index=False, name=None)
    missing = ((*keys, "missing") for keys in results.missing[EPISODE_KEYS].itertuples(index=False, name=None))
    for benchmark, agent, task, seed, status in [*finished, *missing]:
        link = _episode_link(EpisodeKey(benchmark, agent, task, seed), report_dir) if status != "missing" else {}
        cells.setdefault((benchmark, task), {}).setdefault(agent, []).append(
            {"seed": seed, "status": status, "url": link.get("url")}
        )
    rows = []
    for (benchmark, task), by_agent in sorted(cells.items()):
        rows.append(
            {
                "benchmark": benchmark,
                "task": task,
                "agents": {
                    agent: {
                        "rate": rates.get((benchmark, task, agent)),
                        "episodes": sorted(episodes, key=lambda e: e["seed"]),
                    }
                    for agent, episodes in by_agent.items()
                },
            }
        )
    return rows


def _comparisons_view(results: StudyResults, tables: StudyTables) -> list[dict[Hashable, Any]]:
    """Each comparison row with the tasks each agent won."""
    views = []
    for row in tables.comparisons.to_dict("records"):
        in_benchmark = results.episodes[results.episodes["benchmark"] == row["benchmark"]]
        outcomes = task_outcomes(paired_episodes(in_benchmark, row["agent_a"], row["agent_b"]))
        views.append(
            {
                **row,
                "won_by_a": list(outcomes.loc[outcomes["winner"] == "a", "task"]),
                "won_by_b": list(outcomes.loc[outcomes["winner"] == "b", "task"]),
            }
        )
    return views


def index_context(
    results: StudyResults, tables: StudyTables, action_errors: pd.DataFrame, git: GitState, report_dir: Path
) -> dict[str, Any]:
    episodes = results.episodes
    agents = sorted(set(episodes["agent"]) | set(results.missing["agent"]))
    started = episodes["started_at"].dropna() if "started_at" in episodes else pd.Series(dtype=str)
    return {
        "study": results.manifest.get("study", results.path.name),
        "manifest": results.manifest,
        "n_done": len(episodes),
        "n_missing": len(results.missing),
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "first_started": started.min() if len(started) else None,
        "last_started": started.max() if len(started) else None,
        "git": git,
        "commits": commit_counts(episodes),
        "n_dirty": dirty_episodes(episodes),
        "versions": version_counts(episodes),
        "n_stale": len(stale_config_hashes(episodes, results.manifest)),
        "summary": tables.summary.to_dict("records"),
        "score_note": SCORE_NOTE,
        "damaged": results.damaged.to_dict("records"),
        "damaged_note": DAMAGED_NOTE,
        "plots": [
            {
                "url": relative_url(results.path / PLOTS[name], report_dir),
                "caption": caption,
                "exists": (results.path / PLOTS[name]).exists(),
            }
            for name, caption in PLOT_CAPTIONS.items()
        ],
        "comparisons": _comparisons_view(results, tables),
        "comparison_note": COMPARISON_NOTE,
        "confidence": BOOTSTRAP_CONFIDENCE,
        "agents": agents,
        "per_task": _per_task_view(results, tables, report_dir),
        "episode_errors": _error_groups_view(tables.errors, report_dir),
        "action_errors": _error_groups_view(action_errors, report_dir),
    }


def build_report(study_dir: str | Path, out_dir: str | Path | None = None, repo: str | Path | None = None) -> str:
    """Write the report of the study at `study_dir` (default into its report/ folder) from its aggregate
    outputs (`agentlab aggregate` first); `repo` is the workflow's git repository, whose commit and
    dirty flag the overview states. Returns a one-line report."""
    results, tables = read_study_outputs(study_dir)
    report_dir = Path(out_dir) if out_dir is not None else results.path / REPORT_DIR
    keys = list(map(EpisodeKey._make, results.episodes[EPISODE_KEYS].itertuples(index=False, name=None)))
    compared = compared_groups(keys)
    copy_assets(report_dir)
    traced = write_trace_pages(results, report_dir, compared)
    write_compare_pages(traced, report_dir, compared)
    study = results.manifest.get("study", results.path.name)
    write_agents_page(traced, tables.summary, study, report_dir)
    write_finder_data(results.episodes, compared, report_dir)
    action_errors = action_error_groups(action_error_rows(traced))
    git = git_state(Path(repo) if repo is not None else None)
    html = render("index.html", **index_context(results, tables, action_errors, git, report_dir))
    write_text_atomic(report_dir / INDEX_FILE, html)
    return f"report of {len(results.episodes)} episodes ({len(results.missing)} missing): {report_dir / INDEX_FILE}"
