import os

import pytest

from agentlab.io import read_json, write_json_atomic, write_text_atomic


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
