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


def episode_runtime(wildcards, attempt):
    """Minutes a cluster may run one episode: past the runner's own episode time limit, so the
    runner records the timeout itself, and longer on each retry in case the cluster killed it."""
    return attempt * (STUDY.episode_timeout_s // 60 + 5)


def episode_dir(wildcards, output):
    return str(Path(output[0]).parent)


def study_manifest(wildcards):
    import json

    return json.dumps(STUDY.manifest(), sort_keys=True)


def study_summaries(wildcards):
    return STUDY.summary_paths()


def study_outputs():
    """Every episode is a target of its own (a deleted summary is rebuilt), then the tables."""
    return STUDY.summary_paths() + [
        f"results/{STUDY.name}/{name}"
        for name in ("summary.md", "summary.csv", "episodes.csv", "per_task.csv")
    ] + [f"results/{STUDY.name}/plots/{name}.png" for name in ("success_rate", "per_task_success")]
