"""ServiceNow AgentLab 0.4.2's own agents in our episodes: the wire format, the one-line refusals,
and real MiniWoB episodes of real AgentLab agents (a scripted AgentArgs and AgentLab's GenericAgent
against a real OpenAI-compatible HTTP server) run through the bridge in AgentLab's environment."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, run_snakemake
from helpers import needs_agentlab
from https_proxy import InterceptingProxy
from llm_server import ScriptedLLMServer

from agentlab.agents.bridge import AgentLabEnvironment, BridgeAgentArgs
from agentlab.agents.bridge import host as wire
from agentlab.agents.registry import load_agent_args
from agentlab.core.budget import read_spend
from agentlab.core.errors import ConfigError
from agentlab.core.records import read_steps, read_summary
from agentlab.study.config import load_study

PEER_AGENTS = REPO / "bench" / "peer"  # scripted_agent.py: AgentLab AgentArgs of our tests and benches


def test_observations_cross_the_wire_with_their_types(tmp_path):
    obs = {
        "screenshot": np.arange(720 * 1280 * 3, dtype=np.uint8).reshape(720, 1280, 3),
        "active_page_index": np.asarray([0]),
        "elapsed_time": np.asarray([1.25]),
        "open_pages_urls": ("file:///a.html", "file:///b.html"),
        "chat_messages": ({"role": "user", "message": "hi"},),
        "extra_element_properties": {"12": {"bbox": [1.5, 2.0, 3, 4], "visibility": np.float32(1.0)}},
        "goal": "click",
        "last_action_error": "",
    }
    text = json.dumps(wire.encode(obs, tmp_path))
    assert len(text) < 5000  # the screenshot went into a file
    back = wire.decode(json.loads(text))
    assert back.keys() == obs.keys()
    assert np.array_equal(back["screenshot"], obs["screenshot"]) and back["screenshot"].dtype == np.uint8
    assert back["open_pages_urls"] == obs["open_pages_urls"] and isinstance(back["chat_messages"], tuple)
    assert back["elapsed_time"].dtype == np.float64 and back["active_page_index"].tolist() == [0]
    assert type(back["extra_element_properties"]["12"]["visibility"]) is np.float32
    assert list(tmp_path.iterdir()) == []  # the array file is read once, then deleted


def test_study_overrides_reach_the_agentlab_agent_args():
    args = load_agent_args(
        "agentlab.agents.generic_agent.AGENT_4o",
        {"chat_model_args.temperature": 0, "flags.obs.use_html": False, "set_benchmark": False},
    )
    assert isinstance(args, BridgeAgentArgs) and args.agent == "agentlab.agents.generic_agent.AGENT_4o"
    assert args.overrides == {"chat_model_args.temperature": 0, "flags.obs.use_html": False}
    assert args.set_benchmark is False and args.required_env == ("OPENAI_API_KEY",)


def test_the_original_names_without_agentlab_installed_stop_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTLAB_SERVICENOW_VENV", str(tmp_path / "nowhere"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    config = {
        "study": "s",
        "benchmarks": {"miniwob": {"tasks": ["click-test"], "seeds": [0]}},
        "agents": {"gpt4o": {"config": "agentlab.agents.generic_agent.AGENT_4o"}},
    }
    with pytest.raises(ConfigError) as raised:
        load_study(config)
    message = str(raised.value)
    assert (
        message.startswith(
            "config error at agents.gpt4o: ServiceNow AgentLab 0.4.2's environment is not "
            f"installed in {tmp_path / 'nowhere'}"
        )
        and "agentlab bridge install" in message
    )
    assert "\n" not in message


@needs_agentlab
def test_a_missing_api_key_of_an_agentlab_agent_stops_in_one_line(monkeypatch):
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"^agentlab.agents.generic_agent.AGENT_CUSTOM needs OPENROUTER_API_KEY set"):
        load_agent_args("agentlab.agents.generic_agent.AGENT_CUSTOM").check()


def scripted(actions, **overrides) -> dict:
    """A study agent entry: bench/peer/scripted_agent.py's AgentLab AgentArgs, playing `actions`."""
    return {
        "config": "agentlab.agents.bridge.AGENTLAB_AGENT",
        "overrides": {"agent": "scripted_agent.SCRIPTED", "actions": list(actions), **overrides},
    }


@pytest.mark.slow
@needs_agentlab
def test_agentlab_agents_run_real_episodes_through_the_bridge(tmp_path, monkeypatch):
    """A user's AgentLab AgentArgs (scripted) and AgentLab's own GenericAgent (AGENT_4o's flags and
    prompts, its OpenAI client pointed at a real local HTTP server) solve MiniWoB tasks, native and
    miniwob-cube's (their string actions mapped to the cube's tool calls), in a real Snakemake study;
    our tables count them like any agent."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(PEER_AGENTS), os.environ.get("PYTHONPATH")])))
    with ScriptedLLMServer(
        then=lambda body: f"<think>The button is the only one.</think>\n<action>click('{button_bid(body)}')</action>"
    ) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-local-test")
        config = {
            "study": "bridged",
            "benchmarks": {
                "miniwob": {"tasks": ["click-test"], "seeds": [0, 1], "max_steps": 3},
                "miniwob-cube": {"cube": "miniwob-cube", "tasks": ["click-test"], "max_steps": 3},
            },
            "agents": {
                "scripted": scripted(["click('13')"]),
                "gpt4o": {
                    "config": "agentlab.agents.generic_agent.AGENT_4o",
                    "overrides": {"chat_model_args.temperature": 0},
                },
            },
            "episode": {"retries": 0, "step_timeout_s": 120, "episode_timeout_s": 600},
        }
        run_snakemake(tmp_path, config)
        prompts = list(server.requests)
    study = tmp_path / "results" / "bridged"
    table = pd.read_csv(study / "summary.csv").set_index(["benchmark", "agent"])
    assert table.loc[("miniwob", "scripted"), "n_success"] == 2 and table.loc[("miniwob", "gpt4o"), "n_success"] == 2
    assert (
        table.loc[("miniwob", "gpt4o"), "avg_reward"] == 1.0 and table.loc[("miniwob", "gpt4o"), "n_completed"] == "2/2"
    )
    assert table.loc[("miniwob-cube", "scripted"), "n_success"] == 1
    assert table.loc[("miniwob-cube", "gpt4o"), "n_success"] == 1
    cube_steps, _ = read_steps(study / "miniwob-cube" / "gpt4o" / "click-test" / "seed0")
    assert cube_steps[0].tool_calls == [{"name": "click", "arguments": {"bid": "13"}, "id": None}]

    summary = read_summary(study / "miniwob" / "gpt4o" / "click-test" / "seed0" / "summary.json")
    details = summary.outcome.agent_details
    assert details["class"] == "agentlab.agents.generic_agent.generic_agent.GenericAgentArgs"
    assert details["versions"]["agentlab"] == "0.4.2"
    assert details["fields"]["chat_model_args"]["model_name"] == "gpt-4o-2024-05-13"
    assert details["fields"]["flags"]["obs"]["use_html"] is True  # set_benchmark's choice for MiniWoB
    assert (
        summary.outcome.agent_stats["input_tokens"] > 0 and summary.outcome.agent_stats["cost"] > 0
    )  # priced as gpt-4o-2024-05-13
    records, _ = read_steps(study / "miniwob" / "gpt4o" / "click-test" / "seed0")
    answer = records[0].answer
    assert answer is not None and answer.action == f"click('{button_bid(prompts[0])}')"
    assert answer.think == "The button is the only one."
    system, user = (message["content"] for message in answer.messages[:2])
    # AgentLab's own prompt, not ours: its instructions and the HTML it shows on MiniWoB
    assert "You are an agent trying to solve a web task" in message_text(system)
    assert "HTML:\n" in message_text(user) and "AXTree:\n" in message_text(user)
    assert prompts[0]["model"] == "gpt-4o-2024-05-13" and prompts[0]["temperature"] == 0


CLAUDE_35 = "openrouter/anthropic/claude-3.5-sonnet:beta"  # how LiteLLM names AGENT_CLAUDE_SONNET_35's model


@pytest.mark.slow
@needs_agentlab
def test_agentlabs_claude_35_through_openrouter_stops_at_its_budget(tmp_path, monkeypatch):
    """AgentLab 0.4.2's own AGENT_CLAUDE_SONNET_35, unpatched: its OpenRouter client (https://openrouter.ai/api/v1
    is in its code) reaches the scripted server through a real HTTPS proxy it finds in the environment, as any
    client would. LiteLLM 1.110.2's map has no OpenRouter entries, so the study config prices the model
    ($3 / $15 per million, Sonnet 3.5's); the first episode (~$0.005) spends the $0.001 budget and none starts after."""
    with (
        ScriptedLLMServer(then="<think>Wait.</think>\n<action>noop()</action>") as server,
        InterceptingProxy("openrouter.ai", server.port, tmp_path) as proxy,
    ):
        for name, value in proxy.environment().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-local-test")
        config = {
            "study": "claude35",
            "benchmarks": {"miniwob": {"tasks": ["click-test", "click-button"], "seeds": [0], "max_steps": 1}},
            "agents": {"claude35": {"config": "agentlab.agents.generic_agent.AGENT_CLAUDE_SONNET_35"}},
            "episode": {"retries": 0, "step_timeout_s": 120, "episode_timeout_s": 600},
            "budget": {"max_cost_usd": 0.001},
            "prices": {CLAUDE_35: {"input_per_million": 3, "output_per_million": 15}},
        }
        stopped = run_snakemake(tmp_path, config, "--resources", "browser=1", check=False)
    study = tmp_path / "results" / "claude35"
    finished = sorted(study.glob("miniwob/claude35/*/seed0/summary.json"))
    assert stopped.returncode != 0 and len(finished) == 1 and read_spend(study).attempts == 1, stopped.stderr[-3000:]
    assert "reaching budget.max_cost_usd=0.001" in stopped.stderr
    summary = read_summary(finished[0])
    stats = summary.outcome.agent_stats
    assert stats["cost_source"] == f"study config prices[{CLAUDE_35!r}]" and stats["input_tokens"] > 0
    assert stats["cost"] == pytest.approx((stats["input_tokens"] * 3 + stats["output_tokens"] * 15) / 1e6)
    assert stats["cost"] > 0.001 and read_spend(study).cost_usd == pytest.approx(stats["cost"])
    assert (
        summary.outcome.agent_details["fields"]["chat_model_args"]["model_name"] == "anthropic/claude-3.5-sonnet:beta"
    )
    # every call went to "openrouter.ai" over TLS, through the proxy, with the key from the environment; the
    # proxy refused the rest (Chromium's own calls to Google), and nothing local went through it (NO_PROXY)
    assert "openrouter.ai:443" in proxy.connects and server.requests
    assert not [target for target in proxy.connects if target.startswith(("127.0.0.1", "localhost"))]
    assert set(server.paths) == {"/api/v1/chat/completions"}
    assert set(server.authorizations) == {"Bearer sk-or-local-test"}
    assert {body["model"] for body in server.requests} == {"anthropic/claude-3.5-sonnet:beta"}


def message_text(content) -> str:
    return content if isinstance(content, str) else "\n".join(part.get("text", "") for part in content)


def button_bid(body: dict) -> str:
    """The bid of the button in the AXTree of a GenericAgent prompt (click-test has one button)."""
    import re

    text = "\n".join(message_text(message["content"]) for message in body["messages"])
    return re.search(r"\[(\w+)\] button 'Click Me!'", text).group(1)


# Keys whose values differ between any two runs of the same episode (wall-clock time).
VOLATILE = {"elapsed_time"}
FRAME = "<frame id>"  # Chromium names each frame with a random id per browser run


def without_frame_ids(value, frame_ids: set[str]):
    """`value` with Chromium's random frame ids (in the AXTree and DOM snapshot) replaced by one placeholder."""
    if isinstance(value, str):
        return FRAME if value in frame_ids else value
    if isinstance(value, (list, tuple)):
        return type(value)(without_frame_ids(item, frame_ids) for item in value)
    if isinstance(value, dict):
        return {key: without_frame_ids(item, frame_ids) for key, item in value.items()}
    return value


def renumbered(obs: dict) -> tuple[dict, dict]:
    """The raw AXTree and DOM snapshot with Chromium's node ids (counters of its renderer process, which
    a browser that ran episodes before has advanced) renumbered in order of appearance."""
    import copy

    axtree, dom = copy.deepcopy(obs["axtree_object"]), copy.deepcopy(obs["dom_object"])
    backend: dict = {}
    for document in dom["documents"]:
        document["nodes"]["backendNodeId"] = [
            backend.setdefault(i, len(backend)) for i in document["nodes"]["backendNodeId"]
        ]
    ax: dict = {}
    for node in axtree["nodes"]:
        node["nodeId"] = ax.setdefault(node["nodeId"], len(ax))
    for node in axtree["nodes"]:
        node["childIds"] = [ax.setdefault(child, len(ax)) for child in node.get("childIds", [])]
        if "parentId" in node:
            node["parentId"] = ax.setdefault(node["parentId"], len(ax))
        if "backendDOMNodeId" in node:
            node["backendDOMNodeId"] = backend.get(node["backendDOMNodeId"], "<not in the DOM snapshot>")
    return axtree, dom


def load_observations(folder) -> list[dict]:
    steps = sorted(folder.glob("step_*.json"), key=lambda path: int(path.stem.split("_")[1]))
    return [wire.decode(json.loads(path.read_text())) for path in steps]


def without_timestamps(messages) -> list:
    return [{key: value for key, value in message.items() if key != "timestamp"} for message in messages]


def differences(ours: dict, theirs: dict) -> list[str]:
    """The keys of two preprocessed observations whose values differ (beyond wall-clock time)."""
    found = [] if ours.keys() == theirs.keys() else [f"keys: {sorted(ours.keys() ^ theirs.keys())}"]
    frames = [
        {node["frameId"] for node in obs["axtree_object"]["nodes"] if "frameId" in node} for obs in (ours, theirs)
    ]
    raw = [dict(zip(("axtree_object", "dom_object"), renumbered(obs))) for obs in (ours, theirs)]
    for key in sorted(ours.keys() & theirs.keys() - VOLATILE):
        a, b = ours[key], theirs[key]
        if key in raw[0]:
            a, b = without_frame_ids(raw[0][key], frames[0]), without_frame_ids(raw[1][key], frames[1])
        if key == "chat_messages":
            a, b = without_timestamps(a), without_timestamps(b)
        same = np.array_equal(a, b) if isinstance(a, np.ndarray) else (type(a) is type(b) and a == b)
        if not same:
            found.append(key)
    return found


@pytest.mark.slow
@needs_agentlab
def test_the_agent_sees_what_agentlabs_own_loop_shows_it(tmp_path, monkeypatch):
    """The same AgentLab agent (recording what it is given, after AgentLab's GenericAgent
    preprocessing) on the same MiniWoB tasks, seed and actions: once in AgentLab's own loop
    (its Study, its env: chat window, fixed pre_observation_delay), once through our bridge."""
    import subprocess

    from agentlab.agents.bridge.agent import host_environment
    from agentlab.benchmarks.miniwob import miniwob_url

    tasks, seed, actions = ["click-test", "click-button", "enter-text"], 7, ["noop(200)", "click('10')", "noop()"]
    monkeypatch.setenv("MINIWOB_URL", miniwob_url())  # the same pages (and URLs) on both sides
    environment = AgentLabEnvironment.configured()
    theirs = tmp_path / "theirs"
    process = subprocess.run(
        [
            str(environment.python),
            str(PEER_AGENTS / "agentlab_run.py"),
            "--tasks",
            ",".join(tasks),
            "--seeds",
            str(seed),
            *[f"--action={action}" for action in actions],
            "--record-dir",
            str(theirs),
        ],
        capture_output=True,
        text=True,
        env=host_environment(environment),
    )
    assert process.returncode == 0, process.stderr[-3000:]
    assert json.loads(process.stdout.splitlines()[-1])["errors"] == 0

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(PEER_AGENTS), os.environ.get("PYTHONPATH")])))
    ours = tmp_path / "ours"
    config = {
        "study": "seen",
        "benchmarks": {"miniwob": {"tasks": tasks, "seeds": [seed], "max_steps": len(actions)}},
        "agents": {"recorder": scripted(actions, record_dir=str(ours))},
        "episode": {"retries": 0},
    }
    run_snakemake(tmp_path / "work", config)
    compared = 0
    for task in tasks:
        mine, reference = load_observations(ours / f"miniwob.{task}"), load_observations(theirs / f"miniwob.{task}")
        assert len(mine) == len(reference) >= 2  # the same steps, until the task ends or max_steps
        for step, (a, b) in enumerate(zip(mine, reference)):
            assert differences(a, b) == [], f"{task} step {step}"
            compared += 1
    assert compared >= 2 * len(tasks)


THEIR_SUMMARIZE = """
import json, sys
import pandas as pd
from agentlab.analyze.inspect_results import summarize
for rows in json.load(sys.stdin):
    record = summarize(pd.DataFrame(rows))
    print(json.dumps({key: (value.item() if hasattr(value, "item") else value) for key, value in record.items()}))
"""


@pytest.mark.slow
@needs_agentlab
def test_agentlab_columns_equal_agentlabs_own_summarize():
    """Our AgentLab columns and AgentLab 0.4.2's inspect_results.summarize (run in its environment)
    on the same rows: fractional and binary rewards, every kind of error, repeated draws, unfinished episodes."""
    import subprocess

    from agentlab.agents.bridge.agent import host_environment
    from agentlab.analyze.summarize import agentlab_rows, agentlab_summary

    def episodes(rows):
        return pd.DataFrame(
            [
                {
                    "status": status,
                    "agentlab_reward": reward if status in ("success", "failure") else 0.0,
                    "terminated": status == "success",
                    "truncated": status == "failure",
                    "n_steps": steps,
                    "weight": weight,
                }
                for status, reward, steps, weight in rows
            ]
        )

    groups = [
        agentlab_rows(
            episodes(
                [
                    ("success", 0.75, 3, 1),
                    ("failure", 0.25, 10, 2),
                    ("agent_error", 0, 4, 1),
                    ("infra_error", 0, 0, 1),
                    ("success", 0.5, 2, 1),
                ]
            ),
            2,
        ),
        agentlab_rows(episodes([("success", 1.0, 2, 1), ("failure", 0.0, 10, 1), ("eval_error", 0, 5, 2)]), 0),
        agentlab_rows(episodes([("success", 1.0, 1, 1)]), 3),
        agentlab_rows(episodes([("success", 0.3, 4, 1)]), 0),  # one fractional reward: no sample error, 0
    ]
    environment = AgentLabEnvironment.configured()
    payload = json.dumps([json.loads(rows.to_json(orient="records")) for rows in groups])
    process = subprocess.run(
        [str(environment.python), "-P", "-c", THEIR_SUMMARIZE],
        input=payload,
        capture_output=True,
        text=True,
        env=host_environment(environment),
        cwd="/",
    )
    assert process.returncode == 0, process.stderr[-2000:]
    theirs = [json.loads(line) for line in process.stdout.splitlines() if line.startswith("{")]
    ours = [agentlab_summary(rows) for rows in groups]
    assert len(theirs) == len(groups)
    for mine, reference in zip(ours, theirs):
        assert {key: mine[key] for key in reference} == reference
    assert ours[0]["n_completed"] == "6/8" and ours[0]["n_err"] == 2 and ours[1]["n_err"] == 2
