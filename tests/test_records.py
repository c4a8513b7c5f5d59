"""The typed episode record: summaries round-trip, old ones load, damaged ones are named, never raised as errors."""

import dataclasses
import json
from pathlib import Path

import pytest

from agentlab.core.files import to_json
from agentlab.core.records import (
    FORMAT_VERSION,
    SUMMARY_TYPES,
    AgentExtra,
    DamagedRecord,
    EpisodeError,
    EpisodeOutcome,
    EpisodeSummary,
    Provenance,
    StepEffect,
    StepObservation,
    StepRecord,
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
        outcome=EpisodeOutcome(
            status="infra_error", error=EpisodeError("EpisodeTimeout", "reset (step 0) exceeded step_timeout_s=5")
        ),
    )
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary.to_dict()))
    again = read_summary(path)
    assert again == summary and again.format_version == FORMAT_VERSION
    assert again.outcome.error is not None and again.outcome.error.type == "EpisodeTimeout"


def test_a_summary_keeps_its_provenance_and_older_ones_have_none(tmp_path):
    summary = EpisodeSummary(
        benchmark="miniwob",
        agent="a",
        task="t",
        seed=1,
        outcome=EpisodeOutcome(status="success"),
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
    assert summary.format_version == 1 and summary.outcome.reward == 1.0 and summary.seed == 3


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
    assert [(record.step, record.action) for record in records] == [(0, "noop()")]
    assert problems == ["line 2: not a JSON object", "line 3: not a JSON record (Unterminated string starting at)"]
    with pytest.raises(DamagedRecord, match="line 2: not a JSON object"):
        read_records(tmp_path / "steps.jsonl")
    assert read_steps(tmp_path / "nowhere") == ([], [])


SUMMARIES = Path(__file__).parent / "fixtures" / "summaries"


@pytest.mark.parametrize("name", ["format3.json", "format3-error-imported.json"])
def test_a_summary_writes_the_same_bytes_it_was_read_from(name):
    """Written by the code before the summary was composed of its outcome: same keys, same layout."""
    summary = read_summary(SUMMARIES / name)
    assert to_json(summary.to_dict()) == (SUMMARIES / name).read_text()


def test_summaries_of_older_formats_load():
    first, second, third = (read_summary(SUMMARIES / f"format{n}.json") for n in (1, 2, 3))
    assert (first.format_version, second.format_version, third.format_version) == (1, 2, 3)
    assert first.outcome == dataclasses.replace(third.outcome, agent_details={}, config_hash=None)
    assert first.outcome.chromium_version == "131.0.6778.85" and first.attempt == 1 and first.study == ""
    assert second.provenance is None and third.provenance == Provenance("ab" * 20, False, "0.1.0")


def test_the_summary_field_types_come_from_the_annotations():
    assert SUMMARY_TYPES["reward"] == (int, float) and SUMMARY_TYPES["success"] == (bool,)
    assert SUMMARY_TYPES["stop_reason"] == (str,) and SUMMARY_TYPES["agent_args"] == (dict,)
    assert "error" not in SUMMARY_TYPES and "provenance" not in SUMMARY_TYPES  # records of their own
    assert "chromium_version" not in SUMMARY_TYPES and "outcome" not in SUMMARY_TYPES  # not flat fields of the file


STEPS = Path(__file__).parent / "fixtures" / "steps"


@pytest.mark.parametrize("name", ["format1.jsonl", "format2.jsonl", "format3.jsonl"])
def test_steps_of_every_format_read_as_step_records_and_write_back_what_they_recorded(name):
    lines = [json.loads(line) for line in (STEPS / name).read_text().splitlines()]
    records = read_records(STEPS / name)
    for line, record in zip(lines, records, strict=True):
        written = record.to_dict()
        assert {key: written[key] for key in line} == line  # every key kept, with its value
        assert all(written[key] is None for key in written.keys() - line.keys())  # only absent parts added, as null
        assert StepRecord.from_dict(written) == record
    first, last = records[0], records[-1]
    assert (
        first.step == 0 and first.observation is not None and first.observation.screenshot == "screenshots/step_000.png"
    )
    assert last.step == len(lines) - 1


def test_older_steps_read_with_what_they_recorded():
    first, last = read_records(STEPS / "format1.jsonl")
    assert first.observation is not None and first.observation.page_details is None and first.targets is None
    assert first.action == "click('13')" and first.effect == StepEffect(1.0, True, False, "", {})
    assert first.answer is not None and first.answer.agent_extra == AgentExtra()
    assert last.answer is None and last.effect is None and last.action is None and last.last_action_error == ""


def test_steps_keep_their_typed_parts():
    acted, stopped = read_records(STEPS / "format2.jsonl")
    assert acted.answer is not None and acted.answer.agent_extra.parse_errors == ["no action in the answer"]
    assert acted.answer.agent_extra.prompt_cuts == [{"part": "axtree", "tokens_before": 5000, "tokens_after": 2000}]
    assert acted.answer.agent_extra.memory == "saw the shop" and acted.answer.agent_extra.prompt_tokens_estimate == 2100
    assert acted.refused_navigations == ["http://example.com/"] and acted.targets is not None
    assert acted.timings is not None and acted.timings["settle_s"] == 0.2
    assert stopped.budget_exceeded is not None and stopped.answer is None
    cube, failed = read_records(STEPS / "format3.jsonl")
    assert cube.tool_calls == [{"name": "click", "arguments": {"bid": "13"}, "id": None}]
    assert cube.answer is not None and cube.answer.agent_extra.other["agentlab_stats"] == {"n_retry_llm": 0}
    assert failed.answer is not None and failed.action is None and failed.effect is None  # an agent error's answer
    assert failed.answer.agent_extra.parse_errors == ["a", "b", "c"]


def test_a_replay_trace_line_is_a_step_record_with_only_an_action(tmp_path):
    (tmp_path / "trace.jsonl").write_text('{"action": "click(\'13\')"}\n')
    (record,) = read_records(tmp_path / "trace.jsonl")
    assert record.step is None and record.observation is None and record.action == "click('13')"
    assert record.to_dict() == {
        "action": "click('13')",
        "think": "",
        "messages": [],
        "agent_stats": {},
        "agent_extra": {},
    }


def test_a_step_value_of_the_wrong_type_reads_as_absent():
    record = StepRecord.from_dict(
        {"step": "zero", "url": 5, "screenshot": ["x"], "action": "noop()", "agent_extra": "junk", "reward": True}
    )
    assert record.step is None and record.observation == StepObservation() and record.action == "noop()"
    assert record.answer is not None and record.answer.agent_extra == AgentExtra()
    assert record.effect is not None and record.effect.reward == 0.0
