"""Where a study's results live on disk: one place for every path under results/<study>/."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from .files import RefusedFile, read_inside

RESULTS_DIR = "results"
MANIFEST_FILE = "study.json"  # the study's expected episodes and configs
RELAUNCHED_DIR = "relaunched"  # episode folders moved away by `agentlab relaunch`
REPORT_DIR = "report"  # the HTML report: index.html and episodes/<episode>.html
SPEND_FILE = "spend.jsonl"  # one line per episode attempt: its cost (agentlab.core.budget)
STATUS_CACHE_FILE = "status_cache.json"  # statuses read before (agentlab.study.status): derived, safe to delete
SPEND_TOTAL_FILE = "spend_total.json"  # the ledger's running total, so a check does not reread it
# What `agentlab aggregate` writes into the study folder; the aggregate rule declares these same
# files as its outputs (rules/common.smk), so a name is changed here only.
TABLES = {
    "summary_md": "summary.md",  # the tables in Markdown, with what each column counts
    "summary_csv": "summary.csv",  # per benchmark × agent
    "episodes_csv": "episodes.csv",  # one row per finished episode
    "per_task_csv": "per_task.csv",  # per benchmark × task × agent
    "comparisons_csv": "comparisons.csv",  # per benchmark × pair of agents
    "pass_k_csv": "pass_k.csv",  # per benchmark × agent × k: pass@k and pass^k
    "errors_csv": "errors.csv",  # errors that ended episodes, grouped
    "damaged_csv": "damaged.csv",  # result files that could not be read, with the reason
}
PLOTS = {  # the figures, which the report shows
    "score_plot": "plots/score.png",
    "per_task_plot": "plots/per_task_score.png",
    "cost_plot": "plots/cost_vs_score.png",
}
# Inside an episode folder:
SUMMARY_FILE = "summary.json"  # written last: its presence means the episode is finished
STEPS_FILE = "steps.jsonl"
SCREENSHOTS_DIR = "screenshots"
OBSERVATIONS_DIR = "observations"  # per step, gzipped JSON: pruned HTML and element boxes (the trace viewer's)
EPISODE_LOG = "episode.log"  # output of every attempt, appended
STAGING_DIR = ".staging"  # files of the attempt in progress
ATTEMPTS_DIR = "attempts"  # failed attempts that were retried


# Names that become folders: a study's, benchmarks' and agents' as config/schema.yaml allows them (sweep
# variants add '='), and tasks as one folder name; `\Z`, not `$`, which matches before a final newline.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
AGENT_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.=-]*\Z")
TASK_PATTERN = re.compile(r"[^./\\\x00-\x1f][^/\\\x00-\x1f]*\Z")
MAX_FOLDER_NAME_BYTES = 255  # Linux's NAME_MAX
MAX_MANIFEST_BYTES = 256 * 2**20


class EpisodeKey(NamedTuple):
    benchmark: str
    agent: str
    task: str
    seed: int


def key_problem(key: EpisodeKey) -> str | None:
    """Why `key` (from a manifest or a folder someone else wrote) cannot name a folder inside its
    study, in one phrase; None if it can."""
    problem = _name_problem("benchmark", key.benchmark) or _name_problem("agent", key.agent)
    problem = problem or _name_problem("task", key.task)
    if problem is None and (not isinstance(key.seed, int) or isinstance(key.seed, bool) or key.seed < 0):
        problem = f"seed {key.seed!r} cannot be a folder of the study; allowed: a whole number from 0"
    return problem


NAME_RULES = {  # kind of name: its pattern, and what it allows in words
    "benchmark": (NAME_PATTERN, "letters, digits, '_', '.', '-', not first '.'"),
    "agent": (AGENT_PATTERN, "letters, digits, '_', '.', '=', '-', not first '.'"),
    "task": (TASK_PATTERN, "one folder name, no '/' or '\\', not first '.'"),
}


def _name_problem(kind: str, name: Any) -> str | None:
    if not isinstance(name, str):
        return f"{kind} name {name!r} cannot be a folder of the study; allowed: a text"
    return _text_name_problem(kind, name)


@functools.lru_cache(maxsize=4096)  # a study's names repeat in every key
def _text_name_problem(kind: str, name: str) -> str | None:
    pattern, allowed = NAME_RULES[kind]
    if not pattern.match(name) or len(name.encode()) > MAX_FOLDER_NAME_BYTES:
        return f"{kind} name {name!r} cannot be a folder of the study; allowed: {allowed}"
    return None


def episode_dir(study_dir: Path, key: EpisodeKey) -> Path:
    return study_dir / key.benchmark / key.agent / key.task / f"seed{key.seed}"


def episode_id(key: EpisodeKey) -> str:
    """An episode's folder relative to its study, "benchmark/agent/task/seedN": its name in tables."""
    return episode_dir(Path(), key).as_posix()


def summary_path(study_dir: Path, key: EpisodeKey) -> Path:
    return episode_dir(study_dir, key) / SUMMARY_FILE


def summary_path_text(study_dir: str, key: EpisodeKey) -> str:
    """summary_path as a plain string: planning makes one per episode, and pathlib costs ten times more."""
    return f"{study_dir}/{key.benchmark}/{key.agent}/{key.task}/seed{key.seed}/{SUMMARY_FILE}"


def read_manifest(study_dir: Path) -> dict[str, Any] | None:
    """The study's manifest (written by the workflow), or None before its first run or if it is
    damaged (the next run rewrites it; meanwhile readers fall back to the episodes on disk)."""
    try:
        manifest = json.loads(read_inside(study_dir, MANIFEST_FILE, MAX_MANIFEST_BYTES).decode("utf-8"))
    except (FileNotFoundError, RefusedFile, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return manifest if isinstance(manifest, dict) and isinstance(manifest.get("benchmarks"), dict) else None


def episode_grid(benchmarks: dict[str, Iterable[tuple[str, int]]], agents: Iterable[str]) -> Iterator[EpisodeKey]:
    """Benchmarks ({name: its (task, seed) pairs}) × agents, in a stable order."""
    agents = list(agents)
    for benchmark, episodes in benchmarks.items():
        episodes = list(episodes)
        for agent in agents:
            for task, seed in episodes:
                yield EpisodeKey(benchmark, agent, task, seed)


def manifest_episodes(plan: dict[str, Any]) -> list[tuple[str, int]]:
    """A manifest benchmark's (task, seed) pairs: every task with every seed, or with its own
    seeds (`task_seeds`) for a curriculum such as WorkArena's."""
    task_seeds = plan.get("task_seeds", {})
    return [(task, seed) for task in plan["tasks"] for seed in task_seeds.get(task, plan["seeds"])]


def expected_episodes(manifest: dict[str, Any]) -> Iterator[EpisodeKey]:
    """Every episode the manifest's study config asks for."""
    plans: dict[str, Iterable[tuple[str, int]]] = {
        name: manifest_episodes(plan) for name, plan in manifest["benchmarks"].items()
    }
    return episode_grid(plans, manifest["agents"])


def study_episodes(study_dir: Path, manifest: dict[str, Any] | None) -> list[EpisodeKey]:
    """The manifest's episodes; without a manifest, those with a summary on disk."""
    if manifest is not None:
        return list(expected_episodes(manifest))
    keys = []
    for path in sorted(study_dir.glob("*/*/*/seed*/summary.json")):
        benchmark, agent, task, seed_dir = path.parts[-5:-1]
        keys.append(EpisodeKey(benchmark, agent, task, int(seed_dir.removeprefix("seed"))))
    return keys


def relaunched_episodes(study_dir: Path) -> Iterator[tuple[str, EpisodeKey]]:
    """(archive stamp, key) of every episode folder moved away by `agentlab relaunch`."""
    for path in sorted((study_dir / RELAUNCHED_DIR).glob("*/*/*/*/seed*")):
        stamp, benchmark, agent, task, seed_dir = path.parts[-5:]
        yield stamp, EpisodeKey(benchmark, agent, task, int(seed_dir.removeprefix("seed")))
