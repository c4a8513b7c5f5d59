"""pass@k and pass^k per benchmark × agent: how often an agent solves a task in at least one (pass@k)
or in every one (pass^k) of k tries, from the several seeds each task was run with."""

from __future__ import annotations

import pandas as pd

from .stats import pass_at_k, pass_hat_k

COLUMNS = ["benchmark", "agent", "k", "pass_at_k", "pass_hat_k", "n_tasks"]
PASS_K_NOTE = (
    "pass@k: the chance that at least one of k episodes of a task succeeds; pass^k: that all k succeed. Per task, "
    "from its n scored episodes (infra errors left out) of which c succeeded, drawn without replacement: "
    "pass@k = 1 − C(n−c, k)/C(n, k) (the unbiased estimator of Chen et al. 2021) and pass^k = C(c, k)/C(n, k); "
    "then averaged over the tasks with n ≥ k (n_tasks), for k from 1 to the most episodes a task has. "
    "pass@1 = pass^1 is the success rate with every task weighing the same."
)


def pass_k_table(episodes: pd.DataFrame) -> pd.DataFrame:
    """One row per benchmark × agent × k: mean pass@k and pass^k over the tasks with at least k scored episodes."""
    if episodes.empty:
        return pd.DataFrame(columns=COLUMNS)
    scored = episodes[episodes["status"] != "infra_error"]
    counts = (
        scored.assign(success=scored["success"].astype(bool))
        .groupby(["benchmark", "agent", "task"], sort=True)["success"]
        .agg(n="size", c="sum")
        .reset_index()
    )
    rows = []
    for (benchmark, agent), tasks in counts.groupby(["benchmark", "agent"], sort=True):
        for k in range(1, int(tasks["n"].max()) + 1):
            eligible = tasks[tasks["n"] >= k]
            pairs = list(zip(eligible["n"].astype(int), eligible["c"].astype(int), strict=True))
            rows.append(
                {
                    "benchmark": benchmark,
                    "agent": agent,
                    "k": k,
                    "pass_at_k": sum(pass_at_k(n, c, k) for n, c in pairs) / len(pairs),
                    "pass_hat_k": sum(pass_hat_k(n, c, k) for n, c in pairs) / len(pairs),
                    "n_tasks": len(pairs),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def pass_k_wide(table: pd.DataFrame) -> pd.DataFrame:
    """The table with one row per benchmark × agent and a column per pass@k and pass^k, for people."""
    if table.empty:
        return pd.DataFrame(columns=["benchmark", "agent"])
    wide = table.pivot(index=["benchmark", "agent"], columns="k", values=["pass_at_k", "pass_hat_k"])
    ks = sorted(table["k"].unique())
    columns = {f"pass@{k}": wide[("pass_at_k", k)] for k in ks}
    columns |= {f"pass^{k}": wide[("pass_hat_k", k)] for k in ks if k > 1}  # pass^1 is pass@1
    return pd.DataFrame(columns).reset_index()
