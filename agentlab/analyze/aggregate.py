"""Write a study's tables (CSV, Markdown) and plots (PNG), from whatever episodes exist."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core.files import remove_stale_temporaries, write_bytes_atomic, write_text_atomic
from ..core.layout import PLOTS, TABLES, EpisodeKey, episode_id
from .compare import compare_agents
from .error_groups import episode_error_groups
from .formatting import format_cell, format_difference, format_interval, format_rate, format_score
from .load import StudyResults, load_results
from .pass_k import PASS_K_NOTE, pass_k_table, pass_k_wide
from .plots import cost_vs_success_plot, per_task_heatmap, score_plot
from .stats import BOOTSTRAP_CONFIDENCE, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED
from .summarize import SCORE_NOTE, per_task, summarize

COMPARISON_NOTE = (
    f"Difference in score (a − b: success rate, or mean reward) over the episodes both agents finished on the "
    f"same task and seed (infra errors excluded), with a {BOOTSTRAP_CONFIDENCE:.0%} paired bootstrap interval "
    f"({BOOTSTRAP_RESAMPLES:,} resamples of the pairs, seed {BOOTSTRAP_SEED}). Tasks won: tasks where "
    f"one agent's score over the paired seeds is higher."
)
DAMAGED_NOTE = (
    "Result files that could not be read, left out of every table (`agentlab relaunch --mode damaged` reruns them)."
)


@dataclass
class StudyTables:
    """The tables of a study, computed once from its episodes: summary.md, the CSVs and the report show these."""

    summary: pd.DataFrame  # per benchmark × agent
    per_task: pd.DataFrame  # per benchmark × task × agent
    comparisons: pd.DataFrame  # per benchmark × pair of agents
    errors: pd.DataFrame  # errors that ended episodes, grouped
    pass_k: pd.DataFrame  # per benchmark × agent × k


def study_tables(results: StudyResults) -> StudyTables:
    return StudyTables(
        summary=summarize(results.episodes, results.missing, results.relaunched, results.damaged),
        per_task=per_task(results.episodes),
        comparisons=compare_agents(results.episodes),
        errors=episode_error_groups(results.episodes),
        pass_k=pass_k_table(results.episodes),
    )


def markdown_table(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += [
        "| " + " | ".join(format_cell(v).replace("|", "\\|") for v in row) + " |"
        for row in table.itertuples(index=False)
    ]
    return "\n".join(lines)


def comparison_rows(comparisons: pd.DataFrame) -> pd.DataFrame:
    """The comparisons as shown to people: scores, difference and interval in words."""
    return pd.DataFrame(
        {
            "benchmark": comparisons["benchmark"],
            "a": comparisons["agent_a"],
            "b": comparisons["agent_b"],
            "pairs": comparisons["n_pairs"],
            "score a": [format_score(s, k) for s, k in zip(comparisons["score_a"], comparisons["reward_kind"])],
            "score b": [format_score(s, k) for s, k in zip(comparisons["score_b"], comparisons["reward_kind"])],
            "a − b": [format_difference(d, k) for d, k in zip(comparisons["difference"], comparisons["reward_kind"])],
            f"{BOOTSTRAP_CONFIDENCE:.0%} CI": [
                format_interval(lo, hi, k)
                for lo, hi, k in zip(comparisons["ci_low"], comparisons["ci_high"], comparisons["reward_kind"])
            ],
            "only a": comparisons["only_a"],
            "only b": comparisons["only_b"],
            "tasks won a/b/tie": [
                f"{a}/{b}/{t}"
                for a, b, t in zip(comparisons["task_wins_a"], comparisons["task_wins_b"], comparisons["task_ties"])
            ],
        }
    )


def error_rows(errors: pd.DataFrame) -> pd.DataFrame:
    """The grouped errors with their examples as episode folders, for CSV and Markdown."""
    return errors.assign(
        examples=["; ".join(episode_id(EpisodeKey(*keys)) for keys in examples) for examples in errors["examples"]]
    )


def summary_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as shown to people: the score and AgentLab's average reward with their errors."""
    return pd.DataFrame(
        {
            "benchmark": summary["benchmark"],
            "agent": summary["agent"],
            "score": [
                format_rate(r, e, kind)
                for r, e, kind in zip(summary["score"], summary["score_std_err"], summary["reward_kind"])
            ],
            "clustered s.e.": [
                format_score(e, kind) for e, kind in zip(summary["score_std_err_clustered"], summary["reward_kind"])
            ],
            "scored": summary["n_scored"],
            "AgentLab avg_reward": [
                format_rate(r, e, "continuous") for r, e in zip(summary["avg_reward"], summary["std_err"])
            ],
            "n_completed": summary["n_completed"],
            "n_err": summary["n_err"],
            "avg_steps": summary["avg_steps"],
            **{
                column.removeprefix("n_").replace("_", " "): summary[column]
                for column in (
                    "n_success",
                    "n_failure",
                    "n_agent_error",
                    "n_eval_error",
                    "n_infra_error",
                    "n_missing",
                    "n_damaged",
                    "n_relaunched",
                )
            },
            "mean seconds": summary["mean_seconds"],
            "input tokens": summary["input_tokens"],
            "output tokens": summary["output_tokens"],
            "cost (USD)": summary["cost"],
        }
    )


def summary_markdown(results: StudyResults, tables: StudyTables) -> str:
    n_done, n_missing, n_damaged = len(results.episodes), len(results.missing), len(results.damaged)
    lines = [
        f"# Study {results.manifest.get('study', results.path.name)}",
        "",
        f"{n_done} of {n_done + n_missing + n_damaged} episodes done; **{n_missing} missing**."
        if n_missing
        else f"All {n_done + n_damaged} episodes done.",
        "",
        markdown_table(summary_rows(tables.summary)),
        "",
        SCORE_NOTE,
        "",
    ]
    if len(tables.pass_k) and tables.pass_k["k"].max() > 1:  # several episodes of a task
        wide = pass_k_wide(tables.pass_k)
        shown = wide[["benchmark", "agent"]].assign(
            **{column: [format_score(v) for v in wide[column]] for column in wide.columns[2:]}
        )
        lines += ["## pass@k and pass^k", "", markdown_table(shown), "", PASS_K_NOTE, ""]
    if n_damaged:
        lines += [
            f"## Damaged results ({n_damaged} left out)",
            "",
            DAMAGED_NOTE,
            "",
            markdown_table(results.damaged[["path", "reason"]]),
            "",
        ]
    if len(tables.comparisons):
        lines += [
            "## Paired comparisons",
            "",
            COMPARISON_NOTE,
            "",
            markdown_table(comparison_rows(tables.comparisons)),
            "",
        ]
    if len(tables.errors):
        errors = error_rows(tables.errors)[["status", "error_type", "count", "signature", "examples"]]
        lines += [
            "## Errors",
            "",
            "Errors that ended episodes, similar messages grouped (numbers, quoted values, paths and URLs masked).",
            "",
            markdown_table(errors),
            "",
        ]
    return "\n".join(lines)


def aggregate_study(study_dir: str | Path, out_dir: str | Path | None = None) -> str:
    """Write the tables (layout.TABLES) and plots (layout.PLOTS) of a study; return a one-line report."""
    results = load_results(study_dir)
    out = Path(out_dir) if out_dir is not None else results.path
    tables = study_tables(results)
    for name in (*TABLES.values(), *PLOTS.values()):
        remove_stale_temporaries((out / name).parent)
    texts = {
        "summary_md": summary_markdown(results, tables),
        "summary_csv": tables.summary.to_csv(index=False),
        "episodes_csv": results.episodes.to_csv(index=False),
        "per_task_csv": tables.per_task.to_csv(index=False),
        "comparisons_csv": tables.comparisons.to_csv(index=False),
        "pass_k_csv": tables.pass_k.to_csv(index=False),
        "errors_csv": error_rows(tables.errors).to_csv(index=False),
        "damaged_csv": results.damaged.to_csv(index=False),
    }
    for name, text in texts.items():
        write_text_atomic(out / TABLES[name], text)
    figures = {
        "score_plot": score_plot(tables.summary),
        "per_task_plot": per_task_heatmap(tables.per_task),
        "cost_plot": cost_vs_success_plot(tables.summary),
    }
    for name, png in figures.items():
        write_bytes_atomic(out / PLOTS[name], png)
    damaged = (
        f", {len(results.damaged)} damaged and left out (see {TABLES['damaged_csv']})" if len(results.damaged) else ""
    )
    return f"{len(results.episodes)} episodes aggregated, {len(results.missing)} missing{damaged}, into {out}"
