"""Real episodes of WebAgent: real Chromium on real MiniWoB++ pages, asking a real local HTTP
server that speaks the OpenAI chat API (scripted answers; the client is not patched)."""

import base64
import io
import json
import re

import pytest
from llm_server import Fail, ScriptedLLMServer
from PIL import Image

from agentlab.episode.spec import EpisodeSpec, RunLimits
from agentlab.episode.supervisor import EXIT_FINAL, run_supervised

pytestmark = pytest.mark.slow


def click_button(label: str):
    """A reply that clicks the button labelled `label` in the prompt's accessibility tree."""

    def reply(body: dict) -> str:
        content = body["messages"][1]["content"]
        text = content if isinstance(content, str) else content[0]["text"]
        bid = re.search(rf"\[(\w+)\] button '{re.escape(label)}'", text).group(1)
        return f"<think>The button is [{bid}].</think>\n<action>click('{bid}')</action>"

    return reply


def run(tmp_path, server, config="agentlab.agents.web_agent.WEB_AGENT_4o", task="click-test", **overrides):
    spec = EpisodeSpec(
        study="t",
        benchmark="miniwob",
        task=task,
        seed=0,
        agent_name="scripted",
        agent_config=config,
        max_steps=3,
        agent_overrides={
            "chat_model_args.base_url": server.base_url,
            "chat_model_args.api_key_env": None,
            "chat_model_args.model_name": "scripted-model",
            "chat_model_args.backoff_s": 0.01,
            **overrides,
        },
    )
    out = tmp_path / task
    assert run_supervised(spec, RunLimits(step_timeout_s=60, episode_timeout_s=300), out) == EXIT_FINAL
    summary = json.loads((out / "summary.json").read_text())
    steps = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()] if summary["n_steps"] else []
    return out, summary, steps


def test_scripted_answers_solve_a_task_after_a_malformed_one(tmp_path):
    with ScriptedLLMServer(["I will click the button.", click_button("Click Me!")]) as server:
        out, summary, steps = run(tmp_path, server)
    assert summary["status"] == "success" and summary["n_steps"] == 1
    stats = summary["agent_stats"]
    assert stats["n_llm_calls"] == 2 and stats["input_tokens"] > 0 and stats["output_tokens"] > 0
    assert stats["cached_tokens"] > 0 and stats["cost"] is None and stats["llm_retries"] == 0
    first = steps[0]
    assert re.fullmatch(r"click\('\d+'\)", first["action"]) and first["think"].startswith("The button is")
    assert [m["role"] for m in first["messages"]] == ["system", "user", "assistant", "user", "assistant"]
    assert "Your answer could not be used: the answer has no action" in first["messages"][3]["content"]
    assert first["agent_extra"]["parse_errors"] and first["agent_extra"]["prompt_cuts"] == []
    assert first["agent_stats"]["n_llm_calls"] == 2
    assert summary["agent_args"]["fields"]["chat_model_args"]["model_name"] == "scripted-model"


def test_an_agent_error_keeps_the_failed_steps_observation_answers_and_parse_errors(tmp_path):
    with ScriptedLLMServer(then="I would rather not say.") as server:
        out, summary, _ = run(tmp_path, server, **{"flags.max_parse_retries": 1})
    assert summary["status"] == "agent_error" and summary["n_steps"] == 0
    (step,) = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
    assert step["step"] == 0 and step["action"] is None and (out / step["screenshot"]).is_file()
    answers = [m["content"] for m in step["messages"] if m["role"] == "assistant"]
    assert answers == ["I would rather not say."] * 2 and len(step["agent_extra"]["parse_errors"]) == 2
    assert step["agent_stats"]["n_llm_calls"] == 2 and step["timings"]["agent_s"] > 0


def test_vision_request_carries_the_screenshot_with_set_of_marks(tmp_path):
    with ScriptedLLMServer([click_button("Click Me!")]) as server:
        out, summary, steps = run(tmp_path, server, config="agentlab.agents.web_agent.WEB_AGENT_4o_VISION")
    assert summary["status"] == "success"
    image = server.requests[0]["messages"][1]["content"][1]
    assert image["type"] == "image_url" and image["image_url"]["url"].startswith("data:image/png;base64,")
    sent = Image.open(io.BytesIO(base64.b64decode(image["image_url"]["url"].split(",", 1)[1])))
    saved = Image.open(out / steps[0]["screenshot"])
    assert sent.size == saved.size and sent.convert("RGB").tobytes() != saved.convert("RGB").tobytes()
    assert steps[0]["messages"][1]["content"][1]["image_url"]["url"] == "(the step's screenshot)"


def test_rate_limited_then_served_is_retried_and_counted(tmp_path):
    with ScriptedLLMServer([Fail(429, retry_after=0), click_button("Click Me!")]) as server:
        _, summary, _ = run(tmp_path, server)
    assert summary["status"] == "success" and len(server.requests) == 2
    assert summary["agent_stats"]["llm_retries"] == 1 and summary["agent_stats"]["n_llm_calls"] == 1


def test_a_server_failing_forever_is_an_infrastructure_error(tmp_path):
    with ScriptedLLMServer(then=Fail(500)) as server:
        _, summary, _ = run(tmp_path, server, **{"chat_model_args.max_retries": 2})
    assert summary["status"] == "infra_error" and summary["error"]["type"] == "LLMUnavailable"
    assert "HTTP 500" in summary["error"]["message"] and "gave up after 3 attempts" in summary["error"]["message"]
    assert len(server.requests) == 3 and summary["agent_stats"]["n_llm_calls"] == 0
