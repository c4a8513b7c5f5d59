"""The tables of a study: per benchmark × agent, and per task.

Two ways to score the same episodes, side by side:

- the benchmark's **score**: success rate (binary rewards) or mean reward (continuous rewards)
  over the episodes the agent is accountable for: infra errors (browser crash, API outage, a time
  limit, after every retry) are left out and counted apart; evaluation and agent errors score 0;
- **AgentLab's columns** (`avg_reward`, `std_err`, `avg_steps`, `n_completed`, `n_err`), computed
  as ServiceNow AgentLab 0.4.2's `inspect_results.summarize` does: over every finished episode,
  every error with reward 0, a (task, seed) that BrowserGym's seed draw repeats counted as often
  as AgentLab runs it, and the episodes not finished yet in `n_completed`'s denominator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.records import ERROR_STATUSES, STATUSES
from .stats import clustered_standard_error, standard_error

GROUP = ["benchmark", "agent"]
SUM_COLUMNS = ("input_tokens", "output_tokens", "cached_tokens")
SCORE_NOTE = (
    "score: success rate (binary rewards) or mean reward (continuous rewards) ± its standard error, over the "
    "episodes the agent is accountable for: infra errors (browser crash, API outage, a time limit, after every "
    "retry) are left out and counted in n_infra_error; agent and evaluation errors score 0. The standard error "
    "is binomial, sqrt(p(1−p)/n), for success rates and the sample one, s/√n, for mean rewards; both treat "
    "episodes as independent. clustered s.e. treats a task's seeds as one cluster: sqrt(Σ_tasks (Σ_seeds "
    "(score − mean))²)/n (Miller 2024, 'Adding Error Bars to Evals'); equal to the binomial one when each task "
    "has one episode, larger when a task's seeds tend to agree. "
    "AgentLab's columns (avg_reward ± std_err, avg_steps, n_completed, n_err) are computed as ServiceNow "
    "AgentLab 0.4.2's inspect_results.summarize: over every finished episode, errors of any kind with reward 0, "
    "a (task, seed) that BrowserGym's seed draw repeats counted as often as AgentLab runs it, and unfinished "
    "episodes in n_completed's denominator."
)


def _cost_total(group: pd.DataFrame) -> float | None:
    """Sum of episode costs; None (unknown) if no episode has a cost or any has an unknown one."""
    if "cost" not in group or group["cost"].isna().all() or group["cost_unknown"].any():
        return None
    return float(group["cost"].fillna(0).sum())


def _count(frame: pd.DataFrame | None, benchmark: str, agent: str, column: str | None = None) -> int:
    """Rows of `frame` for benchmark × agent, or the sum of their `column`."""
    if frame is None or frame.empty:
        return 0
    rows = frame[(frame["benchmark"] == benchmark) & (frame["agent"] == agent)]
    return int(rows[column].sum()) if column else len(rows)


def score_and_error(scores: pd.Series, kind: str) -> tuple[float, float]:
    """Mean of episode scores with its standard error: binomial for success, sample-based for rewards."""
    n = len(scores)
    if n == 0:
        return float("nan"), float("nan")
    if kind == "binary":
        return float(scores.mean()), standard_error(int(scores.sum()), n)
    return float(scores.mean()), float(scores.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0


def agentlab_rows(group: pd.DataFrame, n_unfinished: int) -> pd.DataFrame:
    """One benchmark × agent's episodes as rows of AgentLab's result table (what its `summarize` reads):
    each finished episode as often as AgentLab runs it (`weight`), with `cum_reward` (0 after an
    error), `err_msg` (set for every error) and `n_steps`; then the unfinished ones, without results."""
    rows = group.loc[group.index.repeat(group["weight"])] if len(group) else group
    errors = rows["status"].isin(ERROR_STATUSES) if len(rows) else pd.Series(dtype=bool)
    finished = pd.DataFrame(
        {
            "cum_reward": rows["agentlab_reward"].astype(float).to_numpy() if len(rows) else [],
            "err_msg": [status if error else None for status, error in zip(rows.get("status", []), errors)],
            "truncated": (rows["truncated"].astype(bool) | ~errors & ~rows["terminated"].astype(bool)).to_numpy()
            if len(rows)
            else [],
            "terminated": rows["terminated"].astype(bool).to_numpy() if len(rows) else [],
            "n_steps": rows["n_steps"].astype(float).to_numpy() if len(rows) else [],
        }
    )
    unfinished = pd.DataFrame(
        {
            "cum_reward": [np.nan] * n_unfinished,
            "err_msg": [None] * n_unfinished,
            "truncated": [False] * n_unfinished,
            "terminated": [False] * n_unfinished,
            "n_steps": [np.nan] * n_unfinished,
        }
    )
    return pd.concat([finished, unfinished], ignore_index=True) if n_unfinished else finished


def agentlab_summary(rows: pd.DataFrame) -> dict[str, object]:
    """AgentLab 0.4.2's `inspect_results.summarize` of `agentlab_rows`: the mean reward over the
    finished rows, its standard error (binomial when every reward is 0 or 1, else the sample
    standard error), mean steps, completed/all rows and errors, rounded to 3 decimals as it does."""
    err = rows["err_msg"].notnull()
    n_completed = int((err | rows["truncated"] | rows["terminated"]).sum())
    if n_completed == 0:
        return {
            "avg_reward": float("nan"),
            "std_err": float("nan"),
            "avg_steps": float("nan"),
            "n_completed": f"0/{len(rows)}",
            "n_err": 0,
        }
    rewards = rows["cum_reward"].dropna().to_numpy(dtype=float)
    if np.all(np.isin(rewards, [0, 1])):
        std_err = np.sqrt(rewards.mean() * (1 - rewards.mean()) / len(rewards))
    else:
        std_err = np.std(rewards, ddof=1) / np.sqrt(len(rewards))
        std_err = 0.0 if np.isnan(std_err) else std_err
    return {
        "avg_reward": round(float(rows["cum_reward"].mean(skipna=True)), 3),
        "std_err": round(float(std_err), 3),
        "avg_steps": round(float(rows["n_steps"].mean(skipna=True)), 3),
        "n_completed": f"{n_completed}/{len(rows)}",
        "n_err": int(err.sum()),
    }


def summarize(
    episodes: pd.DataFrame,
    missing: pd.DataFrame | None = None,
    relaunched: pd.DataFrame | None = None,
    damaged: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per benchmark × agent: the benchmark's score ± standard error, AgentLab's columns,
    counts by status, means and totals (see the module's docstring for who counts where).

    `missing` and `damaged` episodes (not finished, or unreadable) are counted, `relaunched` ones
    (archived earlier attempts) too."""
    missing = missing if missing is not None else pd.DataFrame(columns=GROUP)
    damaged = damaged if damaged is not None else pd.DataFrame(columns=GROUP)
    keys = sorted(
        set(map(tuple, episodes[GROUP].drop_duplicates().values.tolist()))
        | set(map(tuple, missing[GROUP].drop_duplicates().values.tolist()))
        | set(map(tuple, damaged[GROUP].drop_duplicates().values.tolist()))
    )
    rows = []
    for benchmark, agent in keys:
        group = episodes[(episodes["benchmark"] == benchmark) & (episodes["agent"] == agent)]
        counts = {status: int((group["status"] == status).sum()) for status in STATUSES}
        kind = group["reward_kind"].iloc[0] if len(group) else "binary"
        scored = group[group["status"] != "infra_error"]
        score, score_std_err = score_and_error(scored["score"], kind)
        n_unfinished = sum(_count(frame, benchmark, agent, "weight") for frame in (missing, damaged))
        row = {
            "benchmark": benchmark,
            "agent": agent,
            "reward_kind": kind,
            "score": score,
            "score_std_err": score_std_err,
            "score_std_err_clustered": clustered_standard_error(scored["score"], scored["task"]),
            "n_scored": len(group) - counts["infra_error"],
            **agentlab_summary(agentlab_rows(group, n_unfinished)),
            **{f"n_{status}": count for status, count in counts.items()},
            "n_missing": _count(missing, benchmark, agent),
            "n_damaged": _count(damaged, benchmark, agent),
            "n_relaunched": _count(relaunched, benchmark, agent),
            "mean_seconds": group["elapsed_s"].mean() if len(group) else float("nan"),
        }
        for column in SUM_COLUMNS:
            row[column] = int(group[column].fillna(0).sum()) if column in group else 0
        row["cost"] = _cost_total(group)
        rows.append(row)
    return pd.DataFrame(rows)


def per_task(episodes: pd.DataFrame) -> pd.DataFrame:
    """One row per benchmark × task × agent, over the scored episodes (not infra errors): episodes,
    successes, score (success rate or mean reward) and mean steps."""
    columns = ["benchmark", "task", "agent", "n", "n_success", "score", "mean_steps"]
    if episodes.empty:
        return pd.DataFrame(columns=columns)
    scored = episodes[episodes["status"] != "infra_error"]
    table = (
        scored.groupby(["benchmark", "task", "agent"], sort=True)
        .agg(
            n=("success", "size"), n_success=("success", "sum"), score=("score", "mean"), mean_steps=("n_steps", "mean")
        )
        .reset_index()
    )
    table["n_success"] = table["n_success"].astype(int)
    return table[columns]
