# Input functions: the study config (validated against config/schema.yaml) expanded into targets.
import re
from pathlib import Path

from agentlab.study import load_study

STUDY = load_study(config)

wildcard_constraints:
    study=re.escape(STUDY.name),
    benchmark="[A-Za-z0-9_.-]+",
    agent="[A-Za-z0-9_.-]+",
    task="[^/]+",
    seed="[0-9]+",


def episode_spec(wildcards):
    """The episode's EpisodeSpec as JSON: what it computes, so a change reruns it."""
    return STUDY.spec(wildcards.benchmark, wildcards.agent, wildcards.task, int(wildcards.seed)).to_json()


def episode_config_hash(wildcards):
    """Changes when the agent's resolved config changes, even if its Python path does not."""
    return STUDY.config_hash(wildcards.benchmark, wildcards.agent)


def episode_dir(wildcards, output):
    return str(Path(output[0]).parent)


def study_manifest(wildcards):
    import json

    return json.dumps(STUDY.manifest(), sort_keys=True)


def study_summaries(wildcards):
    return STUDY.summary_paths()


def start_local_llm_server():
    """Start the study's local LLM server, if it has local-model agents (`agentlab llm-server`)."""
    settings = STUDY.local_llm_server()
    if settings is not None:
        settings_json = settings.to_json()
        shell("agentlab llm-server start --settings {settings_json:q}")


def stop_local_llm_server():
    if STUDY.local_llm_server() is not None:
        shell("agentlab llm-server stop")


PLOT_NAMES = ("success_rate", "per_task_success", "cost_vs_success")
TABLE_NAMES = ("summary.md", "summary.csv", "episodes.csv", "per_task.csv", "comparisons.csv", "errors.csv")


def study_outputs():
    """Every episode is a target of its own (a deleted summary is rebuilt), then the tables and the report."""
    return (
        STUDY.summary_paths()
        + [f"results/{STUDY.name}/{name}" for name in TABLE_NAMES]
        + [f"results/{STUDY.name}/plots/{name}.png" for name in PLOT_NAMES]
        + [f"results/{STUDY.name}/report/index.html"]
    )
