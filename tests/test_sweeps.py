"""Agent sweeps: a `sweep:` grid becomes named agents with the swept values in their overrides;
every bad sweep fails with one line naming it."""

import copy
import re
import subprocess

import pytest
import yaml
from conftest import BIN, replay_agent, tool_env

from agentlab.core.errors import ConfigError
from agentlab.study.config import load_study
from agentlab.study.sweep import key_labels, value_label

LOCAL = "agentlab.agents.web_agent.WEB_AGENT_LOCAL"
SWEEP = {"flags.use_html": [True, False], "chat_model_args.temperature": [0, 0.5]}
GOOD = {
    "study": "sweep",
    "benchmarks": {"miniwob": {"tasks": ["click-test", "click-button"], "seeds": [0, 1]}},
    "agents": {
        "local": {"config": LOCAL, "overrides": {"flags.max_parse_retries": 1}, "sweep": SWEEP},
        "replay": replay_agent(),
    },
}
VARIANTS = [
    "local-temperature=0-use_html=true",
    "local-temperature=0-use_html=false",
    "local-temperature=0.5-use_html=true",
    "local-temperature=0.5-use_html=false",
]


def with_sweep(sweep, overrides=None, name="local"):
    config = copy.deepcopy(GOOD)
    config["agents"][name] = {"config": LOCAL, "overrides": overrides or {}, "sweep": sweep}
    return config


def test_sweep_expands_into_named_agents_with_their_values():
    study = load_study(copy.deepcopy(GOOD))
    assert list(study.agents) == VARIANTS + ["replay"]
    plan = study.agents["local-temperature=0.5-use_html=false"]
    assert plan.sweep_of == "local"
    assert plan.swept == {"flags.use_html": False, "chat_model_args.temperature": 0.5}
    assert plan.overrides == {"flags.max_parse_retries": 1, "flags.use_html": False, "chat_model_args.temperature": 0.5}
    fields = plan.args["fields"]  # the resolved config, as summaries record it
    assert fields["flags"]["use_html"] is False and fields["chat_model_args"]["temperature"] == 0.5
    assert fields["flags"]["max_parse_retries"] == 1
    assert len({study.config_hash("miniwob", name) for name in VARIANTS}) == 4
    assert len(study.summary_paths()) == 5 * 2 * 2
    path = "results/sweep/miniwob/local-temperature=0-use_html=true/click-test/seed1/summary.json"
    assert path in study.summary_paths()
    spec = study.spec("miniwob", VARIANTS[2], "click-test", 0)
    assert spec.agent_overrides == plan.overrides | {"flags.use_html": True}
    assert study.agents["replay"].swept == {} and study.agents["replay"].sweep_of is None


def test_manifest_names_the_swept_values():
    manifest = load_study(copy.deepcopy(GOOD)).manifest()
    entry = manifest["agents"]["local-temperature=0.5-use_html=true"]
    assert entry["sweep_of"] == "local"
    assert entry["swept"] == {"flags.use_html": True, "chat_model_args.temperature": 0.5}
    assert "swept" not in manifest["agents"]["replay"]
    assert manifest["n_episodes"] == 4 * 5


def test_names_are_stable_and_readable():
    reordered = with_sweep(dict(reversed(SWEEP.items())), {"flags.max_parse_retries": 1})
    assert list(load_study(reordered).agents) == list(load_study(copy.deepcopy(GOOD)).agents)
    study = load_study(
        with_sweep(
            {
                "chat_model_args.model_name": ["Qwen/Qwen2.5 0.5B"],
                "flags.extra_instructions": ["", "Be brief!"],
                "flags.use_tabs": [None],
            }
        )
    )
    assert [n for n in study.agents if n.startswith("local")] == [
        "local-extra_instructions=_-model_name=Qwen_Qwen2.5_0.5B-use_tabs=null",
        "local-extra_instructions=Be_brief-model_name=Qwen_Qwen2.5_0.5B-use_tabs=null",
    ]


def test_keys_are_named_by_their_last_part_unless_two_share_it():
    assert key_labels(["flags.max_parse_retries", "chat_model_args.max_retries"]) == {
        "flags.max_parse_retries": "max_parse_retries",
        "chat_model_args.max_retries": "max_retries",
    }
    assert key_labels(["a.x", "b.x", "c.y"]) == {"a.x": "a.x", "b.x": "b.x", "c.y": "y"}
    study = load_study(with_sweep({"flags.max_parse_retries": [1, 2], "chat_model_args.max_retries": [0]}))
    assert [name for name in study.agents if name.startswith("local")] == [
        "local-max_parse_retries=1-max_retries=0",
        "local-max_parse_retries=2-max_retries=0",
    ]


@pytest.mark.parametrize(
    "value, label",
    [
        (True, "true"),
        (0, "0"),
        (0.5, "0.5"),
        (1e-5, "1e-05"),
        (None, "null"),
        ("gpt-4o", "gpt-4o"),
        ("a/b c", "a_b_c"),
        ([1, 2], "1_2"),
        ("/", "_"),
    ],
)
def test_value_labels(value, label):
    assert value_label(value) == label


@pytest.mark.parametrize(
    "sweep, overrides, expected",
    [
        ({"flags.use_html": []}, None, "agents.local.sweep.flags.use_html: [] should be non-empty"),
        ({"flags.use_html": True}, None, "agents.local.sweep.flags.use_html: True is not of type 'array'"),
        ({"flags.use_html": [True, True]}, None, "[True, True] has non-unique elements"),
        ({}, None, "agents.local.sweep: {} should be non-empty"),
        ({"flags/use_html": [True]}, None, "'flags/use_html' does not match"),
        (
            {"flags.use_html": [True]},
            {"flags.use_html": False},
            "agents.local.sweep: 'flags.use_html' is also set by overrides ('flags.use_html')",
        ),
        ({"flags.use_html": [True]}, {"flags": {}}, "'flags.use_html' is also set by overrides ('flags')"),
        ({"flags": [{}], "flags.use_html": [True]}, None, "'flags' and 'flags.use_html' set the same field"),
        (
            {"flags.extra_instructions": ["a/b", "a b"]},
            None,
            "agents.local.sweep: the agent name 'local-extra_instructions=a_b' is given twice "
            '(agents.local with {"flags.extra_instructions": "a/b"} and agents.local with '
            '{"flags.extra_instructions": "a b"})',
        ),
        (
            {"flags.use_htm": [True]},
            None,
            "config error at agents.local (sweep variant local-use_htm=true): agent config ",
        ),
    ],
)
def test_bad_sweep_is_one_line_naming_the_value(sweep, overrides, expected):
    with pytest.raises(ConfigError) as error:
        load_study(with_sweep(sweep, overrides))
    message = str(error.value)
    assert expected in message
    assert "\n" not in message


@pytest.mark.slow
def test_check_lists_the_variants(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(GOOD, sort_keys=False))
    process = subprocess.run(
        [str(BIN / "agentlab"), "check", str(path)], capture_output=True, text=True, env=tool_env(), check=True
    )
    lines = process.stdout.splitlines()
    assert lines[0] == "study 'sweep': 20 episodes (1 benchmarks, 5 agents)"
    assert lines[1] == (
        "  local-temperature=0-use_html=true  (sweep of local: chat_model_args.temperature=0, flags.use_html=true)"
    )
    assert lines[5] == "  replay"


@pytest.mark.slow
def test_a_real_sweep_runs_with_snakemake(tmp_path):
    """2 x 2 variants of the web agent on 3 MiniWoB++ tasks: real Snakemake, real Chromium, a real
    OpenAI-compatible server answering from a script (what a sweep does is plumbing; the real local
    model runs end to end in tests/test_local_llm.py); each variant's summaries carry its swept values."""
    import json
    import time

    import pandas as pd
    from conftest import run_snakemake
    from llm_server import ScriptedLLMServer

    with ScriptedLLMServer(then="<think>Wait.</think>\n<action>noop()</action>") as server:
        config = {
            "study": "sweep",
            "benchmarks": {
                "miniwob": {"tasks": ["click-test", "click-button", "focus-text"], "seeds": [0], "max_steps": 1}
            },
            "agents": {
                "local": {
                    "config": "agentlab.agents.web_agent.WEB_AGENT_4o",
                    "sweep": SWEEP,
                    "overrides": {
                        "flags.max_parse_retries": 0,
                        "chat_model_args.base_url": server.base_url,
                        "chat_model_args.api_key_env": None,
                        "chat_model_args.model_name": "scripted-model",
                    },
                }
            },
        }
        started = time.time()
        run_snakemake(tmp_path, config)
    print(f"12 episodes of a scripted model in {time.time() - started:.0f} s")
    # every variant's temperature reached the model: 3 episodes of 1 step at each of 2 x 2 variants
    assert sorted(body["temperature"] for body in server.requests) == [0] * 6 + [0.5] * 6
    study = tmp_path / "results" / "sweep"
    summaries = [json.loads(path.read_text()) for path in sorted(study.glob("miniwob/*/*/seed0/summary.json"))]
    assert len(summaries) == 12 and {s["agent"] for s in summaries} == set(VARIANTS)
    for summary in summaries:
        swept = json.loads(json.dumps(load_study(copy.deepcopy(config)).agents[summary["agent"]].swept))
        assert {k: summary["spec"]["agent_overrides"][k] for k in swept} == swept
        fields = summary["agent_args"]["fields"]
        assert fields["flags"]["use_html"] == swept["flags.use_html"]
        assert fields["chat_model_args"]["temperature"] == swept["chat_model_args.temperature"]
        assert summary["n_steps"] <= 1 and summary["agent_stats"]["n_llm_calls"] >= 1
    manifest = json.loads((study / "study.json").read_text())
    assert {name: entry["swept"] for name, entry in manifest["agents"].items()} == {
        name: load_study(copy.deepcopy(config)).agents[name].swept for name in VARIANTS
    }
    table = pd.read_csv(study / "summary.csv")
    assert sorted(table["agent"]) == sorted(VARIANTS) and set(table["n_scored"] + table["n_infra_error"]) == {3}
    # the report's agents page shows exactly the two swept arguments as what differs between agents
    agents_page = (study / "report" / "agents.html").read_text()
    variables = agents_page.split('<section id="variables">')[1].split("</section>")[0]
    assert re.findall(r"<th><code>([^<]+)</code></th>", variables) == ["chat_model_args.temperature", "flags.use_html"]
    print((study / "summary.md").read_text())
