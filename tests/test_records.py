"""The typed episode record: summaries round-trip, old ones load, damaged ones are named, never raised as errors."""

import json

import pytest

from agentlab.records import (
    FORMAT_VERSION,
    DamagedRecord,
    EpisodeError,
    EpisodeOutcome,
    EpisodeSummary,
    Provenance,
    read_records,
    read_steps,
    read_summary,
)

GOOD = {
    "study": "s",
    "benchmark": "miniwob",
    "agent": "a",
    "task": "click-test",
    "seed": 3,
    "status": "success",
    "reward": 1.0,
    "success": True,
    "n_steps": 2,
    "error": None,
}


def test_a_summary_round_trips_with_its_format_version(tmp_path):
    summary = EpisodeSummary(
        benchmark="miniwob",
        agent="a",
        task="t",
        seed=1,
        status="infra_error",
        error=EpisodeError("EpisodeTimeout", "reset (step 0) exceeded step_timeout_s=5"),
    )
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary.to_dict()))
    again = read_summary(path)
    assert again == summary and again.format_version == FORMAT_VERSION
    assert again.error.type == "EpisodeTimeout"


def test_a_summary_keeps_its_provenance_and_older_ones_have_none(tmp_path):
    summary = EpisodeSummary(
        benchmark="miniwob",
        agent="a",
        task="t",
        seed=1,
        status="success",
        provenance=Provenance(commit="ab" * 20, dirty=True, agentlab="0.1.0"),
    )
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary.to_dict()))
    assert read_summary(path).provenance == Provenance("ab" * 20, True, "0.1.0")
    path.write_text(json.dumps({**GOOD, "format_version": 2}))  # written before provenance
    assert read_summary(path).provenance is None and read_summary(path).format_version == 2


def test_a_summary_written_before_format_versions_loads_as_version_1(tmp_path):
    path = tmp_path / "summary.json"
    path.write_text(json.dumps({**GOOD, "some_field_of_the_future": 1}))
    summary = read_summary(path)
    assert summary.format_version == 1 and summary.reward == 1.0 and summary.seed == 3


@pytest.mark.parametrize(
    "content, reason",
    [
        (json.dumps(GOOD)[:100], "not JSON (Unterminated string"),
        ("", "empty file"),
        ("hello", "not JSON (Expecting value at line 1 column 1)"),
        ("[1, 2]", "not a JSON object but list"),
        (
            json.dumps({**GOOD, "status": "weird"}),
            "unknown status 'weird'; allowed: success, failure, agent_error, infra_error, eval_error",
        ),
        (json.dumps({**GOOD, "reward": "lots"}), "reward is 'lots', not int or float"),
        (json.dumps({**GOOD, "reward": True}), "reward is True, not int or float"),
        (json.dumps({**GOOD, "seed": "3"}), "seed is '3', not int"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "task"}), "missing task"),
        (json.dumps({**GOOD, "error": "boom"}), "error is 'boom', not an object with type and message"),
        (b"\xff\xfe\x00garbage", "not UTF-8 text"),
        (
            json.dumps({**GOOD, "provenance": {"commit": 7, "dirty": False, "agentlab": "0.1.0"}}),
            "provenance is {'commit': 7, 'dirty': False, 'agentlab': '0.1.0'}, "
            "not an object with commit, dirty and agentlab",
        ),
    ],
)
def test_a_damaged_summary_is_one_line_naming_the_file_and_the_reason(tmp_path, content, reason):
    path = tmp_path / "summary.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(DamagedRecord) as raised:
        read_summary(path)
    assert reason in raised.value.reason and str(path) in str(raised.value) and "\n" not in str(raised.value)


def test_outcomes_cross_process_boundaries_as_json():
    outcome = EpisodeOutcome(
        status="eval_error",
        stop_reason="error",
        error=EpisodeError("EvaluationError", "judge down"),
        agent_stats={"input_tokens": 5},
    )
    assert EpisodeOutcome.from_dict(json.loads(json.dumps(outcome.to_dict()))) == outcome


def test_steps_with_a_garbage_line_keep_the_good_ones(tmp_path):
    (tmp_path / "steps.jsonl").write_text('{"step": 0, "action": "noop()"}\n[1]\n{"step": 1, "act')
    records, problems = read_steps(tmp_path)
    assert records == [{"step": 0, "action": "noop()"}]
    assert problems == ["line 2: not a JSON object", "line 3: not a JSON record (Unterminated string starting at)"]
    with pytest.raises(DamagedRecord, match="line 2: not a JSON object"):
        read_records(tmp_path / "steps.jsonl")
    assert read_steps(tmp_path / "nowhere") == ([], [])
