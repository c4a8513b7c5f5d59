"""Real episodes: the replay agent in real Chromium on real MiniWoB++ pages."""

import gzip
import json

import pytest
from conftest import REPLAY_TRACE, chromium_processes
from PIL import Image

from agentlab.episode.spec import EpisodeSpec, RunLimits
from agentlab.episode.supervisor import EXIT_FINAL, run_supervised

pytestmark = pytest.mark.slow


def run(tmp_path, task, seed, trace=REPLAY_TRACE, max_steps=5):
    spec = EpisodeSpec(
        study="t",
        benchmark="miniwob",
        task=task,
        seed=seed,
        agent_name="replay",
        agent_config="agentlab.agents.replay.REPLAY",
        max_steps=max_steps,
        agent_overrides={"trace": trace},
    )
    out = tmp_path / task / f"seed{seed}"
    # a cold worker: the episode's own process and browser, which must be gone when it returns
    limits = RunLimits(step_timeout_s=60, episode_timeout_s=300, warm=False)
    assert run_supervised(spec, limits, out) == EXIT_FINAL
    summary = json.loads((out / "summary.json").read_text())
    steps = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
    return out, summary, steps


@pytest.mark.parametrize("task, seed, n_actions", [("click-test", 0, 1), ("click-button", 1, 1), ("enter-text", 2, 2)])
def test_replay_solves_task(tmp_path, process_marker, task, seed, n_actions):
    out, summary, steps = run(tmp_path, task, seed)
    assert summary["status"] == "success"
    assert summary["reward"] == 1.0 and summary["success"] is True
    assert summary["n_steps"] == n_actions and summary["terminated"] is True
    assert summary["error"] is None
    assert summary["versions"]["chromium"] and summary["versions"]["browsergym"] == "0.14.3"
    assert summary["timings"]["reset_s"] > 0 and summary["elapsed_s"] > summary["timings"]["reset_s"]
    assert len(summary["config_hash"]) == 16
    # one record per action, plus the final observation; one screenshot each
    assert [s["action"] is None for s in steps] == [False] * n_actions + [True]
    assert steps[-2]["reward"] == 1.0 and steps[0]["last_action_error"] == ""
    assert "button" in steps[0]["axtree"] or "textbox" in steps[0]["axtree"]
    for step in steps:
        with Image.open(out / step["screenshot"]) as image:
            assert image.format == "PNG" and image.size[0] > 100
        details = json.loads(gzip.decompress((out / step["page_details"]).read_bytes()))
        assert "<div bid=" in details["pruned_html"] and details["elements"]
    # what the trace viewer draws: the acted-on element with its box, and the step's timeline
    target = steps[0]["targets"][0]
    assert target["bid"] in steps[0]["action"] and len(target["bbox"]) == 4 and target["visibility"] > 0
    timings = steps[0]["timings"]
    assert timings["settle_s"] is not None and 0 <= timings["settle_s"] <= 0.6
    assert all(timings[phase] > 0 for phase in ("agent_s", "action_s", "observation_s"))
    assert timings["env_step_s"] >= timings["action_s"] + timings["settle_s"] + timings["observation_s"]
    assert not (out / ".staging").exists()
    assert chromium_processes(process_marker) == []  # no browser left behind


def test_wrong_action_gets_reward_zero(tmp_path):
    trace = tmp_path / "wrong.jsonl"
    trace.write_text(json.dumps({"action": "click('15')"}) + "\n")  # "Ok", but seed 0 asks for "no"
    _, summary, steps = run(tmp_path, "click-button", 0, trace=str(trace))
    assert summary["status"] == "failure"
    assert summary["reward"] == 0.0 and summary["success"] is False
    assert summary["terminated"] is True and steps[0]["action"] == "click('15')"


def test_missing_element_is_recorded_as_last_action_error(tmp_path):
    trace = tmp_path / "bad-bid.jsonl"
    trace.write_text(json.dumps({"action": "click('9999')"}) + "\n")
    _, summary, steps = run(tmp_path, "click-test", 0, trace=str(trace), max_steps=3)
    assert summary["status"] == "failure" and summary["stop_reason"] == "agent_stopped"
    assert 'Could not find element with bid "9999"' in steps[0]["last_action_error"]


def test_running_out_of_steps_truncates(tmp_path):
    trace = tmp_path / "noops.jsonl"
    trace.write_text("".join(json.dumps({"action": "noop(10)"}) + "\n" for _ in range(5)))
    _, summary, steps = run(tmp_path, "click-test", 0, trace=str(trace), max_steps=2)
    assert summary["status"] == "failure" and summary["stop_reason"] == "max_steps"
    assert summary["truncated"] is True and summary["n_steps"] == 2
    assert len(steps) == 3
