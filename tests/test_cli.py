"""Every subcommand refuses bad input the same way: exit code 2, one line naming the bad value, no traceback."""

import subprocess

import pytest
from conftest import BIN, tool_env

BAD_ARGUMENTS = [
    (["episode", "--spec", "{not json", "--out", "x"], "the episode spec is not JSON"),
    (["episode", "--spec", '{"study": "s", "colour": 1}', "--out", "x"], "the episode spec has unknown fields colour"),
    (["episode", "--spec", "{}", "--out", "x", "--workers", "lukewarm"], "invalid choice: 'lukewarm'"),
    (["manifest", "--out", "m.json", "--study", "[1]"], "--study is not a JSON object"),
    (
        ["manifest", "--out", "m.json", "--study", '{"study": "s"}'],
        "config error at top level: 'benchmarks' is a required",
    ),
    (["aggregate", "results/nosuch"], "study folder 'results/nosuch' does not exist"),
    (["report", "results/nosuch"], "study folder 'results/nosuch' does not exist"),
    (["status", "results/nosuch"], "study folder 'results/nosuch' does not exist"),
    (["relaunch", "results/nosuch", "--mode", "server_errors"], "study folder 'results/nosuch' does not exist"),
    (["relaunch", "results", "--mode", "everything"], "invalid choice: 'everything'"),
    (["preflight", "nosuch"], "unknown benchmark 'nosuch'; allowed: "),
    (["reset", "miniwob", "--out", "r.json"], "benchmark miniwob has no instance to reset"),
    (["reset", "nosuch", "--out", "r.json"], "unknown benchmark 'nosuch'"),
    (["check", "missing.yaml"], "study config 'missing.yaml': No such file or directory"),
    (["check", "broken.yaml"], "study config 'broken.yaml' is not YAML"),
    (["debug", "missing.yaml"], "study config 'missing.yaml': No such file or directory"),
    (["launch", "--agent_config", "agentlab.agents.replay.NOPE"], "has no 'NOPE'"),
    (["launch", "--relaunch_mode", "sometimes"], "invalid choice: 'sometimes'"),
    (["llm-server", "status", "--settings", '{"threads": 2, "gpu": true}'], "has unknown fields gpu"),
    (["bridge", "uninstall"], "invalid choice: 'uninstall'"),
    (["cube", "uninstall"], "invalid choice: 'uninstall'"),
    (["no-such-command"], "invalid choice: 'no-such-command'"),
]


@pytest.mark.slow
@pytest.mark.parametrize("arguments, message", BAD_ARGUMENTS, ids=[" ".join(a[:2]) for a, _ in BAD_ARGUMENTS])
def test_bad_arguments_get_one_line_and_exit_code_2(tmp_path, arguments, message):
    (tmp_path / "broken.yaml").write_text("study: [unclosed\n")
    process = subprocess.run(
        [str(BIN / "agentlab"), *arguments], cwd=tmp_path, capture_output=True, text=True, env=tool_env()
    )
    assert process.returncode == 2, process.stderr
    assert message in process.stderr and process.stderr.count("\n") == 1, process.stderr
    assert "Traceback" not in process.stderr and process.stdout == ""
