"""The BrowserGym leaderboard's submissions (the ServiceNow/browsergym-leaderboard Hugging Face space's
README): per agent a folder `results/<agent>/` with one `<benchmark>.json` each, a list of entries with
agent_name, study_id, date_time, benchmark, score, std_err and the submitter's claims (Yes/No)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd

from ..analyze.load import StudyResults
from .readiness import any_dirty, episodes_of, last_started

# the leaderboard's file and display names of our benchmarks (its README: webarena.json, workarena-l1.json,
# workarena++-l2.json, workarena++-l3.json, miniwob.json); others keep their own name
FILES = {"workarena_l1": "workarena-l1", "workarena_l2": "workarena++-l2", "workarena_l3": "workarena++-l3"}
NAMES = {
    "miniwob": "MiniWoB",
    "webarena": "WebArena",
    "visualwebarena": "VisualWebArena",
    "workarena_l1": "WorkArena-L1",
    "workarena_l2": "WorkArena++-L2",
    "workarena_l3": "WorkArena++-L3",
    "assistantbench": "AssistantBench",
    "weblinx": "WebLINX",
}


def file_name(benchmark: str) -> str:
    return FILES.get(benchmark, benchmark.replace("_", "-")) + ".json"


def leaderboard_entry(results: StudyResults, row: Mapping[Hashable, Any]) -> dict[str, Any]:
    """One benchmark × agent of our summary table as a leaderboard entry: AgentLab's avg_reward and
    std_err (0 to 1, as AgentLab reports them); reproducible only from one clean commit."""
    benchmark, agent = str(row["benchmark"]), str(row["agent"])
    group = episodes_of(results, benchmark, agent)
    started = last_started(group)
    commits: list[str] = sorted(map(str, group["commit"].dropna().unique())) if "commit" in group else []
    done, total = str(row["n_completed"]).split("/")
    reproducible = len(commits) == 1 and not any_dirty(group) and done == total
    return {
        "agent_name": agent,
        "study_id": results.manifest.get("study", results.path.name),
        "date_time": started.strftime("%Y-%m-%d %H:%M:%S") if started is not None else "",
        "benchmark": NAMES.get(benchmark, benchmark),
        "score": float(row["avg_reward"]),
        "std_err": float(row["std_err"]),
        "benchmark_specific": "No",
        "benchmark_tuned": "No",
        "followed_evaluation_protocol": "Yes",
        "reproducible": "Yes" if reproducible else "No",
        "comments": (
            f"{row['n_completed']} episodes completed, {int(row['n_err'])} errors; "
            f"commit {', '.join(c[:12] for c in commits) or 'unknown'}"
        ),
        "original_or_reproduced": "Original",
    }


def leaderboard_files(results: StudyResults, summary: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """{"<agent>/<benchmark file>": [entry]}: the files of the space's results/ folder."""
    return {
        f"{row['agent']}/{file_name(str(row['benchmark']))}": [leaderboard_entry(results, row)]
        for row in summary.to_dict(orient="records")
    }
