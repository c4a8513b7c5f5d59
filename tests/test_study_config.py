"""Study configs: the default one loads; every bad one fails with one line naming the bad value."""

import copy
import json
import re
import subprocess

import pytest
import yaml
from conftest import BIN, REPO, replay_agent, run_snakemake, tool_env

from agentlab.benchmarks import BENCHMARK_MODULES
from agentlab.core.budget import Budget
from agentlab.core.errors import ConfigError
from agentlab.study.config import load_study

GOOD = {
    "study": "s1",
    "benchmarks": {"miniwob": {"tasks": ["click-*"], "seeds": [0, 1]}},
    "agents": {"replay": replay_agent()},
}


def with_change(path: str, value):
    """GOOD with the value at dotted `path` replaced (None deletes it)."""
    config = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node[key]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return config


def test_default_config_expands_into_episodes():
    study = load_study(yaml.safe_load((REPO / "config" / "config.yaml").read_text()))
    keys = list(study.episode_keys())
    assert len(keys) == 5 * 3 * 2  # tasks x seeds x agents
    assert "results/default/miniwob/replay/click-test/seed0/summary.json" in study.summary_paths()
    assert "results/default/miniwob/local-llm/click-link/seed2/summary.json" in study.summary_paths()
    assert study.local_llm_server() is not None and study.llm_slots("local-llm") == 1
    # what the workflow passes (made cheaply, once per episode) is the spec's own JSON, byte for byte:
    # a different text would rerun every finished episode (params are a rerun trigger)
    assert [study.spec_json(*key) for key in keys] == [study.spec(*key).to_json() for key in keys]
    assert study.summary_paths() == [study.summary_path(*key) for key in keys]


def test_schema_defaults_are_filled():
    study = load_study(copy.deepcopy(GOOD))
    assert study.retries == 2 and study.step_timeout_s == 300
    assert study.benchmarks["miniwob"].max_steps == 10  # MiniWoB's default
    assert study.benchmarks["miniwob"].pre_observation_delay == 0.5
    assert len(study.benchmarks["miniwob"].tasks) > 20  # 'click-*'
    assert study.budget.prices == {}


def test_the_study_configs_prices_travel_with_its_budget_to_the_episodes():
    """`prices:` rides in the Budget that `agentlab episode --budget` and both kinds of worker receive."""
    prices = {"my-model": {"input_per_million": 0.5, "output_per_million": 1.5}}
    study = load_study(with_change("prices", prices))
    assert study.budget.prices == prices and Budget.from_json(study.budget.to_json()) == study.budget


def test_schema_names_every_built_in_benchmark():
    """A study author reads the schema's list of benchmark names; a benchmark added later is named there too."""
    schema = yaml.safe_load((REPO / "agentlab" / "schema.yaml").read_text())
    described = schema["properties"]["benchmarks"]["description"]
    assert [name for name in BENCHMARK_MODULES if name not in re.findall(r"\w+", described)] == []


@pytest.mark.parametrize(
    "path, value, expected",
    [
        (
            "benchmarks.miniwobb",
            {"tasks": "all", "seeds": [0]},
            "unknown benchmark 'miniwobb'; allowed: assistantbench, knows, miniwob, timewarp, visualwebarena",
        ),
        ("benchmarks.miniwob.tasks", ["click-tset"], "task 'click-tset' matches no miniwob task"),
        ("benchmarks.miniwob.seeds", [-1], "benchmarks.miniwob.seeds.0: -1 is less than the minimum of 0"),
        ("benchmarks.miniwob.seeds", ["a"], "benchmarks.miniwob.seeds.0: 'a' is not of type 'integer'"),
        ("benchmarks.miniwob.seeds", [], "benchmarks.miniwob.seeds: [] should be non-empty"),
        ("benchmarks.miniwob.max_steps", 0, "benchmarks.miniwob.max_steps: 0 is less than the minimum of 1"),
        ("benchmarks.miniwob.max_step", 5, "'max_step' was unexpected); allowed: tasks, seeds, max_steps"),
        ("agents.replay.config", "agentlab.agents.nope.AGENT", "module 'agentlab.agents.nope' not found"),
        ("agents.replay.config", "agentlab.agents.replay.NOPE", "has no 'NOPE'; allowed: REPLAY"),
        ("agents.replay.config", "not a path", "agents.replay.config: 'not a path' does not match"),
        ("agents.replay.overrides", {"tracee": "x"}, "has no field 'tracee'; allowed: trace"),
        ("agents.bad/name", replay_agent(), "'bad/name' does not match"),
        ("study", "", "study: '' does not match"),
        ("episode", {"retries": -1}, "episode.retries: -1 is less than the minimum of 0"),
        ("agents", None, "'agents' is a required property"),
        ("prices", {"m": {"input_per_million": -1, "output_per_million": 2}}, "prices.m.input_per_million: -1 is less"),
        ("prices", {"m": {"input_per_million": 1}}, "prices.m: 'output_per_million' is a required property"),
        ("prices", {"m": {"input_per_million": 1, "output_per_million": "2"}}, "'2' is not of type 'number'"),
        (
            "prices",
            {"m": {"input": 1, "output_per_million": 2}},
            "allowed: input_per_million, output_per_million, cached_input_per_million",
        ),
    ],
)
def test_bad_config_is_one_line_naming_the_value(path, value, expected):
    """Each bad value is named in one line, with what is allowed."""
    with pytest.raises(ConfigError) as error:
        load_study(with_change(path, value))
    message = str(error.value)
    assert expected in message
    assert "\n" not in message


@pytest.mark.slow
def test_snakemake_refuses_a_bad_config_before_any_episode(tmp_path):
    config = with_change("benchmarks.miniwob.tasks", ["click-tset"])
    process = run_snakemake(tmp_path, config, check=False)
    assert process.returncode != 0
    assert "task 'click-tset' matches no miniwob task" in process.stderr + process.stdout
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_manifest_job_writes_a_study_too_large_for_a_shell_argument(tmp_path):
    study = {
        "study": "big",
        "benchmarks": {"weblinx": {"tasks": {"split": "train"}}},
        "agents": {"replay": replay_agent()},
    }
    out = tmp_path / "study.json"
    subprocess.run(
        [str(BIN / "agentlab"), "manifest", "--out", str(out), "--study", json.dumps(study)], check=True, env=tool_env()
    )
    manifest = json.loads(out.read_text())
    assert len(manifest["benchmarks"]["weblinx"]["tasks"]) == 26410 and manifest["n_episodes"] == 26410
    assert len(json.dumps(manifest)) > 128 * 1024  # more than Linux lets one argument of `bash -c` hold


def test_run_limit_defaults_are_the_schemas():
    """`agentlab episode` run by hand behaves as an episode of a study that sets nothing."""
    from agentlab.episode.spec import RunLimits
    from agentlab.study.config import SCHEMA_PATH

    episode = yaml.safe_load(SCHEMA_PATH.read_text())["properties"]["episode"]["properties"]
    limits = RunLimits()
    assert (limits.step_timeout_s, limits.episode_timeout_s) == (
        episode["step_timeout_s"]["default"],
        episode["episode_timeout_s"]["default"],
    )
    assert ("warm" if limits.warm else "cold") == episode["workers"]["default"]
