"""Input from someone else: study configs, results folders, action strings and URLs that try to reach
outside what they describe, exhaust memory or time, or break a shell command. Each is refused in one
line (configs) or listed as damaged (results folders), never followed. One section per kind; a new
reader or parser adds its cases here."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import BIN, REPO, chromium, run_snakemake, tool_env
from llm_server import Fail, ScriptedLLMServer
from synthetic import write_episode, write_manifest

from agentlab.analyze import load_results
from agentlab.analyze.aggregate import aggregate_study
from agentlab.browser.actions import ActionParseError, ActionSetArgs, SafeActionMapping
from agentlab.browser.navigation import NavigationPolicy
from agentlab.core.errors import ConfigError
from agentlab.report import build_report
from agentlab.study.config import load_study
from agentlab.study.status import count_statuses

# --- study configs -----------------------------------------------------------------------------------

REPLAY = {"config": "agentlab.agents.replay.REPLAY"}


def config_with(study="s", benchmark="miniwob", agent="replay", agent_entry=None, tasks=("click-test",)) -> dict:
    return {
        "study": study,
        "benchmarks": {benchmark: {"tasks": list(tasks)}},
        "agents": {agent: agent_entry or REPLAY},
    }


def check(tmp_path: Path, config_text: str, memory_bytes: int = 2**30) -> tuple[int, list[str], float]:
    """`agentlab check` of a config file (run as users run it, with at most `memory_bytes` of memory):
    its exit code, its stderr lines and its seconds."""
    import resource

    path = tmp_path / "study.yaml"
    path.write_text(config_text)

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    started = time.monotonic()
    process = subprocess.run(
        [str(BIN / "agentlab"), "check", str(path)],
        capture_output=True,
        text=True,
        env=tool_env(),
        timeout=120,
        preexec_fn=limit_memory,
    )
    return process.returncode, process.stderr.splitlines(), time.monotonic() - started


BAD_NAMES = {  # (where, name): the refusal's words
    "benchmark ..": (config_with(benchmark=".."), "benchmarks: '..' does not match"),
    "benchmark .": (config_with(benchmark="."), "benchmarks: '.' does not match"),
    "benchmark x:y": (config_with(benchmark="x:y"), "benchmarks: 'x:y' does not match"),
    "benchmark a/b": (config_with(benchmark="a/b"), "benchmarks: 'a/b' does not match"),
    "benchmark a;b": (config_with(benchmark="a;b"), "benchmarks: 'a;b' does not match"),
    "benchmark non-ASCII": (config_with(benchmark="miniwöb"), "benchmarks: 'miniwöb' does not match"),
    "study ending in a newline": (config_with(study="s\n"), "study: 's\\n' does not match"),
    "agent ending in a newline": (config_with(agent="replay\n"), "agents: 'replay\\n' does not match"),
    "benchmark ending in a newline": (config_with(benchmark="miniwob\n"), "benchmarks: 'miniwob\\n' does not"),
    "agent config ending in a newline": (
        config_with(agent_entry={"config": "agentlab.agents.replay.REPLAY\n"}),
        "agents.replay.config: 'agentlab.agents.replay.REPLAY\\n' does not match",
    ),
    "study of 300 characters": (config_with(study="s" * 300), "study: 'sss"),
    "agent of 300 characters": (config_with(agent="a" * 300), "has 300 characters; allowed: at most 100"),
    "benchmark of 300 characters": (config_with(benchmark="b" * 300), "has 300 characters; allowed: at most 100"),
    "override through a string": (
        config_with(agent_entry={**REPLAY, "overrides": {"trace.__class__": 1}}),
        "field 'trace' is a str, which has no field '__class__'",
    ),
    "override key ending in a newline": (
        config_with(agent_entry={**REPLAY, "overrides": {"trace\n": "x"}}),
        "agents.replay.overrides: 'trace\\n' does not match",
    ),
}


@pytest.mark.parametrize("case", BAD_NAMES)
def test_bad_names_are_refused_in_one_line(case):
    config, words = BAD_NAMES[case]
    with pytest.raises(ConfigError) as refused:
        load_study(config)
    assert words in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.slow
def test_agentlab_check_refuses_a_bad_benchmark_name_and_an_override_in_one_line(tmp_path):
    for config, words in (BAD_NAMES["benchmark .."], BAD_NAMES["override through a string"]):
        code, lines, _ = check(tmp_path, yaml.safe_dump(config))
        assert code != 0 and len(lines) == 1 and words in lines[0], lines


def test_a_sweep_whose_variant_names_are_too_long_for_a_folder_is_refused():
    entry = {**REPLAY, "sweep": {"trace": ["t" * 300, "u" * 300]}}
    with pytest.raises(ConfigError, match=r"config error at agents.replay.sweep: the variant name .* too long"):
        load_study(config_with(agent_entry=entry))


def test_every_wildcard_in_a_shell_command_is_quoted():
    """A name that reaches a shell command unquoted splits or runs there: every `{wildcards.x}` of the
    rules' shell commands carries `:q`."""
    commands = "".join(path.read_text() for path in (REPO / "rules").glob("*.smk"))
    assert "{wildcards." in commands
    assert re.findall(r"\{wildcards\.\w+\}", commands) == []


def alias_bomb(levels: int = 9) -> list[str]:
    """YAML anchors each listing the one before ten times: a few hundred bytes, 10**levels values."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]" for n in range(1, levels)]
    return lines


ALIAS_BOMBS = {
    "top level": "\n".join(alias_bomb()) + "\n" + yaml.safe_dump(config_with()),
    "task names": "anchors:\n"
    + "".join(f"  {line}\n" for line in alias_bomb())
    + "study: s\nbenchmarks: {miniwob: {tasks: *a8}}\nagents: {replay: {config: agentlab.agents.replay.REPLAY}}\n",
    "overrides": "anchors:\n"
    + "".join(f"  {line}\n" for line in alias_bomb())
    + "study: s\nbenchmarks: {miniwob: {tasks: [click-test]}}\n"
    + "agents: {replay: {config: agentlab.agents.replay.REPLAY, overrides: {trace: *a8}}}\n",
}


@pytest.mark.slow
@pytest.mark.parametrize("where", ALIAS_BOMBS)
def test_a_yaml_alias_bomb_is_refused_at_once_in_one_line(tmp_path, where):
    code, lines, seconds = check(tmp_path, ALIAS_BOMBS[where], memory_bytes=1536 * 2**20)
    assert code != 0 and len(lines) == 1 and "values once its YAML aliases are expanded" in lines[0], lines
    assert seconds < 30  # its import time on a busy machine; the bomb took minutes and GBs


def test_agentlab_launch_refuses_a_yaml_alias_bomb_in_one_line(tmp_path, capsys):
    from agentlab.cli.main import main

    (tmp_path / "bomb.yaml").write_text(ALIAS_BOMBS["task names"])
    assert main(["launch", "--exp_root", str(tmp_path / "runs"), "--exp_config", str(tmp_path / "bomb.yaml")]) == 2
    error = capsys.readouterr().err
    assert "values once its YAML aliases are expanded" in error and error.count("\n") == 1


def test_a_config_that_contains_itself_is_refused():
    config = config_with()
    config["benchmarks"]["miniwob"]["loop"] = config
    with pytest.raises(ConfigError, match="config error at benchmarks.miniwob.loop: contains itself"):
        load_study(config)


def test_aliases_that_repeat_a_little_still_load(tmp_path):
    text = "shared: &shared {config: agentlab.agents.replay.REPLAY}\n" + yaml.safe_dump(config_with())
    config = yaml.safe_load(text)
    del config["shared"]
    config["agents"] = {"a": yaml.safe_load(text)["shared"], "b": yaml.safe_load(text)["shared"]}
    assert set(load_study(config).agents) == {"a", "b"}


# --- results folders ---------------------------------------------------------------------------------

SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- not for the report"


@pytest.fixture
def outside_file(tmp_path) -> Path:
    """A readable file of the reader's outside the study (its ~/.ssh/id_rsa, say)."""
    path = tmp_path / "home" / "id_rsa"
    path.parent.mkdir()
    path.write_text(SECRET)
    return path


def one_episode_study(tmp_path: Path, steps: list[dict] | None = None) -> tuple[Path, Path]:
    """A study of one finished episode whose steps.jsonl holds `steps` as they are (no file written)."""
    study = write_manifest(tmp_path / "s", ["t1"], [0], ["a"])
    folder = write_episode(study, "a", "t1", 0, {"status": "success", "reward": 1.0})
    if steps is not None:
        (folder / "steps.jsonl").write_text("".join(json.dumps(step) + "\n" for step in steps))
    aggregate_study(study)  # the report builds from its outputs
    return study, folder


def trace_files(study: Path) -> tuple[str, dict]:
    """The trace page of the one episode, and its details data (step -> axtree, details)."""
    page = study / "report" / "episodes" / "miniwob" / "a" / "t1" / "seed0.html"
    data = page.with_name("seed0.details.js").read_text()
    return page.read_text(), json.loads(data[data.index("(") + 1 : data.rindex(")")])


@pytest.mark.parametrize("name", ["absolute", "relative"])
def test_a_step_naming_a_file_outside_its_folder_gets_nothing_of_it_into_the_report(tmp_path, outside_file, name):
    folder = tmp_path / "s" / "miniwob" / "a" / "t1" / "seed0"
    reference = str(outside_file) if name == "absolute" else os.path.relpath(outside_file, folder)
    steps = [{"step": 0, "action": "noop()", "axtree": "tree", "page_details": reference, "screenshot": reference}]
    study, _ = one_episode_study(tmp_path, steps)
    build_report(study)
    page, details = trace_files(study)
    assert details["0"]["details"] is None  # was the file, base64 of it
    assert "page_details refused" in page and "screenshot refused" in page
    assert "<img" not in page  # no link to it either
    assert outside_file.read_text() == SECRET
    assert not any(SECRET in path.read_text() for path in (study / "report").rglob("*.*") if path.is_file())


def test_a_step_file_that_is_a_link_out_of_the_folder_is_refused(tmp_path, outside_file):
    study, folder = one_episode_study(
        tmp_path, [{"step": 0, "action": "noop()", "page_details": "observations/step_000.json.gz"}]
    )
    (folder / "observations").mkdir()
    (folder / "observations" / "step_000.json.gz").symlink_to(outside_file)
    build_report(study)
    page, details = trace_files(study)
    assert details["0"]["details"] is None and "is a symbolic link" in page


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_a_summary_that_is_a_device_or_a_fifo_is_damaged_at_once(tmp_path, special):
    study, folder = one_episode_study(tmp_path)
    (folder / "summary.json").unlink()
    if special == "fifo":
        os.mkfifo(folder / "summary.json")
    else:
        (folder / "summary.json").symlink_to(special)
    started = time.monotonic()
    counted = {}
    reader = threading.Thread(target=lambda: counted.update(count_statuses(study)[("miniwob", "a")]), daemon=True)
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), "status hung on the summary"
    assert counted == {"damaged": 1}
    damaged = load_results(study).damaged
    assert list(damaged["reason"].str.contains("refused")) == [True]
    assert time.monotonic() - started < 10


def test_a_manifest_task_out_of_the_study_is_damaged_not_read(tmp_path):
    study = write_manifest(tmp_path / "deep" / "s", ["../../..", "t1"], [0], ["a"])
    write_episode(study, "a", "t1", 0, {"status": "success", "reward": 1.0})
    # the summary `../../..` names: tmp_path/deep/seed0/summary.json, outside the study
    write_episode(tmp_path / "deep" / "s", "a", "../../..", 0, {"status": "success", "reward": 1.0})
    assert (tmp_path / "deep" / "seed0" / "summary.json").exists()
    results = load_results(study)
    assert list(results.episodes["task"]) == ["t1"]
    assert list(results.damaged["task"]) == ["../../.."]
    assert "task name '../../..' cannot be a folder of the study" in results.damaged["reason"][0]
    assert dict(count_statuses(study)[("miniwob", "a")]) == {"success": 1, "damaged": 1}


def test_relaunch_of_damaged_episodes_moves_nothing_a_manifest_names_outside_the_study(tmp_path):
    from agentlab.study.relaunch import select_episodes

    study = write_manifest(tmp_path / "deep" / "s", ["../../..", "t1"], [0], ["a"])
    (write_episode(study, "a", "t1", 0, {"status": "success"}) / "summary.json").write_text("{")
    outside = write_episode(tmp_path / "deep" / "s", "a", "../../..", 0, {"status": "success"})
    assert [key.task for key in select_episodes(study, "damaged")] == ["t1"]
    assert outside.is_dir()


def test_a_summary_in_an_episode_folder_that_links_out_of_the_study_is_damaged(tmp_path):
    study = write_manifest(tmp_path / "s", ["t1"], [0], ["a"])
    elsewhere = write_episode(tmp_path / "elsewhere", "a", "t1", 0, {"status": "success", "reward": 1.0})
    (study / "miniwob" / "a" / "t1").mkdir(parents=True)
    (study / "miniwob" / "a" / "t1" / "seed0").symlink_to(elsewhere)
    results = load_results(study)
    assert results.episodes.empty and "outside its folder" in results.damaged["reason"][0]


def test_read_inside_caps_what_it_reads(tmp_path):
    from agentlab.core.files import RefusedFile, read_inside

    (tmp_path / "big").write_bytes(b"x" * 1001)
    assert read_inside(tmp_path, "big", 1001) == b"x" * 1001
    with pytest.raises(RefusedFile, match="1001 bytes, more than 1000"):
        read_inside(tmp_path, "big", 1000)
    with pytest.raises(FileNotFoundError):
        read_inside(tmp_path, "none", 1000)


# --- URLs and action strings -------------------------------------------------------------------------

ESCAPES = [  # after the allowed folder: each reaches the file beside it in Chromium
    "../secret.html",
    "%2e%2e/secret.html",
    "%2E%2e/secret.html",
    ".%2e/secret.html",
    "%2e./secret.html",
    "..\\secret.html",
    "%2e%2e\\secret.html",
    "sub\\..\\..\\secret.html",
    ".\t./secret.html",
    "file.html/../../secret.html",
]  # ('..%2f' is no escape: Chromium refuses a file URL with an encoded '/')


@pytest.fixture
def pages(tmp_path) -> tuple[NavigationPolicy, str]:
    """A benchmark's folder of pages (its policy, its prefix) and a secret page beside it."""
    (tmp_path / "allowed" / "sub").mkdir(parents=True)
    (tmp_path / "allowed" / "page.html").write_text("<title>page</title>")
    (tmp_path / "secret.html").write_text("<title>secret</title>")
    prefix = (tmp_path / "allowed").as_uri() + "/"
    return NavigationPolicy(allowed_prefixes=(prefix,)), prefix


@pytest.mark.parametrize("escape", ESCAPES)
def test_urls_that_leave_the_benchmark_folder_are_refused(pages, escape):
    policy, prefix = pages
    assert not policy.allows(prefix + escape)
    mapping = SafeActionMapping(ActionSetArgs(("bid", "nav")).make(), policy)
    with pytest.raises(ActionParseError, match="refused"):
        mapping(f"goto({prefix + escape!r})")
    assert policy.allows(prefix + "page.html") and policy.allows(prefix + "sub/../page.html")


@pytest.mark.slow
def test_chromium_reaches_the_secret_by_every_refused_url(pages):
    """The refused URLs are real escapes: Chromium, unguarded, opens the page outside the folder by each."""
    policy, prefix = pages
    with chromium() as browser:
        page = browser.new_page()
        reached = []
        for escape in ESCAPES:
            page.goto(prefix + escape)
            reached.append(page.title() == "secret")
    assert all(reached), dict(zip(ESCAPES, reached))


# --- servers -----------------------------------------------------------------------------------------

KEY = "sk-test-0123456789abcdefSECRET"


@pytest.mark.slow
def test_a_key_echoed_by_the_llm_server_is_recorded_nowhere(tmp_path, monkeypatch):
    """A real study whose WebAgent's server answers 401 repeating the key it was sent: the summary,
    episode log, steps, tables and report carry the variable's name, never its value."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with ScriptedLLMServer(then=Fail(401, echo_key=True)) as server:
        agent = {
            "config": "agentlab.agents.web_agent.WEB_AGENT_4o",
            "overrides": {"chat_model_args.base_url": server.base_url, "chat_model_args.model_name": "m"},
        }
        config = {
            "study": "keys",
            "benchmarks": {"miniwob": {"tasks": ["click-test"], "seeds": [0], "max_steps": 2}},
            "agents": {"web": agent},
            "episode": {"retries": 0, "step_timeout_s": 120, "episode_timeout_s": 300},
        }
        run_snakemake(tmp_path, config)
    assert server.authorizations and all(KEY in header for header in server.authorizations)  # it was sent
    study = tmp_path / "results" / "keys"
    summary = json.loads((study / "miniwob" / "web" / "click-test" / "seed0" / "summary.json").read_text())
    assert "Incorrect API key provided: Bearer [$OPENAI_API_KEY]" in summary["error"]["message"]
    written = [path for path in study.rglob("*") if path.is_file() and path.suffix not in (".png", ".gz")]
    assert {"summary.json", "episode.log", "errors.csv", "episodes.csv", "index.html"} <= {p.name for p in written}
    assert [path for path in written if KEY in path.read_text(errors="replace")] == []
    logs = [path for path in (tmp_path / ".snakemake" / "log").glob("*.log")]
    assert logs and not any(KEY in path.read_text(errors="replace") for path in logs)


def test_masking_covers_the_variables_an_agent_declares():
    from agentlab.agents.registry import agent_args_to_dict, load_agent_args
    from agentlab.core.masking import declared_key_names, key_values, mask_keys

    args = load_agent_args("agentlab.agents.web_agent.WEB_AGENT_4o", {"chat_model_args.api_key_env": "LLM_ACCESS"})
    names = declared_key_names(agent_args_to_dict(args))
    assert "LLM_ACCESS" in names
    keys = key_values(names, {"LLM_ACCESS": "abcdefgh123", "OTHER": "abcdefgh999", "HF_TOKEN": "hf_12345678"})
    assert mask_keys("a abcdefgh123 b abcdefgh999 c hf_12345678", keys) == (
        "a [$LLM_ACCESS] b abcdefgh999 c [$HF_TOKEN]"
    )
