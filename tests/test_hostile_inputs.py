"""Input from someone else: study configs, results folders, action strings and URLs that try to reach
outside what they describe, exhaust memory or time, or break a shell command. Each is refused in one
line (configs) or listed as damaged (results folders), never followed. One section per kind; a new
reader or parser adds its cases here."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
from synthetic import write_episode, write_manifest

from agentlab.analyze import load_results
from agentlab.report import build_report
from agentlab.status import count_statuses

# --- results folders ---------------------------------------------------------------------------------

SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- not for the report"


@pytest.fixture
def outside_file(tmp_path) -> Path:
    """A readable file of the reader's outside the study (its ~/.ssh/id_rsa, say)."""
    path = tmp_path / "home" / "id_rsa"
    path.parent.mkdir()
    path.write_text(SECRET)
    return path


def one_episode_study(tmp_path: Path, steps: list[dict] | None = None) -> tuple[Path, Path]:
    """A study of one finished episode whose steps.jsonl holds `steps` as they are (no file written)."""
    study = write_manifest(tmp_path / "s", ["t1"], [0], ["a"])
    folder = write_episode(study, "a", "t1", 0, {"status": "success", "reward": 1.0})
    if steps is not None:
        (folder / "steps.jsonl").write_text("".join(json.dumps(step) + "\n" for step in steps))
    return study, folder


def trace_files(study: Path) -> tuple[str, dict]:
    """The trace page of the one episode, and its details data (step -> axtree, details)."""
    page = study / "report" / "episodes" / "miniwob" / "a" / "t1" / "seed0.html"
    data = page.with_name("seed0.details.js").read_text()
    return page.read_text(), json.loads(data[data.index("(") + 1 : data.rindex(")")])


@pytest.mark.parametrize("name", ["absolute", "relative"])
def test_a_step_naming_a_file_outside_its_folder_gets_nothing_of_it_into_the_report(tmp_path, outside_file, name):
    folder = tmp_path / "s" / "miniwob" / "a" / "t1" / "seed0"
    reference = str(outside_file) if name == "absolute" else os.path.relpath(outside_file, folder)
    steps = [{"step": 0, "action": "noop()", "axtree": "tree", "page_details": reference, "screenshot": reference}]
    study, _ = one_episode_study(tmp_path, steps)
    build_report(study)
    page, details = trace_files(study)
    assert details["0"]["details"] is None  # was the file, base64 of it
    assert "page_details refused" in page and "screenshot refused" in page
    assert "<img" not in page  # no link to it either
    assert outside_file.read_text() == SECRET
    assert not any(SECRET in path.read_text() for path in (study / "report").rglob("*.*") if path.is_file())


def test_a_step_file_that_is_a_link_out_of_the_folder_is_refused(tmp_path, outside_file):
    study, folder = one_episode_study(
        tmp_path, [{"step": 0, "action": "noop()", "page_details": "observations/step_000.json.gz"}]
    )
    (folder / "observations").mkdir()
    (folder / "observations" / "step_000.json.gz").symlink_to(outside_file)
    build_report(study)
    page, details = trace_files(study)
    assert details["0"]["details"] is None and "is a symbolic link" in page


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_a_summary_that_is_a_device_or_a_fifo_is_damaged_at_once(tmp_path, special):
    study, folder = one_episode_study(tmp_path)
    (folder / "summary.json").unlink()
    if special == "fifo":
        os.mkfifo(folder / "summary.json")
    else:
        (folder / "summary.json").symlink_to(special)
    started = time.monotonic()
    counted = {}
    reader = threading.Thread(target=lambda: counted.update(count_statuses(study)[("miniwob", "a")]), daemon=True)
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), "status hung on the summary"
    assert counted == {"damaged": 1}
    damaged = load_results(study).damaged
    assert list(damaged["reason"].str.contains("refused")) == [True]
    assert time.monotonic() - started < 10


def test_a_manifest_task_out_of_the_study_is_damaged_not_read(tmp_path):
    study = write_manifest(tmp_path / "deep" / "s", ["../../..", "t1"], [0], ["a"])
    write_episode(study, "a", "t1", 0, {"status": "success", "reward": 1.0})
    # the summary `../../..` names: tmp_path/deep/seed0/summary.json, outside the study
    write_episode(tmp_path / "deep" / "s", "a", "../../..", 0, {"status": "success", "reward": 1.0})
    assert (tmp_path / "deep" / "seed0" / "summary.json").exists()
    results = load_results(study)
    assert list(results.episodes["task"]) == ["t1"]
    assert list(results.damaged["task"]) == ["../../.."]
    assert "task name '../../..' cannot be a folder of the study" in results.damaged["reason"][0]
    assert dict(count_statuses(study)[("miniwob", "a")]) == {"success": 1, "damaged": 1}


def test_a_summary_in_an_episode_folder_that_links_out_of_the_study_is_damaged(tmp_path):
    study = write_manifest(tmp_path / "s", ["t1"], [0], ["a"])
    elsewhere = write_episode(tmp_path / "elsewhere", "a", "t1", 0, {"status": "success", "reward": 1.0})
    (study / "miniwob" / "a" / "t1").mkdir(parents=True)
    (study / "miniwob" / "a" / "t1" / "seed0").symlink_to(elsewhere)
    results = load_results(study)
    assert results.episodes.empty and "outside its folder" in results.damaged["reason"][0]


def test_read_inside_caps_what_it_reads(tmp_path):
    from agentlab.io import RefusedFile, read_inside

    (tmp_path / "big").write_bytes(b"x" * 1001)
    assert read_inside(tmp_path, "big", 1001) == b"x" * 1001
    with pytest.raises(RefusedFile, match="1001 bytes, more than 1000"):
        read_inside(tmp_path, "big", 1000)
    with pytest.raises(FileNotFoundError):
        read_inside(tmp_path, "none", 1000)
