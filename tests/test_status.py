"""`agentlab status` counts from its cache where a summary has not changed, and rereads every
summary that did: rewritten, damaged, repaired, removed, or when the cache itself is damaged."""

import json

import pytest
from synthetic import write_episode, write_manifest

import agentlab.study.status
from agentlab.core.files import write_text_atomic
from agentlab.study.status import count_statuses


def counts(study):
    return dict(count_statuses(study)[("miniwob", "a")])


@pytest.fixture
def study(tmp_path):
    """Two tasks × two seeds of agent a: three finished (success, success, failure), one missing."""
    study = write_manifest(tmp_path / "s", ("t1", "t2"), (0, 1), ("a",))
    for task, seed, status in (("t1", 0, "success"), ("t1", 1, "success"), ("t2", 0, "failure")):
        write_episode(study, "a", task, seed, {"status": status, "reward": float(status == "success")})
    return study


def summary_of(study, task, seed):
    return study / "miniwob" / "a" / task / f"seed{seed}" / "summary.json"


def test_a_second_count_reads_no_summary(study, monkeypatch):
    assert counts(study) == {"success": 2, "failure": 1, "missing": 1}

    def unread(path):
        raise AssertionError(f"{path} read again")

    monkeypatch.setattr(agentlab.study.status, "read_summary", unread)
    assert counts(study) == {"success": 2, "failure": 1, "missing": 1}


def test_changed_summaries_are_read_again(study):
    assert counts(study) == {"success": 2, "failure": 1, "missing": 1}
    size = summary_of(study, "t1", 0).stat().st_size
    rewritten = summary_of(study, "t1", 0)  # a rerun replaced it: another status, same size
    write_text_atomic(rewritten, rewritten.read_text().replace('"status": "success"', '"status": "failure"'))
    assert rewritten.stat().st_size == size
    summary_of(study, "t1", 1).write_text('{"status": "succ')  # damaged
    write_episode(study, "a", "t2", 1, {"status": "agent_error"})  # the missing one finished
    assert counts(study) == {"failure": 2, "damaged": 1, "agent_error": 1}
    summary_of(study, "t2", 0).unlink()  # relaunched
    assert counts(study) == {"failure": 1, "damaged": 1, "agent_error": 1, "missing": 1}


def test_a_damaged_cache_is_rebuilt(study):
    counts(study)
    (study / "status_cache.json").write_text('{"format": [1, 3], "statuses": {"miniwob/a/t1/seed0/summ')
    assert counts(study) == {"success": 2, "failure": 1, "missing": 1}
    assert json.loads((study / "status_cache.json").read_text())["statuses"]  # written again, whole
