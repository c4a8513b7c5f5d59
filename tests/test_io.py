import os

import pytest

from agentlab.core.files import read_json, replace_dir, write_json_atomic, write_text_atomic


def test_atomic_write_replaces_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "deep" / "summary.json"
    write_json_atomic(target, {"a": 1})
    write_json_atomic(target, {"a": 2})
    assert read_json(target) == {"a": 2}
    assert os.listdir(target.parent) == ["summary.json"]


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "summary.json"
    write_text_atomic(target, "old")

    class Boom:
        def __str__(self):
            raise RuntimeError("cannot serialize")

    with pytest.raises(RuntimeError):
        write_json_atomic(target, {"bad": Boom()})
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["summary.json"]


def test_replace_dir_swaps_in_the_complete_folder(tmp_path):
    target, staging = tmp_path / "episodes", tmp_path / ".episodes.staging"
    (target / "old").mkdir(parents=True)
    (target / "old" / "page.html").write_text("old")
    (staging / "new").mkdir(parents=True)
    (staging / "new" / "page.html").write_text("new")
    replace_dir(staging, target)
    assert [p.relative_to(tmp_path).as_posix() for p in sorted(tmp_path.rglob("*"))] == [
        "episodes",
        "episodes/new",
        "episodes/new/page.html",
    ]
    (staging / "first").mkdir(parents=True)
    (target / "new" / "page.html").unlink()
    (target / "new").rmdir()
    target.rmdir()
    replace_dir(staging, target)  # no old folder to replace
    assert sorted(os.listdir(tmp_path)) == ["episodes"] and os.listdir(target) == ["first"]
