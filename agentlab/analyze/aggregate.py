"""Write a study's tables (CSV, Markdown) and plots (PNG), from whatever episodes exist."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..io import remove_stale_temporaries, write_bytes_atomic, write_text_atomic
from .load import StudyResults, load_study
from .plots import per_task_heatmap, success_rate_plot
from .summarize import per_task, summarize


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value).replace("|", "\\|")


def markdown_table(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def summary_markdown(results: StudyResults, summary: pd.DataFrame) -> str:
    n_done, n_missing = len(results.episodes), len(results.missing)
    shown = summary.copy()
    shown.insert(3, "success", [
        "–" if math.isnan(rate) else f"{rate:.1%} ± {err:.1%}"
        for rate, err in zip(shown["success_rate"], shown["std_err"])
    ])
    shown = shown.drop(columns=["success_rate", "std_err"])
    lines = [
        f"# Study {results.manifest.get('study', results.path.name)}",
        "",
        f"{n_done} of {n_done + n_missing} episodes done; **{n_missing} missing**."
        if n_missing else f"All {n_done} episodes done.",
        "",
        "Success rate ± standard error over the episodes the agent is accountable for "
        "(infra errors excluded and counted apart).",
        "",
        markdown_table(shown),
        "",
    ]
    return "\n".join(lines)


def aggregate_study(study_dir: str | Path, out_dir: str | Path | None = None) -> str:
    """Write episodes.csv, summary.csv, summary.md, per_task.csv and plots/; return a one-line report."""
    results = load_study(study_dir)
    out = Path(out_dir) if out_dir is not None else results.path
    summary = summarize(results.episodes, results.missing, results.relaunched)
    tasks = per_task(results.episodes)
    for folder in (out, out / "plots"):
        remove_stale_temporaries(folder)
    write_text_atomic(out / "episodes.csv", results.episodes.to_csv(index=False))
    write_text_atomic(out / "summary.csv", summary.to_csv(index=False))
    write_text_atomic(out / "per_task.csv", tasks.to_csv(index=False))
    write_text_atomic(out / "summary.md", summary_markdown(results, summary))
    write_bytes_atomic(out / "plots" / "success_rate.png", success_rate_plot(summary))
    write_bytes_atomic(out / "plots" / "per_task_success.png", per_task_heatmap(tasks))
    return f"{len(results.episodes)} episodes aggregated, {len(results.missing)} missing, into {out}"
