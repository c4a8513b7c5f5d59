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


def success_rate_plot(summary: pd.DataFrame) -> bytes:
    """Success rate per agent, one panel per benchmark, with standard-error bars."""
    benchmarks = sorted(summary["benchmark"].unique()) or ["(no episodes)"]
    figure, axes = plt.subplots(1, len(benchmarks), figsize=(1.5 + 2.5 * len(benchmarks), 3.5), squeeze=False)
    for axis, benchmark in zip(axes[0], benchmarks):
        rows = summary[summary["benchmark"] == benchmark]
        positions = np.arange(len(rows))
        axis.bar(positions, rows["success_rate"].fillna(0), yerr=rows["std_err"].fillna(0),
                 capsize=4, color="#4C72B0")
        axis.set_xticks(positions, rows["agent"], rotation=30, ha="right")
        axis.set_ylim(0, 1.05)
        axis.set_title(benchmark)
        axis.set_ylabel("success rate")
    return _png(figure)


def per_task_heatmap(per_task: pd.DataFrame) -> bytes:
    """Success rate of each agent (columns) on each task (rows)."""
    if per_task.empty:
        grid = pd.DataFrame([[np.nan]], index=["(no episodes)"], columns=["-"])
    else:
        labels = per_task["benchmark"] + "/" + per_task["task"]
        grid = per_task.assign(label=labels).pivot(index="label", columns="agent", values="success_rate")
    height = 1.2 + 0.25 * len(grid)
    figure, axis = plt.subplots(figsize=(2.5 + 1.0 * len(grid.columns), height))
    image = axis.imshow(grid.values.astype(float), cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    axis.set_xticks(range(len(grid.columns)), grid.columns, rotation=30, ha="right")
    axis.set_yticks(range(len(grid.index)), grid.index, fontsize=8)
    figure.colorbar(image, ax=axis, label="success rate")
    return _png(figure)
