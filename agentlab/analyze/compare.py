"""Paired comparisons of agents that ran the same tasks and seeds of a benchmark."""

from __future__ import annotations

import itertools

import pandas as pd

from .stats import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, paired_bootstrap

PAIR_KEYS = ["benchmark", "task", "seed"]
COMPARISON_COLUMNS = [
    "benchmark",
    "reward_kind",
    "agent_a",
    "agent_b",
    "n_pairs",
    "score_a",
    "score_b",
    "difference",
    "ci_low",
    "ci_high",
    "both_success",
    "only_a",
    "only_b",
    "both_failure",
    "task_wins_a",
    "task_wins_b",
    "task_ties",
]


def paired_episodes(episodes: pd.DataFrame, agent_a: str, agent_b: str) -> pd.DataFrame:
    """Episodes that both agents finished on the same benchmark, task and seed: score_a, score_b
    (success as 1/0, or the reward of a continuous benchmark).

    Infra errors are left out, as in the score: neither agent is accountable for them.
    """
    scored = episodes[episodes["status"] != "infra_error"]
    side = {agent: scored.loc[scored["agent"] == agent, PAIR_KEYS + ["score"]] for agent in (agent_a, agent_b)}
    return side[agent_a].merge(side[agent_b], on=PAIR_KEYS, suffixes=("_a", "_b"))


def task_outcomes(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per task of `pairs`: the score of each agent over the paired seeds and who won it."""
    table = (
        pairs.groupby(["benchmark", "task"], sort=True)
        .agg(n_pairs=("seed", "size"), score_a=("score_a", "mean"), score_b=("score_b", "mean"))
        .reset_index()
    )
    difference = table["score_a"] - table["score_b"]
    table["winner"] = ["a" if d > 0 else "b" if d < 0 else "tie" for d in difference]
    return table


def compare_agents(
    episodes: pd.DataFrame, n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> pd.DataFrame:
    """One row per benchmark × pair of agents: scores on the paired episodes, their difference
    (a − b) with a paired bootstrap confidence interval, and wins/losses per episode and task.

    Per episode: both_success (same score, above 0), only_a / only_b (that agent scored higher),
    both_failure (both 0); for 0/1 rewards, exactly what the names say.
    """
    rows = []
    for benchmark in sorted(episodes["benchmark"].unique()):
        in_benchmark = episodes[episodes["benchmark"] == benchmark]
        for agent_a, agent_b in itertools.combinations(sorted(in_benchmark["agent"].unique()), 2):
            pairs = paired_episodes(in_benchmark, agent_a, agent_b)
            a, b = pairs["score_a"].astype(float), pairs["score_b"].astype(float)
            interval = paired_bootstrap(a - b, n_resamples, seed=seed)
            winners = task_outcomes(pairs)["winner"]
            rows.append(
                {
                    "benchmark": benchmark,
                    "reward_kind": in_benchmark["reward_kind"].iloc[0],
                    "agent_a": agent_a,
                    "agent_b": agent_b,
                    "n_pairs": len(pairs),
                    "score_a": a.mean() if len(pairs) else float("nan"),
                    "score_b": b.mean() if len(pairs) else float("nan"),
                    "difference": interval.estimate,
                    "ci_low": interval.low,
                    "ci_high": interval.high,
                    "both_success": int(((a == b) & (a > 0)).sum()),
                    "only_a": int((a > b).sum()),
                    "only_b": int((a < b).sum()),
                    "both_failure": int(((a == 0) & (b == 0)).sum()),
                    "task_wins_a": int((winners == "a").sum()),
                    "task_wins_b": int((winners == "b").sum()),
                    "task_ties": int((winners == "tie").sum()),
                }
            )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
