"""Import a ServiceNow AgentLab study folder as episodes of one of our studies.

AgentLab's pickles are read by `agentlab_host.py` in AgentLab's own environment (the bridge's venv),
never here; it hands us JSON, and we copy the screenshots' PNG files. Each experiment becomes
`results/<study>/<benchmark>/<agent>/<task>/seed<N>/` with summary.json (its provenance says it was
imported, from which folder and AgentLab version), steps.jsonl and screenshots, so that the tables,
AgentLab's columns, pass@k, comparisons and the report read it like our own episodes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..agents.bridge import AgentLabEnvironment
from ..agents.bridge.agent import host_environment
from ..core.records import EpisodeError, EpisodeOutcome, EpisodeSummary, Status, StepRecord, StopReason, screenshot_name
from .episode_files import ImportedEpisode, ImportReport, folder_name, imported_provenance, place_episodes
from .host_reading import read_with_host

HOST = Path(__file__).with_name("agentlab_host.py")
FRAMEWORK = "ServiceNow AgentLab"
# AgentLab's summed step stats (summary_info "stats.cum_<name>") that are also our agent_stats
STATS = ("input_tokens", "output_tokens", "cost")


def is_agentlab_study(folder: Path) -> bool:
    return any(folder.glob("**/exp_args.pkl"))


def read_agentlab_study(source: Path, environment: AgentLabEnvironment) -> dict[str, Any]:
    """The study folder as JSON, read by AgentLab's interpreter (the agents' modules must be importable
    there: put them on PYTHONPATH, as for running them)."""
    environment.check()
    return read_with_host(
        environment.python, HOST, [str(source)], host_environment(environment), f"the AgentLab study {source}"
    )


def episode_error(summary_info: dict[str, Any]) -> EpisodeError | None:
    """AgentLab's err_msg ("Exception uncaught ... in task X.\\nRuntimeError:\\nmessage") as our error."""
    message = summary_info.get("err_msg")
    if not message:
        return None
    lines = [line for line in str(message).splitlines() if line.strip()]
    kind = lines[1].rstrip(":") if len(lines) > 1 and lines[1].rstrip(":").isidentifier() else "Exception"
    text = " ".join(lines[2:] if kind != "Exception" else lines) or kind
    return EpisodeError(kind, text, str(summary_info.get("stack_trace") or ""))


def stop_reason(info: dict[str, Any], error: EpisodeError | None, n_steps: int, max_steps: int) -> StopReason | None:
    if error is not None:
        return "error"
    if info.get("terminated"):
        return "terminated"
    if info.get("truncated"):
        return "max_steps" if n_steps >= max_steps else "truncated"
    return None


def versions(packages: dict[str, str]) -> dict[str, Any]:
    """Our version columns from AgentLab's package_versions.txt."""
    normal = {name.lower().replace("_", "-"): version for name, version in packages.items()}
    return {
        "agentlab": normal.get("agentlab"),
        "browsergym": normal.get("browsergym-core"),
        "playwright": normal.get("playwright"),
    }


def episode_summary(episode: dict[str, Any], study: str, agentlab_version: str, source: Path) -> EpisodeSummary:
    """Our summary.json of one AgentLab experiment."""
    info = episode["summary_info"]
    benchmark, _, task = episode["task_name"].partition(".")
    error = episode_error(info)
    reward = float(info.get("cum_reward") or 0.0)
    success = error is None and reward > 0
    status: Status = "agent_error" if error is not None else "success" if success else "failure"
    n_steps = int(info.get("n_steps") or 0)
    agent_args = {
        key.removeprefix("agent_args."): value
        for key, value in episode["flat_exp_args"].items()
        if key.startswith("agent_args.")
    }
    return EpisodeSummary(
        benchmark=folder_name(benchmark if task else "agentlab"),
        agent=folder_name(episode["agent_name"]),
        task=folder_name(task or benchmark),
        seed=int(episode["task_seed"]),
        outcome=EpisodeOutcome(
            status=status,
            reward=reward,
            success=success,
            n_steps=n_steps,
            terminated=bool(info.get("terminated")),
            truncated=bool(info.get("truncated")),
            stop_reason=stop_reason(info, error, n_steps, episode["max_steps"]),
            error=error,
            goal=episode.get("goal"),
            agent_args=agent_args,
            agent_details={"class": episode["agent_class"], "versions": {"agentlab": agentlab_version}},
            agent_stats={name: info[f"stats.cum_{name}"] for name in STATS if f"stats.cum_{name}" in info},
        ),
        study=study,
        max_steps=episode["max_steps"],
        started_at=episode.get("exp_date"),
        versions=versions(episode.get("package_versions") or {}),
        provenance=imported_provenance(
            FRAMEWORK,
            (episode.get("package_versions") or {}).get("agentlab", agentlab_version),
            agentlab_version,
            source / episode["folder"],
        ),
    )


def step_records(episode: dict[str, Any], source: Path) -> tuple[list[StepRecord], dict[str, Path]]:
    """Our steps.jsonl records of an experiment, and where each screenshot they name comes from."""
    records, screenshots = [], {}
    for step in episode["steps"]:
        record = {key: value for key, value in step.items() if key != "screenshot_file"}
        record["timings"] = {k: v for k, v in (step.get("timings") or {}).items() if v is not None}
        record["screenshot"] = None
        if step.get("screenshot_file"):
            record["screenshot"] = screenshot_name(step["step"])
            screenshots[record["screenshot"]] = source / episode["folder"] / step["screenshot_file"]
        records.append(StepRecord.from_dict(record))
    return records, screenshots


def import_agentlab_study(
    source: Path, study_dir: Path, environment: AgentLabEnvironment | None = None
) -> ImportReport:
    """Import every experiment of the AgentLab study folder `source` into `study_dir`."""
    source = source.resolve()
    document = read_agentlab_study(source, environment or AgentLabEnvironment.configured())
    report = ImportReport(study_dir)
    report.problems += [f"{source / p['folder']}: {p['reason']}" for p in document["problems"]]
    place_episodes(
        report,
        (imported_episode(episode, document["agentlab"], source, study_dir.name) for episode in document["episodes"]),
    )
    return report


def imported_episode(episode: dict[str, Any], agentlab_version: str, source: Path, study: str) -> ImportedEpisode:
    records, screenshots = step_records(episode, source)
    summary = episode_summary(episode, study, agentlab_version, source)
    return ImportedEpisode(source / episode["folder"], summary, records, screenshots)
