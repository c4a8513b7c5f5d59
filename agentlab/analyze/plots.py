"""Matplotlib figures of a study, returned as PNG bytes."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def score_plot(summary: pd.DataFrame) -> bytes:
    """The score (success rate, or mean reward) per agent, one panel per benchmark, with standard-error bars."""
    benchmarks = sorted(summary["benchmark"].unique()) or ["(no episodes)"]
    figure, axes = plt.subplots(1, len(benchmarks), figsize=(1.5 + 2.5 * len(benchmarks), 3.5), squeeze=False)
    for axis, benchmark in zip(axes[0], benchmarks):
        rows = summary[summary["benchmark"] == benchmark]
        positions = np.arange(len(rows))
        axis.bar(positions, rows["score"].fillna(0), yerr=rows["score_std_err"].fillna(0), capsize=4, color="#4C72B0")
        axis.set_xticks(positions, rows["agent"], rotation=30, ha="right")
        axis.set_ylim(0, 1.05)
        axis.set_title(benchmark)
        axis.set_ylabel(score_label(rows))
    return _png(figure)


def score_label(summary: pd.DataFrame) -> str:
    """What the score of these rows is: success rate, mean reward, or both."""
    kinds = set(summary["reward_kind"]) if "reward_kind" in summary else {"binary"}
    return {frozenset({"binary"}): "success rate", frozenset({"continuous"}): "mean reward"}.get(
        frozenset(kinds), "score (success rate or mean reward)"
    )


def per_task_heatmap(per_task: pd.DataFrame) -> bytes:
    """The score (success rate, or mean reward) of each agent (columns) on each task (rows)."""
    if per_task.empty:
        grid = pd.DataFrame([[np.nan]], index=["(no episodes)"], columns=["-"])
    else:
        labels = per_task["benchmark"] + "/" + per_task["task"]
        grid = per_task.assign(label=labels).pivot(index="label", columns="agent", values="score")
    height = 1.2 + 0.25 * len(grid)
    figure, axis = plt.subplots(figsize=(2.5 + 1.0 * len(grid.columns), height))
    image = axis.imshow(grid.values.astype(float), cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    axis.set_xticks(range(len(grid.columns)), grid.columns, rotation=30, ha="right")
    axis.set_yticks(range(len(grid.index)), grid.index, fontsize=8)
    figure.colorbar(image, ax=axis, label="score (success rate or mean reward)")
    return _png(figure)


def cost_vs_success_plot(summary: pd.DataFrame) -> bytes:
    """Score (± standard error) against mean cost per episode, one point per benchmark × agent.

    Agents whose cost is unknown (no price, or no LLM) are listed under the axis instead of drawn.
    """
    n_episodes = summary["n_scored"] + summary["n_infra_error"]
    cost = pd.to_numeric(summary["cost"], errors="coerce") / n_episodes.where(n_episodes > 0)
    known = summary.assign(cost_per_episode=cost)[cost.notna()]
    figure, axis = plt.subplots(figsize=(5.5, 3.8))
    for benchmark, rows in known.groupby("benchmark"):
        axis.errorbar(
            rows["cost_per_episode"],
            rows["score"],
            yerr=rows["score_std_err"].fillna(0),
            fmt="o",
            capsize=4,
            label=benchmark,
        )
        for row in rows.itertuples():
            axis.annotate(
                str(row.agent), (row.cost_per_episode, row.score), textcoords="offset points", xytext=(5, 5), fontsize=8
            )
    unknown = summary.loc[cost.isna(), ["benchmark", "agent"]].drop_duplicates()
    if len(unknown):
        names = ", ".join(f"{r.agent} ({r.benchmark})" for r in unknown.itertuples())
        axis.text(0.5, -0.28, f"cost unknown: {names}", transform=axis.transAxes, ha="center", fontsize=8, wrap=True)
    if known.empty:
        axis.text(0.5, 0.5, "no agent reported a cost", transform=axis.transAxes, ha="center", va="center")
    else:
        axis.legend(fontsize=8)
    axis.set_xlabel("mean cost per episode (USD)")
    axis.set_ylabel(score_label(summary))
    axis.set_ylim(0, 1.05)
    axis.set_xlim(left=0)
    return _png(figure)
