"""`agentlab prompt-test`: a recorded step's prompt (or another config's, rebuilt from the recorded
observation) sent to a real local HTTP server speaking the OpenAI chat API (scripted answers), the
answer and its parsed action printed. The slow tests record real episodes in real Chromium, and
ask the offline local model."""

import gzip
import json
import re
import subprocess

import pytest
from conftest import BIN, tool_env
from llm_server import ScriptedLLMServer
from synthetic import write_episode, write_manifest

from agentlab.cli.prompt_testing import PromptTest, run_prompt_test
from agentlab.core.errors import ConfigError
from agentlab.episode.spec import EpisodeSpec, RunLimits
from agentlab.episode.supervisor import EXIT_FINAL, run_supervised

AXTREE = (
    "RootWebArea 'Click Test Task', focused\n\t[13] button 'Click Me!', clickable\n"
    "\t\tStaticText 'Click Me!'\n\t\tInlineTextBox 'Click Me!'\n\t[14] generic\n\t[15] textbox 'Name', clickable"
)
HTML = '<body bid="2"><button bid="13">Click Me!</button></body>'
SYSTEM = "You are a web agent. (recorded system message)"
RECORDED_USER = "# Goal\nClick the button.\n# Page\n[13] button 'Click Me!'"
STEPS = [
    {
        "step": 0,
        "url": "file:///click-test.html",
        "screenshot": "screenshots/step_000.png",
        "axtree": AXTREE,
        "focused_element_bid": "15",
        "action": "click('99')",
        "think": "Maybe 99.",
        "last_action_error": "no element 99",
        "agent_extra": {"memory": None},
        "messages": [
            {"role": "system", "content": "first step's system"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "<action>click('99')</action>"},
        ],
    },
    {
        "step": 1,
        "url": "file:///click-test.html",
        "screenshot": "screenshots/step_001.png",
        "axtree": AXTREE,
        "focused_element_bid": "15",
        "action": "click('13')",
        "think": "The button is 13.",
        "last_action_error": "",
        "page_details": "observations/step_001.json.gz",
        "messages": [
            {"role": "system", "content": SYSTEM},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": RECORDED_USER},
                    {"type": "image_url", "image_url": {"url": "(the step's screenshot)"}},
                ],
            },
            {"role": "assistant", "content": "I click."},
            {"role": "user", "content": "Your answer could not be used"},
            {"role": "assistant", "content": "<action>click('13')</action>"},
        ],
    },
    {
        "step": 2,
        "url": "file:///click-test.html",
        "screenshot": "screenshots/step_002.png",
        "axtree": AXTREE,
        "action": None,
    },
]


def recorded_episode(tmp_path, config="agentlab.agents.web_agent.WEB_AGENT_4o", overrides=None):
    """A synthetic episode folder in the format real episodes write (summary.json, steps.jsonl, PNGs)."""
    study = write_manifest(tmp_path / "s", ["click-test"], [0], ["a"])
    spec = {"agent_config": config, "agent_overrides": overrides or {}}
    folder = write_episode(
        study,
        "a",
        "click-test",
        0,
        {"status": "success", "goal": "Click the button.", "max_steps": 5, "spec": spec},
        STEPS,
    )
    (folder / "observations").mkdir()
    (folder / STEPS[1]["page_details"]).write_bytes(gzip.compress(json.dumps({"pruned_html": HTML}).encode()))
    return folder


def prompt_test(folder, *args):
    return subprocess.run(
        [str(BIN / "agentlab"), "prompt-test", str(folder), *args], capture_output=True, text=True, env=tool_env()
    )


def user_text(message):
    content = message["content"]
    return content if isinstance(content, str) else content[0]["text"]


@pytest.mark.slow
def test_recorded_prompt_is_sent_again_with_its_screenshot(tmp_path):
    folder = recorded_episode(tmp_path)
    with ScriptedLLMServer(["<think>It is 13.</think><action>click('13')</action>"]) as server:
        process = prompt_test(folder, "--step", "1", "--model", "scripted", "--base-url", server.base_url)
    assert process.returncode == 0, process.stderr
    (request,) = server.requests
    assert request["model"] == "scripted"
    assert [m["role"] for m in request["messages"]] == ["system", "user"]  # up to the first answer
    assert request["messages"][0]["content"] == SYSTEM and user_text(request["messages"][1]) == RECORDED_USER
    image = request["messages"][1]["content"][1]["image_url"]["url"]
    assert image.startswith("data:image/png;base64,")
    assert server.authorizations == ["Bearer no-key"]  # --base-url: no key asked for
    out = process.stdout
    assert "step 1 (recorded action: click('13'))" in out and "prompt: the recorded one (2 messages)" in out
    assert out.endswith("--- answer\n<think>It is 13.</think><action>click('13')</action>\n--- action\nclick('13')\n")


@pytest.mark.slow
def test_another_config_builds_its_prompt_from_the_recorded_observation(tmp_path):
    folder = recorded_episode(tmp_path)
    with ScriptedLLMServer(then="<action>fill('15', 'Bob')</action>") as server:
        rebuilt = prompt_test(
            folder,
            "--step",
            "1",
            "--agent",
            "agentlab.agents.web_agent.WEB_AGENT_LOCAL",
            "--model",
            "scripted",
            "--base-url",
            server.base_url,
            "--show-prompt",
        )
        without_history = prompt_test(
            folder,
            "--step",
            "1",
            "--agent",
            "agentlab.agents.web_agent.WEB_AGENT_LOCAL",
            "--override",
            "flags.use_history=false",
            "--override",
            "flags.compact_axtree=false",
            "--override",
            "flags.use_html=true",
            "--model",
            "scripted",
            "--base-url",
            server.base_url,
        )
    assert rebuilt.returncode == 0 and without_history.returncode == 0, rebuilt.stderr + without_history.stderr
    system, user = server.requests[0]["messages"]
    assert system["role"] == "system" and "You are a web agent" in system["content"]
    text = user_text(user)
    assert "Click the button." in text
    assert "[13] button 'Click Me!', clickable" in text and "InlineTextBox" not in text  # as WebAgent prints it
    assert "[14] generic" not in text  # WEB_AGENT_LOCAL's compact_axtree
    assert "click('99')" in text and "no element 99" in text  # step 0's action and its error, in the history
    assert "prompt: built by agentlab.agents.web_agent.WEB_AGENT_LOCAL from the recorded observation" in rebuilt.stdout
    assert "--- prompt: system\nYou are a web agent" in rebuilt.stdout and "--- prompt: user\n" in rebuilt.stdout
    assert rebuilt.stdout.endswith("--- action\nfill('15', 'Bob')\n")
    text = user_text(server.requests[1]["messages"][1])
    assert "click('99')" not in text and "[14] generic" in text
    assert HTML not in user_text(server.requests[0]["messages"][1]) and HTML in text  # the recorded pruned HTML
    assert "with flags.use_history=false, flags.compact_axtree=false, flags.use_html=true" in without_history.stdout


def test_an_answer_without_a_valid_action_says_why(tmp_path):
    folder = recorded_episode(tmp_path)
    with ScriptedLLMServer(["I would press the button.", "<action>press_button(13)</action>"]) as server:
        test = PromptTest(folder, 0, model="scripted", base_url=server.base_url)
        no_action, unknown = run_prompt_test(test), run_prompt_test(test)
    assert no_action.action is None and "the answer has no action" in no_action.parse_error
    assert unknown.action is None and "press_button" in unknown.parse_error
    assert no_action.prompt == [
        {"role": "system", "content": "first step's system"},
        {"role": "user", "content": "first"},
    ]


def test_the_episodes_own_model_is_asked_by_default(tmp_path):
    with ScriptedLLMServer(["<action>click('13')</action>"]) as server:
        overrides = {
            "chat_model_args.base_url": server.base_url,
            "chat_model_args.api_key_env": None,
            "chat_model_args.model_name": "episode-model",
        }
        folder = recorded_episode(tmp_path, overrides=overrides)
        result = run_prompt_test(PromptTest(folder, 1, rebuild=True, temperature=0.7))
    assert server.requests[0]["model"] == "episode-model" and server.requests[0]["temperature"] == 0.7
    assert result.action == "click('13')" and result.recorded_action == "click('13')"


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, expected",
    [
        (["--step", "2"], "step 2 of"),  # the last observation has no answer
        (["--step", "7"], "has no recorded agent answer; allowed: 0, 1"),
        (
            ["--step", "0", "--override", "flags.use_html=true", "--model", "m", "--base-url", "http://127.0.0.1:9/v1"],
            "flags.use_html is true, but step 0 recorded no HTML (steps before page details were recorded)",
        ),
        (
            [
                "--step",
                "1",
                "--override",
                "flags.visible_only=true",
                "--model",
                "m",
                "--base-url",
                "http://127.0.0.1:9/v1",
            ],
            "flags.visible_only is true, but steps record the AXTree of the whole page; "
            "allowed: flags.visible_only false",
        ),
        (["--step", "1", "--override", "use_html"], "--override 'use_html' is not KEY=VALUE"),
        (["--step", "1", "--override", "flags.use_htm=1"], "has no field 'use_htm'"),
        (
            ["--step", "1", "--agent", "agentlab.agents.replay.REPLAY"],
            "agent config 'agentlab.agents.replay.REPLAY' is a ReplayAgentArgs; allowed: a WebAgent config",
        ),
    ],
)
def test_bad_requests_are_one_line(tmp_path, args, expected):
    process = prompt_test(recorded_episode(tmp_path), *args)
    assert process.returncode == 2 and process.stdout == ""
    assert expected in process.stderr and process.stderr.count("\n") == 1


def test_a_folder_without_summary_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="has no summary.json; allowed: a finished episode folder"):
        run_prompt_test(PromptTest(tmp_path, 0))


def test_an_agent_without_our_chat_model_needs_a_model(tmp_path):
    folder = recorded_episode(tmp_path, config="agentlab.agents.replay.REPLAY")
    with pytest.raises(ConfigError, match="has no chat model of ours to ask; allowed: --model local"):
        run_prompt_test(PromptTest(folder, 1))


def run_episode(tmp_path, server, task="click-test"):
    """A real episode: real Chromium on a real MiniWoB++ page, WebAgent asking the scripted server."""
    spec = EpisodeSpec(
        study="t",
        benchmark="miniwob",
        task=task,
        seed=0,
        agent_name="scripted",
        agent_config="agentlab.agents.web_agent.WEB_AGENT_4o",
        max_steps=3,
        agent_overrides={
            "chat_model_args.base_url": server.base_url,
            "chat_model_args.api_key_env": None,
            "chat_model_args.model_name": "scripted-model",
            "flags.use_memory": True,
            "flags.use_html": True,
        },
    )
    out = tmp_path / task
    assert run_supervised(spec, RunLimits(step_timeout_s=60, episode_timeout_s=300), out) == EXIT_FINAL
    return out


def click_button(body):
    bid = re.search(r"\[(\w+)\] button 'Click Me!'", user_text(body["messages"][1])).group(1)
    return f"<think>It is {bid}.</think><memory>clicked {bid}</memory><action>click('{bid}')</action>"


@pytest.mark.slow
def test_the_rebuilt_prompt_of_the_same_config_is_the_recorded_one(tmp_path):
    """On a real episode, the prompt rebuilt from the step records is the one the agent sent: at
    step 0, and at step 1 with its history, memory and the error of step 0's action."""
    script = ["<think>Try 999.</think><memory>tried 999</memory><action>click('999')</action>", click_button]
    with ScriptedLLMServer(script) as server:
        folder = run_episode(tmp_path, server)
        sent = [body["messages"] for body in server.requests]
    steps = [json.loads(line) for line in (folder / "steps.jsonl").read_text().splitlines()]
    assert steps[0]["last_action_error"] and steps[1]["action"].startswith("click(")  # a real error, then success
    with ScriptedLLMServer(then="<action>noop()</action>") as server:
        for step in (0, 1):
            result = run_prompt_test(PromptTest(folder, step, rebuild=True, model="scripted", base_url=server.base_url))
            assert result.prompt == sent[step] and server.requests[step]["messages"] == sent[step]
            assert result.action == "noop()"
    assert "tried 999" in user_text(sent[1][1]) and "<button" in user_text(sent[1][1])  # memory, HTML


@pytest.mark.slow
def test_the_offline_local_model_answers_without_a_key(tmp_path, monkeypatch):
    """The packaged Qwen2.5-Coder-0.5B on the local llama.cpp server, started for the test and stopped after."""
    from agentlab.llm import local_server

    monkeypatch.setenv(local_server.SERVER_DIR_ENV, str(tmp_path / "llm-server"))
    for name in ("OPENAI_API_KEY", "OPENROUTER_API_KEY", "HF_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    folder = recorded_episode(tmp_path, config="agentlab.agents.web_agent.WEB_AGENT_LOCAL")
    try:
        process = prompt_test(folder, "--step", "1", "--rebuild", "--model", "local", "--max-new-tokens", "60")
    finally:
        local_server.stop_server(tmp_path / "llm-server")
    assert process.returncode == 0, process.stderr
    assert "model: qwen2.5-coder-0.5b-instruct-q4_k_m (" in process.stdout
    answer = process.stdout.split("--- answer\n", 1)[1].split("\n--- action\n")[0]
    action = process.stdout.rsplit("--- action\n", 1)[1].strip()
    assert answer.strip()  # the model wrote something; the action parsed from it, or why not
    assert action.startswith("(none: ") or re.fullmatch(r"\w+\(.*\)", action)
    print(process.stdout)
