"""Write a study's tables (CSV, Markdown) and plots (PNG), from whatever episodes exist."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..io import remove_stale_temporaries, write_bytes_atomic, write_text_atomic
from ..layout import COST_PLOT, PER_TASK_PLOT, PLOTS_DIR, SUCCESS_PLOT, EpisodeKey, episode_id
from .compare import compare_agents
from .error_groups import episode_error_groups
from .formatting import format_cell, format_difference, format_interval, format_percent, format_rate
from .load import StudyResults, load_study
from .plots import cost_vs_success_plot, per_task_heatmap, success_rate_plot
from .stats import BOOTSTRAP_CONFIDENCE, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED
from .summarize import per_task, summarize

COMPARISON_NOTE = (
    f"Difference in success rate (a − b) over the episodes both agents finished on the same task and "
    f"seed (infra errors excluded), with a {BOOTSTRAP_CONFIDENCE:.0%} paired bootstrap interval "
    f"({BOOTSTRAP_RESAMPLES:,} resamples of the pairs, seed {BOOTSTRAP_SEED}). Tasks won: tasks where "
    f"one agent's success rate over the paired seeds is higher."
)


@dataclass
class StudyTables:
    """The tables of a study, computed once from its episodes: summary.md, the CSVs and the report show these."""

    summary: pd.DataFrame  # per benchmark × agent
    per_task: pd.DataFrame  # per benchmark × task × agent
    comparisons: pd.DataFrame  # per benchmark × pair of agents
    errors: pd.DataFrame  # errors that ended episodes, grouped


def study_tables(results: StudyResults) -> StudyTables:
    return StudyTables(
        summary=summarize(results.episodes, results.missing, results.relaunched),
        per_task=per_task(results.episodes),
        comparisons=compare_agents(results.episodes),
        errors=episode_error_groups(results.episodes),
    )


def markdown_table(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += [
        "| " + " | ".join(format_cell(v).replace("|", "\\|") for v in row) + " |"
        for row in table.itertuples(index=False)
    ]
    return "\n".join(lines)


def comparison_rows(comparisons: pd.DataFrame) -> pd.DataFrame:
    """The comparisons as shown to people: rates, difference and interval in words."""
    return pd.DataFrame({
        "benchmark": comparisons["benchmark"],
        "a": comparisons["agent_a"],
        "b": comparisons["agent_b"],
        "pairs": comparisons["n_pairs"],
        "success a": comparisons["success_rate_a"].map(format_percent),
        "success b": comparisons["success_rate_b"].map(format_percent),
        "a − b": comparisons["difference"].map(format_difference),
        f"{BOOTSTRAP_CONFIDENCE:.0%} CI": [format_interval(lo, hi) for lo, hi in
                                           zip(comparisons["ci_low"], comparisons["ci_high"])],
        "only a": comparisons["only_a"],
        "only b": comparisons["only_b"],
        "tasks won a/b/tie": [f"{a}/{b}/{t}" for a, b, t in zip(
            comparisons["task_wins_a"], comparisons["task_wins_b"], comparisons["task_ties"])],
    })


def error_rows(errors: pd.DataFrame) -> pd.DataFrame:
    """The grouped errors with their examples as episode folders, for CSV and Markdown."""
    return errors.assign(examples=["; ".join(episode_id(EpisodeKey(*keys)) for keys in examples)
                                   for examples in errors["examples"]])


def summary_markdown(results: StudyResults, tables: StudyTables) -> str:
    n_done, n_missing = len(results.episodes), len(results.missing)
    shown = tables.summary.copy()
    shown.insert(3, "success", [format_rate(r, e) for r, e in zip(shown["success_rate"], shown["std_err"])])
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
    if len(tables.comparisons):
        lines += ["## Paired comparisons", "", COMPARISON_NOTE, "",
                  markdown_table(comparison_rows(tables.comparisons)), ""]
    if len(tables.errors):
        errors = error_rows(tables.errors)[["status", "error_type", "count", "signature", "examples"]]
        lines += ["## Errors", "", "Errors that ended episodes, similar messages grouped "
                  "(numbers, quoted values, paths and URLs masked).", "", markdown_table(errors), ""]
    return "\n".join(lines)


def aggregate_study(study_dir: str | Path, out_dir: str | Path | None = None) -> str:
    """Write the tables (CSV, summary.md) and plots/ of a study; return a one-line report."""
    results = load_study(study_dir)
    out = Path(out_dir) if out_dir is not None else results.path
    tables = study_tables(results)
    for folder in (out, out / PLOTS_DIR):
        remove_stale_temporaries(folder)
    write_text_atomic(out / "episodes.csv", results.episodes.to_csv(index=False))
    write_text_atomic(out / "summary.csv", tables.summary.to_csv(index=False))
    write_text_atomic(out / "per_task.csv", tables.per_task.to_csv(index=False))
    write_text_atomic(out / "comparisons.csv", tables.comparisons.to_csv(index=False))
    write_text_atomic(out / "errors.csv", error_rows(tables.errors).to_csv(index=False))
    write_text_atomic(out / "summary.md", summary_markdown(results, tables))
    write_bytes_atomic(out / PLOTS_DIR / SUCCESS_PLOT, success_rate_plot(tables.summary))
    write_bytes_atomic(out / PLOTS_DIR / PER_TASK_PLOT, per_task_heatmap(tables.per_task))
    write_bytes_atomic(out / PLOTS_DIR / COST_PLOT, cost_vs_success_plot(tables.summary))
    return f"{len(results.episodes)} episodes aggregated, {len(results.missing)} missing, into {out}"
