"""Every Eval Ever records (the `every-eval-ever` package's `eval.schema.json`, 0.3.0): one per benchmark ×
agent, shaped as cube-harness 0.1.0rc2 shapes its own (`cube_harness/reproducibility/eee.py`): the score
and its standard error in one `evaluation_results` entry, our provenance as string key-values in
`source_metadata.additional_details` (the schema allows nothing else at the top)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd

from .. import __version__
from ..analyze.load import StudyResults
from .readiness import any_dirty, episodes_of, last_started

SCHEMA_VERSION = "0.3.0"


def strings(values: dict[str, Any]) -> dict[str, str]:
    """EEE's additional_details hold strings only."""
    return {key: str(value) for key, value in values.items() if value is not None and not pd.isna(value)}


def eee_record(results: StudyResults, row: Mapping[Hashable, Any], organization: str) -> dict[str, Any]:
    """The record of one row of our summary table (a benchmark × agent)."""
    benchmark, agent = str(row["benchmark"]), str(row["agent"])
    group = episodes_of(results, benchmark, agent)
    started = last_started(group)
    timestamp = str(int(started.timestamp())) if started is not None else "0"
    model = agent  # the study's name for the agent: its LLM is part of its config, not of our tables
    metric = f"{benchmark}.{'success' if row['reward_kind'] == 'binary' else 'reward'}"
    return {
        "schema_version": SCHEMA_VERSION,
        "evaluation_id": f"{benchmark}/{model.replace('/', '_')}/{timestamp}",
        "retrieved_timestamp": timestamp,
        "evaluation_timestamp": timestamp,
        "source_metadata": {
            "source_type": "evaluation_run",
            "source_organization_name": organization,
            "evaluator_relationship": "third_party",
            "additional_details": strings(
                {
                    "study": results.manifest.get("study", results.path.name),
                    "agent": agent,
                    "agentlab_git_commit": ",".join(sorted(group["commit"].dropna().unique())) or None,
                    "agentlab_git_is_dirty": any_dirty(group),
                    "browsergym_version": ",".join(sorted(group["browsergym"].dropna().unique())) or None,
                    "n_err": int(row["n_err"]),
                    "n_completed": row["n_completed"],
                }
            ),
        },
        "eval_library": {"name": "agentlab", "version": __version__},
        "model_info": {
            "name": model,
            "id": model,
            # which LLM an agent runs (and where) is in its config, not in our tables: 0.3.0 requires saying so
            "additional_details": {"deployment_type": "unknown", "model_availability": "unknown"},
        },
        "evaluation_results": [
            {
                "evaluation_result_id": metric,
                "evaluation_name": benchmark,
                "source_data": {
                    "dataset_name": benchmark,
                    "source_type": "other",
                    "additional_details": strings({"n_tasks": group["task"].nunique(), "n_episodes": len(group)}),
                },
                "metric_config": {
                    "metric_id": metric,
                    "metric_name": "Success rate" if row["reward_kind"] == "binary" else "Mean episode reward",
                    "metric_kind": "accuracy",
                    "lower_is_better": False,
                    "score_type": "continuous",
                    "min_score": 0,
                    "max_score": 1,
                },
                "score_details": {
                    "score": round(float(row["score"]), 6),
                    "uncertainty": {
                        "standard_error": {"value": round(float(row["score_std_err"]), 6), "method": "analytic"},
                        "num_samples": int(row["n_scored"]),
                    },
                },
            }
        ],
    }


def eee_records(results: StudyResults, summary: pd.DataFrame, organization: str) -> list[dict[str, Any]]:
    return [eee_record(results, row, organization) for row in summary.to_dict(orient="records")]
