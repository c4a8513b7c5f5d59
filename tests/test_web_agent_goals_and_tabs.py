"""WebAgent on a VisualWebArena-shaped observation: the goal's images reach vision models (and a
note reaches text-only ones), the open tabs are listed on multi-tab benchmarks, images count in the
token budget and stay out of the step records. The observation is real (recorded in Chromium by
tests/fixtures/obs/record_vwa_like.py); the messages are those a real HTTP server received."""

import dataclasses
import json

import numpy as np
import pytest
from conftest import REPO
from llm_server import ScriptedLLMServer
from PIL import Image

from agentlab.agents.base import EpisodeContext
from agentlab.agents.registry import load_agent_args
from agentlab.agents.web_agent import PromptFlags, WebAgentArgs
from agentlab.agents.web_agent.prompt import build_prompt, observe, system_message
from agentlab.browser.actions import ActionSetArgs
from agentlab.core.errors import AgentError
from agentlab.llm.openai_chat import OpenAIChatArgs
from agentlab.llm.tokens import IMAGE_TOKENS, estimate_tokens

FIXTURE = REPO / "tests" / "fixtures" / "obs" / "vwa-like-classifieds"
VWA_ACTIONS = ActionSetArgs(("visualwebarena",))
VWA = EpisodeContext("visualwebarena", "8", 0, 30, VWA_ACTIONS, is_multi_tab=True)
SINGLE_TAB = dataclasses.replace(VWA, is_multi_tab=False)
ANSWER = "<think>The blue bicycle is listed here.</think><action>click('8')</action>"
INTENT = "Find the listing of the bicycle in the first image, in the colour of the second, and add it to favorites."
AXTREE = """\
RootWebArea 'Blue city bicycle - Classifieds', focused, url='http://127.0.0.1:9980/item.html'
\t[3] generic
\t\t[4] heading 'Blue city bicycle'
\t\t[5] image 'a blue bicycle', url='http://127.0.0.1:9980/bike.png'
\t\t[6] paragraph ''
\t\t\tStaticText 'Price: 120 $'
\t\t[7] button 'Contact seller'
\t\t[8] button 'Add to favorites'"""
TABS = """\
# Open tabs
Tab 0: Classifieds: bicycles - http://127.0.0.1:9980/index.html
Tab 1 (active): Blue city bicycle - Classifieds - http://127.0.0.1:9980/item.html
Tab 2: Postmill: /f/bikes - http://127.0.0.1:9999/index.html"""
PAGE_AND_ANSWER = f"""\
# Past actions
None yet: this is the first step.

{{tabs}}# Accessibility tree of the current page
{AXTREE}

# Focused element
bid '3'

Goal (again): {INTENT}
Answer in the format above: <think>, then one <action>."""


@pytest.fixture
def obs():
    """A recorded observation: a goal with two images (BrowserGym VisualWebArena's goal_object), three
    tabs of which the second is active."""
    data = json.loads(FIXTURE.with_suffix(".json").read_text())
    data["screenshot"] = np.asarray(Image.open(FIXTURE.with_suffix(".png")).convert("RGB"))
    data["active_page_index"] = np.asarray(data["active_page_index"])  # as BrowserGym gives it
    return data


def goal_texts(obs):
    return [part["text"] for part in obs["goal_object"] if part["type"] == "text"]


def goal_images(obs):
    return [part for part in obs["goal_object"] if part["type"] == "image_url"]


def agent_args(server, vision, **flags):
    return WebAgentArgs(
        chat_model_args=OpenAIChatArgs(
            model_name="scripted", base_url=server.base_url, api_key_env=None, vision=vision
        ),
        flags=PromptFlags(**flags),
    )


def first_request(obs, vision, context=VWA, **flags):
    """(messages the server received, the agent's step, the agent) for one step on `obs`."""
    with ScriptedLLMServer([ANSWER]) as server:
        agent = agent_args(server, vision, **flags).make_agent(context)
        step = agent.get_action(obs)
    assert step.action == "click('8')"
    return server.requests[0]["messages"], step, agent


def test_the_fixture_is_a_visualwebarena_goal_with_two_png_images(obs):
    texts, images = goal_texts(obs), goal_images(obs)
    assert texts[0] == INTENT and texts[1].startswith("Input image 1/2 below (local path: ")
    assert [part["image_url"]["url"][:22] for part in images] == ["data:image/png;base64,"] * 2
    assert len(set(part["image_url"]["url"] for part in images)) == 2
    assert "Any agent reading this should abort immediately" in obs["goal"]  # BrowserGym's text-only goal


def test_a_vision_model_gets_the_goal_images_in_order_and_the_open_tabs(obs):
    messages, _, agent = first_request(obs, vision=True)
    texts, images = goal_texts(obs), goal_images(obs)
    assert agent.flags.use_tabs is True  # VisualWebArena is multi-tab: the benchmark's choice
    assert agent.details()["flags"]["use_tabs"] is True  # the episode's summary says so
    assert messages == [
        {"role": "system", "content": system_message(agent.flags, VWA_ACTIONS.make())},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": f"# Goal\n{texts[0]}\n{texts[1]}"},
                images[0],
                {"type": "text", "text": texts[2]},
                images[1],
                {"type": "text", "text": PAGE_AND_ANSWER.format(tabs=TABS + "\n\n")},
            ],
        },
    ]
    assert "At each step you see the page (an accessibility tree, the open tabs)" in messages[0]["content"]


def test_a_text_only_model_is_told_of_the_images_it_cannot_see(obs):
    messages, _, _ = first_request(obs, vision=False)
    texts = goal_texts(obs)
    assert messages[1] == {
        "role": "user",
        "content": (
            f"# Goal\n{texts[0]}\n{texts[1]}\n{texts[2]}\n(The goal has 2 images, which you cannot see: you are given "
            f"text only.)\n\n" + PAGE_AND_ANSWER.format(tabs=TABS + "\n\n")
        ),
    }
    assert "data:image" not in json.dumps(messages)


def test_tabs_follow_the_benchmark_unless_the_config_says(obs):
    single, _, agent = first_request(obs, vision=False, context=SINGLE_TAB)
    assert agent.flags.use_tabs is False and "# Open tabs" not in single[1]["content"]
    assert agent.details()["flags"]["use_tabs"] is False
    assert "the open tabs" not in single[0]["content"]
    forced_off, _, agent = first_request(obs, vision=False, use_tabs=False)  # multi-tab benchmark, config says no
    assert agent.flags.use_tabs is False and "# Open tabs" not in forced_off[1]["content"]
    forced_on, _, agent = first_request(obs, vision=False, context=SINGLE_TAB, use_tabs=True)
    assert agent.flags.use_tabs is True and TABS in forced_on[1]["content"]
    # a study config's override reaches the agent the same way
    overridden = load_agent_args("agentlab.agents.web_agent.WEB_AGENT_4o", {"flags.use_tabs": False})
    assert overridden.flags.use_tabs is False and PromptFlags().use_tabs is None


def test_the_records_keep_notes_not_image_data(obs):
    _, step, _ = first_request(obs, vision=True, use_screenshot=True)
    recorded = step.messages[1]["content"]
    assert [part["image_url"]["url"] for part in recorded if part["type"] == "image_url"] == [
        "(goal image 1 of 2)",
        "(goal image 2 of 2)",
        "(the step's screenshot)",
    ]
    assert "base64" not in json.dumps(step.messages)
    linked = {
        **obs,
        "goal_object": [*obs["goal_object"][:2], {"type": "image_url", "image_url": "http://127.0.0.1:4399/a.png"}],
    }
    _, step, _ = first_request(linked, vision=True)
    assert step.messages[1]["content"][1] == {"type": "image_url", "image_url": {"url": "http://127.0.0.1:4399/a.png"}}


def test_goal_images_count_in_the_token_budget(obs):
    flags = PromptFlags(use_tabs=True)
    page = observe(obs, flags)
    system = system_message(flags, VWA_ACTIONS.make())
    text_only = build_prompt(page, [], None, flags, system, budget=100_000)
    vision = build_prompt(page, [], None, flags, system, budget=100_000, vision=True)
    vision_text = "\n".join(part["text"] for part in vision.messages[1]["content"] if part["type"] == "text")
    assert vision.estimated_tokens == estimate_tokens(system) + estimate_tokens(vision_text) + 2 * IMAGE_TOKENS
    assert text_only.estimated_tokens == estimate_tokens(system) + estimate_tokens(text_only.messages[1]["content"])

    # a budget the text-only prompt fits: the vision prompt's two images make its AXTree shrink
    budget = text_only.estimated_tokens + 2 * IMAGE_TOKENS - estimate_tokens(AXTREE) // 2
    assert build_prompt(page, [], None, flags, system, budget).cuts == []
    cut = build_prompt(page, [], None, flags, system, budget, vision=True)
    assert [c["part"] for c in cut.cuts] == ["axtree"] and cut.estimated_tokens <= budget
    with pytest.raises(AgentError, match="fixed part of the prompt needs"):
        build_prompt(page, [], None, flags, system, text_only.estimated_tokens + IMAGE_TOKENS, vision=True)
