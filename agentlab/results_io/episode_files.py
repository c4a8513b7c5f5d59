"""Writing an imported episode's folder: summary.json, steps.jsonl and screenshots, placed whole, and
left untouched when the same import already wrote the same files (importing twice changes nothing)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..core.files import replace_dir, to_json
from ..core.layout import SCREENSHOTS_DIR, STEPS_FILE, SUMMARY_FILE, EpisodeKey, episode_dir
from ..core.records import EpisodeSummary, Provenance, StepRecord

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STAGING = ".import-staging"


@dataclass
class ImportReport:
    """What an import did: episodes written, episodes already there as imported, and the problems."""

    study_dir: Path
    written: list[EpisodeKey] = field(default_factory=list)
    unchanged: list[EpisodeKey] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line each: the source folder and why

    def line(self) -> str:
        return (
            f"{len(self.written)} episodes imported, {len(self.unchanged)} unchanged, "
            f"{len(self.problems)} not imported, into {self.study_dir}"
        )


@dataclass
class ImportedEpisode:
    """One episode read from another framework's folder `source`, in our terms: its summary, its step records,
    and the files they name (screenshots: our name -> a PNG file; page details: our name -> gzipped JSON)."""

    source: Path
    summary: EpisodeSummary
    steps: list[StepRecord]
    screenshots: dict[str, Path]
    page_details: dict[str, bytes] = field(default_factory=dict)


def imported_provenance(framework: str, ran_with: str, read_with: str, folder: Path) -> Provenance:
    """The provenance of an episode imported from `framework`'s `folder`: the versions it ran and was read with,
    and no commit of ours."""
    imported = {"from": framework, "version": ran_with, "read_with": read_with, "folder": str(folder)}
    return Provenance(commit=None, dirty=None, agentlab=__version__, imported=imported)


def folder_name(text: str) -> str:
    """`text` as one folder name of ours (letters, digits, '.', '_', '-')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "unnamed"


def same_files(a: Path, b: Path) -> bool:
    """Whether folders `a` and `b` hold the same files with the same bytes."""
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all((a / f).read_bytes() == (b / f).read_bytes() for f in files_a)


def place_episode(
    report: ImportReport,
    summary: EpisodeSummary,
    steps: list[StepRecord],
    screenshots: dict[str, Path],
    page_details: dict[str, bytes] | None = None,
) -> None:
    """Write the episode (its screenshots copied from `screenshots`: our name -> a PNG file; its steps' page
    details from `page_details`: our name -> gzipped JSON) into the study; a screenshot that is not a PNG
    file is left out of the record and listed."""
    key = EpisodeKey(summary.benchmark, summary.agent, summary.task, summary.seed)
    target = episode_dir(report.study_dir, key)
    staging = report.study_dir / STAGING / target.relative_to(report.study_dir)
    if staging.exists():
        shutil.rmtree(staging)
    (staging / SCREENSHOTS_DIR).mkdir(parents=True)
    for details_name, details in (page_details or {}).items():
        (staging / details_name).parent.mkdir(exist_ok=True)
        (staging / details_name).write_bytes(details)
    for record in steps:
        name = record.observation.screenshot if record.observation is not None else None
        if record.observation is None or name is None:
            continue
        source = screenshots[name]
        data = source.read_bytes() if source.is_file() else b""
        if not data.startswith(PNG_SIGNATURE):
            report.problems.append(f"{source}: not a PNG file, step {record.step} has no screenshot")
            record.observation.screenshot = None
            continue
        (staging / name).write_bytes(data)
    lines = "".join(json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True) + "\n" for record in steps)
    (staging / STEPS_FILE).write_text(lines, encoding="utf-8")
    (staging / SUMMARY_FILE).write_text(to_json(summary.to_dict()), encoding="utf-8")
    if target.is_dir() and same_files(staging, target):
        shutil.rmtree(staging)
        report.unchanged.append(key)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_dir(staging, target)
    report.written.append(key)


def place_episodes(report: ImportReport, episodes: Iterable[ImportedEpisode]) -> None:
    """Write each episode into the study; a second episode with the same benchmark, agent, task and seed is
    listed, not written."""
    seen: dict[EpisodeKey, Path] = {}
    try:
        for episode in episodes:
            summary = episode.summary
            key = EpisodeKey(summary.benchmark, summary.agent, summary.task, summary.seed)
            if key in seen:
                report.problems.append(f"{episode.source}: the same episode as {seen[key]}, not imported")
                continue
            seen[key] = episode.source
            place_episode(report, summary, episode.steps, episode.screenshots, episode.page_details)
    finally:
        shutil.rmtree(report.study_dir / STAGING, ignore_errors=True)
