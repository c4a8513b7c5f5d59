"""WebAgent's prompt (flags, token budget), answer parsing and re-asks, on a real MiniWoB
observation recorded from click-button, and real HTTP calls to a scripted chat server."""

import base64
import dataclasses
import io
import json
import os
import re

import pytest
from conftest import REPO
from llm_server import ScriptedLLMServer
from PIL import Image

from agentlab.agents.base import EpisodeContext
from agentlab.agents.registry import agent_args_to_dict
from agentlab.agents.web_agent import WEB_AGENT_LOCAL, PromptFlags, WEB_AGENT_4o, WebAgentArgs
from agentlab.agents.web_agent.answer import AnswerParseError, parse_answer
from agentlab.agents.web_agent.prompt import (
    CUT_MARK,
    Page,
    PastStep,
    build_prompt,
    observe,
    system_message,
    water_level,
)
from agentlab.browser.actions import ActionSetArgs, action_signatures
from agentlab.core.errors import AgentError, ConfigError
from agentlab.llm.openai_chat import OpenAIChatArgs
from agentlab.llm.tokens import estimate_tokens
from agentlab.study.config import load_study

FIXTURE = REPO / "tests" / "fixtures" / "obs" / "miniwob-click-button-seed0"
ACTION_SET = ActionSetArgs(("miniwob_all",)).make()
SIGNATURES = action_signatures(ACTION_SET)
CONTEXT = EpisodeContext("miniwob", "click-button", 0, 5, ActionSetArgs(("miniwob_all",)))


@pytest.fixture
def obs():
    """A real observation of click-button (goal: click the "no" button, bid 13)."""
    import numpy as np

    data = json.loads(FIXTURE.with_suffix(".json").read_text())
    data["screenshot"] = np.asarray(Image.open(FIXTURE.with_suffix(".png")).convert("RGB"))
    return data


def prompt_for(obs, history=(), memory=None, budget=100_000, **flags):
    flags = PromptFlags(**flags)
    return build_prompt(observe(obs, flags), list(history), memory, flags, system_message(flags, ACTION_SET), budget)


def user_text(prompt):
    content = prompt.messages[1]["content"]
    return content if isinstance(content, str) else content[0]["text"]


def test_default_prompt_has_goal_axtree_action_space_and_answer_format(obs):
    prompt = prompt_for(obs)
    system, user = prompt.messages[0]["content"], user_text(prompt)
    assert "fill(bid: str, value: str" in system and "<think>" in system and "<action>" in system
    assert '# Goal\nClick on the "no" button.' in user and "[13] button 'no', clickable" in user
    assert "InlineTextBox" not in user and "<button" not in user and prompt.cuts == []
    assert user.index("# Goal") < user.index("# Past actions") < user.index("# Accessibility tree")


def test_flags_switch_prompt_parts(obs):
    user = user_text(prompt_for(obs, use_axtree=False, use_html=True, mark_clickable=False))
    assert '<button bid="13"' in user and "[13] button" not in user
    assert ", clickable" not in user_text(prompt_for(obs, mark_clickable=False))
    compact = user_text(prompt_for(obs, compact_axtree=True))
    assert "[8] generic\n" in user_text(prompt_for(obs)) and "] generic" not in compact
    assert "\t\t\t\t[13] button 'no', clickable" in compact and "StaticText 'faucibus in nibh'" in compact
    system = prompt_for(obs, use_thinking=False, use_memory=True, use_examples=False).messages[0]["content"]
    assert "<think>" not in system and "<memory>" in system and "# Examples" not in system
    assert "Description:" in prompt_for(obs, long_action_description=True).messages[0]["content"]
    with_error = {**obs, "last_action_error": "TimeoutError: element 99 not found"}
    assert "# Error of the last action\nTimeoutError" in user_text(prompt_for(with_error))
    assert "# Error of the last action" not in user_text(prompt_for(with_error, use_last_error=False))
    assert "# Focused element\nbid '8'" in user_text(prompt_for(obs))
    assert "# Focused element" not in user_text(prompt_for(obs, use_focused_element=False))


def test_history_memory_and_reasoning_are_shown_when_asked(obs):
    history = [
        PastStep("click('15')", "Ok looks right", error="wrong button\nCall log: ..."),
        PastStep("click('13')", "no"),
    ]
    user = user_text(prompt_for(obs, history, memory="the answer is no", use_memory=True, use_think_history=True))
    assert "1. click('15')\n   reasoning: Ok looks right\n   error: wrong button\n2. click('13')" in user
    assert "# Your memory\nthe answer is no" in user
    assert "# Past actions" not in user_text(prompt_for(obs, history, use_history=False))


def test_screenshot_goes_in_as_png_data_url_with_set_of_marks(obs):
    plain, marked = prompt_for(obs, use_screenshot=True), prompt_for(obs, use_screenshot=True, use_som=True)
    images = []
    for prompt in (plain, marked):
        part = prompt.messages[1]["content"][1]
        assert part["type"] == "image_url" and part["image_url"]["url"].startswith("data:image/png;base64,")
        png = base64.b64decode(part["image_url"]["url"].split(",", 1)[1])
        images.append(Image.open(io.BytesIO(png)))
    assert images[0].size == images[1].size == (obs["screenshot"].shape[1], obs["screenshot"].shape[0])
    assert images[0].tobytes() != images[1].tobytes()  # the marks are drawn


def test_the_budget_cuts_the_largest_part_first_and_records_it(obs):
    big_tree = "\n".join(f"[{i}] link 'item number {i}'" for i in range(3000))
    page = Page("Click on item 7.", axtree=big_tree, html="", focused_bid="", last_action_error="", screenshot_png=None)
    history = [PastStep(f"click('{i}')", "") for i in range(5)]
    flags = PromptFlags()
    system = system_message(flags, ACTION_SET)
    prompt = build_prompt(page, history, None, flags, system, budget=2_000)
    user = user_text(prompt)
    assert prompt.estimated_tokens <= 2_000
    assert [cut["part"] for cut in prompt.cuts] == ["axtree"]  # the small history is kept whole
    cut = prompt.cuts[0]
    assert cut["tokens_before"] == estimate_tokens(big_tree) and 0 < cut["tokens_after"] < cut["tokens_before"]
    assert "[0] link 'item number 0'" in user and "[2999] link" not in user  # the top of the page is kept
    assert CUT_MARK.format(n=3000 - user.count("] link 'item")) in user
    assert "5. click('4')" in user

    # when every part is large, both are cut to the same level and the newest history is kept
    long_history = [PastStep(f"click('{i}')", "") for i in range(2000)]
    prompt = build_prompt(page, long_history, None, flags, system, budget=2_000)
    assert sorted(cut["part"] for cut in prompt.cuts) == ["axtree", "history"]
    after = [cut["tokens_after"] for cut in prompt.cuts]
    assert max(after) - min(after) < 0.1 * max(after)  # up to a line each
    assert "2000. click('1999')" in user_text(prompt) and "\n1. click('0')" not in user_text(prompt)

    with pytest.raises(AgentError, match="fixed part of the prompt needs"):
        build_prompt(page, history, None, flags, system, budget=100)


def test_water_level():
    assert water_level([10, 20, 30], 100) is None
    assert water_level([10, 20, 30], 50) == 20  # 10 + 20 + 20
    assert water_level([10, 20, 30], 25) == 8  # 8 + 8 + 8 (every part above 8 is cut)


@pytest.mark.parametrize(
    "answer, action, think",
    [
        (
            "<think>The no button is [13].</think>\n<action>click('13')</action>",
            "click('13')",
            "The no button is [13].",
        ),
        ("<action>\n```python\nfill('19', \"it's\")\n```\n</action>", "fill('19', \"it's\")", ""),
        ("<think>x</think><action>click('13')", "click('13')", "x"),  # unclosed tag at the end
        ("<action>click('1')</action> wait, no: <action>click(bid='13')</action>", "click(bid='13')", ""),
    ],
)
def test_parse_valid_answers(answer, action, think):
    parsed = parse_answer(answer, SIGNATURES)
    assert (parsed.action, parsed.think, parsed.memory) == (action, think, None)


def test_parse_memory_when_asked():
    assert parse_answer("<memory>no is 13</memory><action>noop()</action>", SIGNATURES, True).memory == "no is 13"


@pytest.mark.parametrize(
    "answer, message",
    [
        ("I would click the no button.", "the answer has no action; end it with one action between tags"),
        ("<action>press('13')</action>", "invalid action \"press('13')\": unknown action 'press'; allowed:"),
        ("<action>click(13 + 1)</action>", "argument 1 must be a literal"),
        ("<action>click('1'); click('2')</action>", "not a single function call"),
    ],
)
def test_parse_malformed_answers_explains_the_problem(answer, message):
    with pytest.raises(AnswerParseError, match=re.escape(message)):
        parse_answer(answer, SIGNATURES)


def scripted_agent(server, **flags):
    args = WebAgentArgs(
        chat_model_args=OpenAIChatArgs(model_name="scripted", base_url=server.base_url, api_key_env=None),
        flags=PromptFlags(**flags),
    )
    return args.make_agent(CONTEXT)


def test_a_malformed_answer_is_reasked_with_the_parse_error(obs):
    with ScriptedLLMServer(["Click no.", "<action>click('13')</action>"]) as server:
        agent = scripted_agent(server)
        step = agent.get_action(obs)
    assert step.action == "click('13')" and step.extra.parse_errors == [
        "the answer has no action; end it with one action between tags, e.g. <action>click('12')</action>"
    ]
    reask = server.requests[1]["messages"]
    assert reask[:2] == server.requests[0]["messages"] and reask[2] == {"role": "assistant", "content": "Click no."}
    assert (
        reask[3]["role"] == "user" and "Your answer could not be used: the answer has no action" in reask[3]["content"]
    )
    assert [m["role"] for m in step.messages] == ["system", "user", "assistant", "user", "assistant"]
    assert step.stats["n_llm_calls"] == 2 and step.stats["input_tokens"] > 0 and step.stats["cached_tokens"] > 0
    assert step.stats["cost"] is None  # the scripted model has no price
    assert agent.stats() == step.stats


def test_malformed_answers_after_the_retries_are_an_agent_error_and_still_counted(obs):
    with ScriptedLLMServer(then="<action>rm -rf /</action>") as server:
        agent = scripted_agent(server, max_parse_retries=2)
        last = r"no valid action in 3 answers; the last: invalid action 'rm -rf /'"
        with pytest.raises(AgentError, match=last) as raised:
            agent.get_action(obs)
    assert len(server.requests) == 3 and agent.stats()["n_llm_calls"] == 3 and agent.stats()["input_tokens"] > 0
    step = raised.value.step  # what the trace shows of the failed step
    assert step.action is None
    assert [m["role"] for m in step.messages] == ["system", "user"] + ["assistant", "user"] * 2 + ["assistant"]
    assert len(step.extra.parse_errors) == 3 and step.stats["n_llm_calls"] == 3


def test_history_carries_actions_and_their_errors_to_the_next_step(obs):
    with ScriptedLLMServer(["<action>click('15')</action>", "<action>click('13')</action>"]) as server:
        agent = scripted_agent(server)
        agent.get_action(obs)
        agent.get_action({**obs, "last_action_error": "nothing happened"})
    second = server.requests[1]["messages"][1]["content"]
    assert "# Past actions\n1. click('15')\n   error: nothing happened" in second
    first = server.requests[0]["messages"]
    assert server.requests[1]["messages"][0] == first[0]  # the system message is the same at every step
    assert agent.stats()["n_llm_calls"] == 2


def test_screenshot_flag_needs_a_vision_model():
    args = dataclasses.replace(WEB_AGENT_4o, flags=dataclasses.replace(WEB_AGENT_4o.flags, use_screenshot=True))
    with pytest.raises(ConfigError, match="use_screenshot needs a vision model"):
        args.check()


def test_a_study_with_a_missing_key_is_refused_before_any_episode(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    config = {
        "study": "s",
        "benchmarks": {"miniwob": {"tasks": ["click-test"], "seeds": [0]}},
        "agents": {"gpt4o": {"config": "agentlab.agents.web_agent.WEB_AGENT_4o"}},
    }
    with pytest.raises(
        ConfigError,
        match=r"^config error at agents.gpt4o: model 'gpt-4o-2024-05-13': "
        r"environment variable OPENAI_API_KEY is not set",
    ):
        load_study(config)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    study = load_study(config)
    assert "sk-secret-value" not in json.dumps(study.agents["gpt4o"].args)
    assert study.local_llm_server() is None and study.llm_slots("gpt4o") == 0


def test_local_agents_share_one_server_and_take_an_llm_slot():
    config = {
        "study": "s",
        "benchmarks": {"miniwob": {"tasks": ["click-test"], "seeds": [0]}},
        "agents": {
            "local": {"config": "agentlab.agents.web_agent.WEB_AGENT_LOCAL"},
            "local-html": {
                "config": "agentlab.agents.web_agent.WEB_AGENT_LOCAL",
                "overrides": {"flags.use_html": True},
            },
        },
    }
    study = load_study(config)
    assert study.local_llm_server() == WEB_AGENT_LOCAL.chat_model_args.server
    assert study.llm_slots("local") == study.llm_slots("local-html") == 1
    config["agents"]["local-html"]["overrides"]["chat_model_args.server.n_ctx"] = 8192
    with pytest.raises(ConfigError, match="need one server per run"):
        load_study(config)


def test_agent_args_are_plain_json_without_secrets(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    described = json.dumps(agent_args_to_dict(WEB_AGENT_4o))
    assert "OPENAI_API_KEY" in described and "sk-secret-value" not in described
    assert os.environ["OPENAI_API_KEY"] == "sk-secret-value"
