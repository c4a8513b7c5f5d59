"""Reads a cube-harness experiment folder, in cube-harness's own interpreter, and prints it as one JSON document.

cube-harness keeps an episode as JSON records (episode.metadata.json, status.json, episode_config.json) and
its events as msgpack + zstd files; they are read here with its own `FileStorage` and models (run
`python -P cube_harness_host.py FOLDER SCREENSHOTS` with its venv's python), and each step's screenshot
is saved as a PNG file in SCREENSHOTS for our side to copy. Standard library only at the top, like our
other hosts: our `agentlab/foreign/wire.py` is loaded by path for `jsonable` and `print_document`.

Output: {"cube_harness": version read with, "experiment", "benchmark", "ran_with": version, "packages",
"episodes": [...], "problems": [{"folder", "reason"}]}:
one episode per folder of `episodes/` (archived ones skipped, as cube-harness does); an episode not
finished (no episode.metadata.json, or its status still QUEUED or RUNNING) or whose files cannot be read
is a problem, never fatal.
"""

from __future__ import annotations

import json
import runpy
import sys
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

WIRE_FILE = (
    Path(__file__).resolve().parents[1] / "foreign" / "wire.py"
)  # our JSON codec, by path: our package is not here
wire = SimpleNamespace(**runpy.run_path(str(WIRE_FILE)))
IN_FLIGHT = ("QUEUED", "RUNNING")


def call_text(action: Any) -> str:
    """A tool call as BrowserGym writes one: `click(bid='13')`."""
    return f"{action.name}({', '.join(f'{key}={value!r}' for key, value in action.arguments.items())})"


def named_contents(observation: Any) -> dict[str, Any]:
    """An observation's named contents (screenshot, axtree_txt, pruned_html, last_action_error...) by name."""
    return {content.name: content.data for content in (observation.contents if observation else []) if content.name}


def observation_fields(observation: Any, step: int, screenshots: Path, url: str) -> dict[str, Any]:
    """Our step record's fields of the observation the agent saw at `step` (`url` if it names none); its
    screenshot saved as a PNG."""
    contents = named_contents(observation)
    image: Any = contents.get("screenshot")  # a PIL image
    screenshot = None
    if image is not None and hasattr(image, "save"):
        screenshot = screenshots / f"{step:03d}.png"
        image.save(screenshot, format="PNG")
    return {
        "step": step,
        "url": str(contents.get("url") or url),
        "screenshot_file": str(screenshot) if screenshot else None,
        "axtree": str(contents.get("axtree_txt") or ""),
        "pruned_html": str(contents.get("pruned_html") or ""),
        "focused_element_bid": str(contents.get("focused_element") or ""),
    }


def step_records(view: Any, screenshots: Path) -> tuple[list[dict[str, Any]], str | None]:
    """Our step records of an episode's events (step N: the page the agent saw, its call, the reward and
    error that call met), then the page it ended on; and the agent's error, if its events hold one."""
    records: list[dict[str, Any]] = []
    url = str(view.metadata.get("task_url") or "")
    seen = None  # the observation the next call is made on
    agent_error = None
    for event in view:
        kind = type(event.output).__name__
        output = event.output
        if kind == "ToolCallEvent" and output.action.name == "_reset":
            seen = output.obs
        elif kind == "ToolCallEvent":
            after = named_contents(output.obs)
            error = output.error.exception_str if output.error else after.get("last_action_error")
            timing = {"env_step_s": event.end_time - event.start_time} if event.start_time and event.end_time else {}
            record = observation_fields(seen, len(records), screenshots, url)
            record.update(action=call_text(output.action), last_action_error=str(error or ""), timings=timing)
            record.update(reward=0.0, terminated=False, truncated=False)
            records.append(record)
            seen = output.obs
        elif kind == "EvaluationEvent" and records:
            records[-1]["reward"] = float(output.reward)
            records[-1]["terminated"] = bool((output.info or {}).get("done"))
        elif kind == "AgentErrorEvent":
            agent_error = str(getattr(output, "exception_str", None) or output)
    if seen is not None:
        records.append({**observation_fields(seen, len(records), screenshots, url), "action": None})
    return records, agent_error


def read_episode(storage: Any, folder: Path, experiment: Path, screenshots: Path) -> dict[str, Any]:
    """One episode folder: its status, configuration, outcome and steps."""
    from cube_harness.episode_status import EpisodeStatus

    status = EpisodeStatus.read(folder / "status.json")
    config = json.loads((folder / "episode_config.json").read_text())
    view = storage.load_episode(folder.name)
    (screenshots / folder.name).mkdir(parents=True, exist_ok=True)
    steps, agent_error = step_records(view, screenshots / folder.name)
    info = view.metadata
    return wire.jsonable(
        {
            "folder": folder.relative_to(experiment).as_posix(),
            "status": status.status if status else None,
            "error_type": (status.error_type if status else None) or info.get("_error_type"),
            "error_message": (status.error_message if status else None) or info.get("_error_message") or agent_error,
            "task": info.get("task_id") or config["task_config"]["metadata"]["id"],
            "seed": config["task_config"].get("seed"),
            "episode_id": config.get("id"),
            "agent_name": info.get("agent_name") or config["agent_config"].get("_type", "agent").split(".")[-1],
            "agent_class": config["agent_config"].get("_type"),
            "agent_args": {key: value for key, value in config["agent_config"].items() if key != "_type"},
            "goal": info.get("goal"),
            "max_steps": config.get("max_steps"),
            "reward_info": view.reward_info,
            "summary_stats": view.summary_stats or {},
            "start_time": view.start_time,
            "end_time": view.end_time,
            "steps": steps,
        }
    )


def unfinished(folder: Path) -> str | None:
    """Why an episode folder holds no result yet, or None if it has one."""
    from cube_harness.episode_status import EpisodeStatus

    status = EpisodeStatus.read(folder / "status.json")
    if status is not None and status.status in IN_FLIGHT:
        return f"its status is {status.status}: cube-harness has not finished it"
    if not (folder / "episode.metadata.json").is_file():
        return "no episode.metadata.json: cube-harness has not finished it"
    return None


def read_experiment(experiment: Path, screenshots: Path) -> dict[str, Any]:
    from cube_harness.storage import ARCHIVED_MARKER, EPISODES_DIR, FileStorage

    storage = FileStorage(experiment)
    episodes, problems = [], []
    for folder in sorted(p for p in (experiment / EPISODES_DIR).glob("*") if p.is_dir()):
        if ARCHIVED_MARKER in folder.name:
            continue
        name = folder.relative_to(experiment).as_posix()
        reason = "a symbolic link: only folders inside the experiment are read" if folder.is_symlink() else None
        reason = reason or unfinished(folder)
        if reason:
            problems.append({"folder": name, "reason": reason})
            continue
        try:
            episodes.append(read_episode(storage, folder, experiment, screenshots))
        except Exception as error:  # noqa: BLE001 (one unreadable episode is listed, not fatal)
            first = (str(error).splitlines() or [""])[0]
            problems.append({"folder": name, "reason": f"{type(error).__name__}: {first}"})
    return {
        "cube_harness": metadata.version("cube-harness"),
        **recorded_run(experiment),
        "episodes": episodes,
        "problems": problems,
    }


def recorded_run(experiment: Path) -> dict[str, Any]:
    """The experiment's name and benchmark, and the cube-harness and packages versions it ran with (its
    experiment_record.json)."""
    from cube_harness.eval_log import ExperimentRecord

    try:
        record = ExperimentRecord.model_validate_json((experiment / "experiment_record.json").read_text())
    except (OSError, ValueError):
        return {"experiment": None, "benchmark": None, "ran_with": None, "packages": {}}
    return {
        "experiment": record.experiment_name,
        "benchmark": record.benchmark_name,
        "ran_with": record.eval_library.version,
        "packages": record.agent.dependency_versions if record.agent else {},
    }


def main() -> int:
    experiment, screenshots = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    wire.print_document(lambda: read_experiment(experiment, screenshots))
    return 0


if __name__ == "__main__":
    sys.exit(main())
