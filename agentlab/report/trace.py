"""One HTML page per episode: its goal and outcome, then every step (screenshot with the action drawn
on it, before/after pair, set-of-marks view, action, reasoning, prompt and answer, parse errors and
re-asks, errors, reward, profiling timeline, tokens; the whole AXTree and pruned HTML on demand)."""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..analyze.load import step_row
from ..core.files import RefusedFile, open_inside, read_inside
from ..core.layout import EPISODE_LOG, STEPS_FILE, SUMMARY_FILE, EpisodeKey, episode_dir, episode_id
from ..core.records import (
    MAX_PAGE_DETAILS_BYTES,
    MAX_SCREENSHOT_BYTES,
    StepObservation,
    StepRecord,
    read_steps,
    read_summary,
)
from .finder import ASSETS_DIR, data_script
from .render import relative_url, render

TIMELINE_PHASES = {  # recorded step timing: its name on the timeline, in the order the phases run
    "agent_s": "agent call",
    "action_s": "action",
    "settle_s": "settle",
    "page_load_s": "page load",
    "validation_s": "validation",
    "observation_s": "observation",
}


@dataclass
class TracedEpisode:
    """What writing an episode's trace page learnt that other pages need."""

    key: EpisodeKey
    folder: Path
    status: str
    reward: float
    agent_args: dict[str, Any] | None
    steps: list[StepRecord] = field(default_factory=list)  # their files as io.open_inside allows them
    error_rows: list[dict[str, Any]] = field(default_factory=list)  # steps with a last_action_error


def trace_page_path(episodes_dir: Path, key: EpisodeKey) -> Path:
    """Where the trace page of an episode goes, under the report's episodes folder."""
    return episodes_dir / f"{episode_id(key)}.html"


def details_data_path(page: Path) -> Path:
    """The data file beside a trace page with every step's AXTree, pruned HTML and element boxes."""
    return page.with_name(page.stem + ".details.js")


def message_text(content: Any) -> str:
    """A chat message's content as text: text parts joined, images named, anything else as JSON."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif isinstance(part, dict) and str(part.get("type", "")).startswith("image"):
                parts.append("[image]")
            else:
                parts.append(json.dumps(part, ensure_ascii=False, default=str))
        return "\n".join(parts)
    return json.dumps(content, ensure_ascii=False, default=str)


def timeline(timings: dict[str, Any]) -> list[dict[str, Any]]:
    """The step's phases with their seconds and share of the step; a browser step timed only as a
    whole (older records) is one phase, and its untimed rest is "other"."""

    def seconds(name: str) -> float:
        value = timings.get(name)
        return float(value) if isinstance(value, (int, float)) and value > 0 else 0.0

    phases = [(label, seconds(name)) for name, label in TIMELINE_PHASES.items()]
    timed_browser = sum(value for _, value in phases[1:])
    rest = seconds("env_step_s") - timed_browser
    phases.append(("browser step" if timed_browser == 0 else "other", max(rest, 0.0)))
    total = sum(value for _, value in phases)
    return (
        [{"name": label, "seconds": value, "percent": 100 * value / total} for label, value in phases if value > 0]
        if total > 0
        else []
    )


def image_size(path: Path) -> tuple[int, int] | None:
    """Pixel width and height of a screenshot (read from its header), None if it cannot be read."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError):
        return None


def overlay(targets: list[dict[str, Any]] | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The boxes (recorded element bbox: x, y, width, height) and points (coordinates) an action acted on."""
    boxes, points = [], []
    for target in targets or []:
        bbox, point = target.get("bbox"), target.get("point")
        if isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, (int, float)) for v in bbox):
            boxes.append(
                {
                    "x": bbox[0],
                    "y": bbox[1],
                    "w": bbox[2],
                    "h": bbox[3],
                    "label": f"{target.get('call')}('{target.get('bid')}')",
                }
            )
        elif isinstance(point, list) and len(point) == 2 and all(isinstance(v, (int, float)) for v in point):
            points.append({"x": point[0], "y": point[1], "label": f"{target.get('call')}{tuple(point)}"})
    return boxes, points


RECORDED_FILES = {"screenshot": MAX_SCREENSHOT_BYTES, "page_details": MAX_PAGE_DETAILS_BYTES}


def refuse_unsafe_files(records: list[StepRecord], folder: Path) -> list[str]:
    """Drop from `records` the file names io.open_inside refuses (outside the episode folder, links,
    FIFOs, devices, too large): the report neither embeds nor links them. One problem line each."""
    problems = []
    for record in records:
        for name, max_bytes in RECORDED_FILES.items():
            file = getattr(record.observation, name, None)
            if file is None:
                continue
            try:
                open_inside(folder, file, max_bytes).close()
            except FileNotFoundError:
                pass  # shown as not recorded
            except (OSError, RefusedFile) as error:
                problems.append(f"step {record.step}: {name} refused: {error}")
                setattr(record.observation, name, None)
    return problems


def step_view(record: StepRecord, folder: Path, folder_url: str) -> dict[str, Any]:
    """What the template shows of one step record (the AXTree and pruned HTML load on demand)."""
    seen = record.observation or StepObservation()
    answer, effect = record.answer, record.effect
    boxes, points = overlay(record.targets)
    return {
        "step": record.step,
        "url": seen.url,
        "screenshot": f"{folder_url}/{seen.screenshot}" if seen.screenshot else None,
        "size": image_size(folder / seen.screenshot) if seen.screenshot else None,
        "boxes": boxes,
        "points": points,
        "after": None,  # the next step's screenshot, set by write_trace_page
        "action": record.action,
        "think": answer.think if answer else "",
        "messages": [
            {"role": str(m.get("role", "?")), "text": message_text(m.get("content"))}
            for m in (answer.messages if answer else [])
        ],
        "axtree_chars": len(seen.axtree),
        "parse_errors": answer.agent_extra.parse_errors or [] if answer else [],
        "last_action_error": record.last_action_error,
        "refused_navigations": record.refused_navigations or [],
        "reward": effect.reward if effect else None,
        "terminated": effect.terminated if effect else None,
        "truncated": effect.truncated if effect else None,
        "timings": record.timings or {},
        "timeline": timeline(record.timings or {}),
        "stats": answer.agent_stats if answer else {},
    }


def details_payload(record: StepRecord, folder: Path) -> dict[str, str | None]:
    """One step's AXTree (from steps.jsonl) and page details (pruned HTML and element boxes, the
    episode's gzipped file as is), whole, each as base64 of gzip: the trace page inflates them when asked."""

    def packed(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    seen = record.observation or StepObservation()
    try:
        details = packed(read_inside(folder, seen.page_details, MAX_PAGE_DETAILS_BYTES)) if seen.page_details else None
    except (OSError, RefusedFile):  # shown as not recorded; one missing file never stops the report
        details = None
    axtree = seen.axtree.encode()
    return {"axtree": packed(gzip.compress(axtree, compresslevel=6, mtime=0)), "details": details}


def write_trace_page(
    study_dir: Path, key: EpisodeKey, page: Path, index_page: Path, compare_page: Path | None = None
) -> TracedEpisode:
    """Write the trace page of the episode `key` to `page` (and its data file beside it), linking to
    its compare page if it has one. The episode's summary is read here, once, typed: the tables come
    from the aggregate's outputs. FileNotFoundError or DamagedRecord if it is gone or damaged since."""
    folder = episode_dir(study_dir, key)
    summary = read_summary(folder / SUMMARY_FILE)
    records, damaged_lines = read_steps(folder)
    damaged_lines += refuse_unsafe_files(records, folder)
    folder_url = relative_url(folder, page.parent)
    steps = [step_view(record, folder, folder_url) for record in records]
    for before, after in zip(steps, steps[1:]):
        before["after"] = after["screenshot"]
    details = details_data_path(page)
    page.parent.mkdir(parents=True, exist_ok=True)
    details.write_text(data_script("pageDetails", {str(r.step): details_payload(r, folder) for r in records}))
    html = render(
        "episode.html",
        key=key,
        summary=summary,
        outcome=summary.outcome,
        steps=steps,
        damaged_lines=damaged_lines,
        index_url=relative_url(index_page, page.parent),
        compare_url=relative_url(compare_page, page.parent) if compare_page is not None else None,
        details_url=relative_url(details, page.parent),
        script_url=relative_url(index_page.parent / ASSETS_DIR / "trace.js", page.parent),
        summary_url=f"{folder_url}/{SUMMARY_FILE}",
        steps_url=f"{folder_url}/{STEPS_FILE}",
        log_url=f"{folder_url}/{EPISODE_LOG}" if (folder / EPISODE_LOG).exists() else None,
    )
    page.write_text(html, encoding="utf-8")
    return TracedEpisode(
        key,
        folder,
        summary.outcome.status,
        summary.outcome.reward,
        summary.outcome.agent_args,
        steps=records,
        error_rows=[step_row(key, folder, record) for record in records if record.last_action_error],
    )
