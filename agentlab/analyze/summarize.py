"""The tables of a study: per benchmark × agent, and per task."""

from __future__ import annotations

import pandas as pd

from .stats import standard_error

STATUSES = ("success", "failure", "agent_error", "infra_error")
GROUP = ["benchmark", "agent"]
SUM_COLUMNS = ("input_tokens", "output_tokens", "cached_tokens")


def _cost_total(group: pd.DataFrame) -> float | None:
    """Sum of episode costs; None (unknown) if no episode has a cost or any has an unknown one."""
    if "cost" not in group or group["cost"].isna().all() or group["cost_unknown"].any():
        return None
    return float(group["cost"].fillna(0).sum())


def _count(frame: pd.DataFrame | None, benchmark: str, agent: str) -> int:
    if frame is None or frame.empty:
        return 0
    return int(((frame["benchmark"] == benchmark) & (frame["agent"] == agent)).sum())


def summarize(
    episodes: pd.DataFrame, missing: pd.DataFrame | None = None, relaunched: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per benchmark × agent: counts by status, success rate ± standard error, means, totals.

    The success rate counts success among episodes the agent is accountable for: infra errors
    (browser crash, API outage, timeout) are excluded from its denominator and counted apart.
    `relaunched` episodes (archived earlier attempts) are only counted.
    """
    missing = missing if missing is not None else pd.DataFrame(columns=GROUP)
    keys = sorted(
        set(map(tuple, episodes[GROUP].drop_duplicates().values.tolist()))
        | set(map(tuple, missing[GROUP].drop_duplicates().values.tolist()))
    )
    rows = []
    for benchmark, agent in keys:
        group = episodes[(episodes["benchmark"] == benchmark) & (episodes["agent"] == agent)]
        counts = {status: int((group["status"] == status).sum()) for status in STATUSES}
        n_scored = len(group) - counts["infra_error"]
        row = {
            "benchmark": benchmark,
            "agent": agent,
            "n": n_scored,
            "success_rate": counts["success"] / n_scored if n_scored else float("nan"),
            "std_err": standard_error(counts["success"], n_scored),
            **{f"n_{status}": count for status, count in counts.items()},
            "n_errors": counts["agent_error"] + counts["infra_error"],
            "n_missing": _count(missing, benchmark, agent),
            "n_relaunched": _count(relaunched, benchmark, agent),
            "mean_steps": group["n_steps"].mean() if len(group) else float("nan"),
            "mean_seconds": group["elapsed_s"].mean() if len(group) else float("nan"),
        }
        for column in SUM_COLUMNS:
            row[column] = int(group[column].fillna(0).sum()) if column in group else 0
        row["cost"] = _cost_total(group)
        rows.append(row)
    return pd.DataFrame(rows)


def per_task(episodes: pd.DataFrame) -> pd.DataFrame:
    """One row per benchmark × task × agent: episodes, successes, success rate, mean steps."""
    if episodes.empty:
        return pd.DataFrame(columns=["benchmark", "task", "agent", "n", "n_success", "success_rate", "mean_steps"])
    scored = episodes[episodes["status"] != "infra_error"]
    table = (
        scored.groupby(["benchmark", "task", "agent"], sort=True)
        .agg(n=("success", "size"), n_success=("success", "sum"), mean_steps=("n_steps", "mean"))
        .reset_index()
    )
    table["n_success"] = table["n_success"].astype(int)
    table["success_rate"] = table["n_success"] / table["n"]
    return table[["benchmark", "task", "agent", "n", "n_success", "success_rate", "mean_steps"]]
