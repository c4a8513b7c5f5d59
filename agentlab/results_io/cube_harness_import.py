"""Import a cube-harness experiment folder as episodes of one of our studies.

The folder (JSON records, events as msgpack + zstd) is read by `cube_harness_host.py` with cube-harness's own
libraries in its own venv (installed on first use from the lock beside this module); it hands us JSON and
the screenshots as PNG files. Each episode becomes `results/<study>/<benchmark>/<agent>/<task>/seed<N>/`
with summary.json (its provenance says it was imported from cube-harness, which version, which folder),
steps.jsonl, screenshots and page details, so the tables, pass@k, comparisons and the report read it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from ..core.records import (
    EpisodeError,
    EpisodeOutcome,
    EpisodeSummary,
    Status,
    StepRecord,
    StopReason,
    observation_name,
    screenshot_name,
)
from .cube_harness_environment import CubeHarnessEnvironment
from .episode_files import ImportedEpisode, ImportReport, folder_name, imported_provenance, place_episodes
from .host_reading import read_with_host

HOST = Path(__file__).with_name("cube_harness_host.py")
FRAMEWORK = "cube-harness"
ENDED = ("COMPLETED", "MAX_STEPS_REACHED")  # cube-harness's statuses of an episode its agent or step cap ended
INFRA = ("STALE", "CANCELLED")  # its worker died or was stopped: nobody's answer, the infrastructure's
PACKAGES = {"browsergym": "browsergym-core", "playwright": "playwright", "cube": "cube-standard"}


def is_cube_harness_experiment(folder: Path) -> bool:
    return (folder / "experiment_config.json").is_file() and (folder / "episodes").is_dir()


def read_cube_harness_experiment(source: Path, environment: CubeHarnessEnvironment, screenshots: Path) -> dict:
    """The experiment folder as JSON, read by cube-harness's interpreter (installed first if missing); the
    screenshots saved in `screenshots`."""
    if not environment.installed():
        print(f"installing {environment.name}'s environment into {environment.venv} (once)", file=sys.stderr)
        environment.install()
    return read_with_host(
        environment.python,
        HOST,
        [str(source), str(screenshots)],
        {**without_python_paths(os.environ), **environment.offline_variables()},
        f"the cube-harness experiment {source}",
    )


def without_python_paths(variables: os._Environ[str] | dict[str, str]) -> dict[str, str]:
    """Our environment without PYTHONPATH and PYTHONHOME: cube-harness's interpreter imports its own packages only."""
    return {name: value for name, value in variables.items() if name not in ("PYTHONPATH", "PYTHONHOME")}


def status_of(raw: str | None, reward: float, error: EpisodeError | None) -> Status:
    if raw in INFRA:
        return "infra_error"
    if error is not None:
        return "agent_error"
    return "success" if reward > 0 else "failure"


def episode_error(episode: dict[str, Any]) -> EpisodeError | None:
    """cube-harness's error of an episode that did not end as COMPLETED or MAX_STEPS_REACHED, as ours."""
    if episode["status"] in ENDED or (episode["status"] is None and not episode["error_message"]):
        return None
    message = str(episode["error_message"] or episode["status"])
    return EpisodeError(episode["error_type"] or str(episode["status"]), (message.splitlines() or [""])[0], message)


def stop_reason(episode: dict[str, Any], error: EpisodeError | None) -> StopReason:
    if error is not None:
        return "error"
    if episode["status"] == "MAX_STEPS_REACHED":
        return "max_steps"
    return "terminated" if episode["reward_info"].get("done") else "agent_stopped"


def timestamp(seconds: float | None) -> str | None:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat() if seconds else None


def episode_summary(
    episode: dict[str, Any], seed: int, document: dict[str, Any], source: Path, study: str
) -> EpisodeSummary:
    """Our summary.json of one cube-harness episode."""
    stats = episode["summary_stats"]
    reward = float(stats.get("final_reward", episode["reward_info"].get("reward", 0.0)))
    error = episode_error(episode)
    status = status_of(episode["status"], reward, error)
    start, end = episode["start_time"], episode["end_time"]
    packages = document["packages"]
    return EpisodeSummary(
        benchmark=folder_name(document["benchmark"] or "cube-harness"),
        agent=folder_name(episode["agent_name"]),
        task=folder_name(episode["task"]),
        seed=seed,
        outcome=EpisodeOutcome(
            status=status,
            reward=reward,
            success=status == "success",
            n_steps=sum(step["action"] is not None for step in episode["steps"]),
            terminated=bool(episode["reward_info"].get("done")),
            truncated=episode["status"] == "MAX_STEPS_REACHED",
            stop_reason=stop_reason(episode, error),
            error=error,
            goal=episode["goal"],
            agent_args=episode["agent_args"],
            agent_details={"class": episode["agent_class"], "versions": {"cube-harness": document["ran_with"]}},
            agent_stats={
                "input_tokens": stats.get("prompt_tokens", 0),
                "output_tokens": stats.get("completion_tokens", 0),
                "cost": stats.get("cost", 0.0),
            },
        ),
        study=study,
        max_steps=episode["max_steps"],
        elapsed_s=end - start if start and end else None,
        started_at=timestamp(start),
        finished_at=timestamp(end),
        versions={ours: packages.get(theirs) for ours, theirs in PACKAGES.items()},
        provenance=imported_provenance(
            FRAMEWORK,
            document["ran_with"] or document["cube_harness"],
            document["cube_harness"],
            source / episode["folder"],
        ),
    )


def step_files(episode: dict[str, Any]) -> tuple[list[StepRecord], dict[str, Path], dict[str, bytes]]:
    """Our steps.jsonl records of an episode, where each screenshot they name comes from, and their page details."""
    records, screenshots, details = [], {}, {}
    for step in episode["steps"]:
        record = {key: value for key, value in step.items() if key not in ("screenshot_file", "pruned_html")}
        record["screenshot"] = None
        if step["screenshot_file"]:
            record["screenshot"] = screenshot_name(step["step"])
            screenshots[record["screenshot"]] = Path(step["screenshot_file"])
        if step["pruned_html"]:
            record["page_details"] = observation_name(step["step"])
            page = json.dumps({"pruned_html": step["pruned_html"], "elements": {}}).encode()
            details[record["page_details"]] = gzip.compress(page, mtime=0)
        records.append(StepRecord.from_dict(record))
    return records, screenshots, details


def seeds(episodes: list[dict[str, Any]]) -> list[int]:
    """Each episode's seed: its task's seed, else (cube-harness runs an unseeded task again as another
    episode) its rank among its task's unseeded episodes, in cube-harness's episode order."""
    ranks: Counter[str] = Counter()
    chosen = []
    for episode in sorted(episodes, key=lambda e: (e["episode_id"] is None, e["episode_id"], e["folder"])):
        if isinstance(episode["seed"], int):
            chosen.append((episode["folder"], episode["seed"]))
            continue
        chosen.append((episode["folder"], ranks[episode["task"]]))
        ranks[episode["task"]] += 1
    by_folder = dict(chosen)
    return [by_folder[episode["folder"]] for episode in episodes]


def import_cube_harness_experiment(
    source: Path, study_dir: Path, environment: CubeHarnessEnvironment | None = None
) -> ImportReport:
    """Import every episode of the cube-harness experiment folder `source` into `study_dir`."""
    source = source.resolve()
    report = ImportReport(study_dir)
    with tempfile.TemporaryDirectory(prefix="agentlab-cube-harness-import-") as screenshots:
        document = read_cube_harness_experiment(
            source, environment or CubeHarnessEnvironment.configured(), Path(screenshots)
        )
        report.problems += [f"{source / p['folder']}: {p['reason']}" for p in document["problems"]]
        episodes = document["episodes"]
        imported = []
        for episode, seed in zip(episodes, seeds(episodes), strict=True):
            records, pngs, details = step_files(episode)
            summary = episode_summary(episode, seed, document, source, study_dir.name)
            imported.append(ImportedEpisode(source / episode["folder"], summary, records, pngs, details))
        place_episodes(report, imported)
    return report
