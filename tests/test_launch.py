"""The launcher with the original AgentLab's flags, and the debug mode."""

import json
import subprocess

import pytest
import yaml
from conftest import BIN, REPLAY_TRACE, tool_env

from agentlab.agents.bridge import AgentLabEnvironment
from agentlab.cli.main import main

ORIGINAL_FLAGS = ["--agent_config", "agentlab.agents.replay.REPLAY", "--benchmark", "miniwob"]


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--agent_config", "agentlab.agents.replay.NOPE"], "has no 'NOPE'; allowed: REPLAY"),
        (ORIGINAL_FLAGS + ["--n_jobs", "0"], "--n_jobs 0 is not allowed; allowed: -1 (all cores)"),
        (ORIGINAL_FLAGS + ["--extra_kwargs", "{oops"], "--extra_kwargs '{oops' is not JSON"),
        (ORIGINAL_FLAGS + ["--extra_kwargs", '{"bogus": 1}'], "unexpected keyword argument 'bogus'"),
        (ORIGINAL_FLAGS + ["--extra_kwargs", '{"tasks": ["nope-*"]}'], "task 'nope-*' matches no miniwob task"),
        (["--benchmark", "workarena.l9"] + ORIGINAL_FLAGS[:2], "unknown benchmark 'workarena.l9'"),
        (ORIGINAL_FLAGS + ["--exp_config", "no.such.function"], "neither a YAML study file nor a Python path"),
    ],
)
def test_bad_original_flags_fail_in_one_line_before_anything_runs(tmp_path, capsys, flags, message):
    assert main(["launch", "--exp_root", str(tmp_path)] + flags) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_original_command_line_runs_the_workflow(tmp_path):
    extra = {"tasks": ["click-test"], "seeds": [0, 1], "max_steps": 3, "agent_overrides": {"trace": REPLAY_TRACE}}
    process = subprocess.run(
        [
            str(BIN / "agentlab"),
            "launch",
            "--exp_root",
            str(tmp_path),
            "--n_jobs",
            "-1",
            *ORIGINAL_FLAGS,
            "--extra_kwargs",
            json.dumps(extra),
        ],
        capture_output=True,
        text=True,
        env=tool_env(),
    )
    assert process.returncode == 0, process.stderr
    study = tmp_path / "results" / "replay-on-miniwob"
    assert "All 2 episodes done." in (study / "summary.md").read_text()
    assert yaml.safe_load((tmp_path / "replay-on-miniwob.yaml").read_text())["benchmarks"]["miniwob"]["seeds"] == [0, 1]


@pytest.mark.slow
def test_debug_mode_raises_the_error_with_its_traceback(tmp_path):
    config = {
        "study": "dbg",
        "benchmarks": {"miniwob": {"tasks": ["click-test"], "seeds": [0]}},
        "agents": {
            "replay": {
                "config": "agentlab.agents.replay.REPLAY",
                "overrides": {"trace": str(tmp_path / "missing-{task}.jsonl")},
            }
        },
    }
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(config))
    process = subprocess.run(
        [str(BIN / "agentlab"), "debug", "study.yaml", "--task", "click-test"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=tool_env(),
    )
    assert process.returncode == 1
    assert "Traceback (most recent call last)" in process.stderr
    assert "agentlab.core.errors.AgentError: no trace to replay for click-test seed 0" in process.stderr
    assert not (tmp_path / "results" / "dbg" / "miniwob" / "replay" / "click-test" / "seed0" / "summary.json").exists()


# The example command line of the original AgentLab's README (python src/agentlab/experiments/launch_exp.py ...),
# flag for flag; `agentlab launch` is its entry point here.
ORIGINAL_README_EXAMPLE = [
    "--exp_config=agentlab.agents.generic_agent.final_run",
    "--agent_config=agentlab.agents.generic_agent.AGENT_4o",
    "--benchmark=miniwob",
    "--n_jobs=-1",
]


@pytest.mark.slow
@pytest.mark.skipif(not AgentLabEnvironment.configured().installed(), reason="needs make bridge")
@pytest.mark.parametrize(
    "relaunch",
    [
        [],
        ["--relaunch_mode", "None"],
        ["--relaunch_mode", "incomplete_only"],
        ["--relaunch_mode", "all_errors"],
        ["--relaunch_mode", "server_errors"],
    ],
)
def test_the_original_readme_command_line_runs_verbatim(tmp_path, monkeypatch, relaunch):
    """AgentLab's GenericAgent with GPT-4o on all of MiniWoB, BrowserGym's 5 seeds per task: as a dry run."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-used-in-a-dry-run")
    process = subprocess.run(
        [
            str(BIN / "agentlab"),
            "launch",
            "--exp_root",
            str(tmp_path),
            *ORIGINAL_README_EXAMPLE,
            *relaunch,
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        env=tool_env(),
    )
    assert process.returncode == 0, process.stderr
    config = yaml.safe_load((tmp_path / "agent-4o-on-miniwob.yaml").read_text())
    assert config["agents"] == {"agent-4o": {"config": "agentlab.agents.generic_agent.AGENT_4o", "overrides": {}}}
    assert "seeds" not in config["benchmarks"]["miniwob"]  # BrowserGym's draw: 590 distinct of its 625
    jobs = dict(line.split() for line in process.stdout.splitlines() if line.startswith(("episode ", "total ")))
    assert jobs["episode"] == "590"
    assert not list(tmp_path.glob("results/*/miniwob/*/*/*/summary.json"))
