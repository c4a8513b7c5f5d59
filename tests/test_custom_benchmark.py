"""Benchmarks users bring, named by Python path: checked with one-line errors, and run for real.

tests/fixtures/mytasks is such a benchmark: three BrowserGym tasks (a form, a list to filter, a
multi-page flow) on pages that a real HTTP server on 127.0.0.1 serves; rewards are read from the
pages' state in real Chromium, and the study runs through the real Snakemake workflow.
"""

import functools
import http.server
import json
import os
import subprocess
import textwrap
import threading

import pandas as pd
import pytest
import yaml
from conftest import BIN, REPO, replay_agent, run_snakemake, tool_env
from llm_server import ScriptedLLMServer

from agentlab.benchmarks import CustomBenchmarkError, UnknownBenchmarkError, get_benchmark
from agentlab.benchmarks.preflight import PreflightError, run_preflight
from agentlab.core.errors import ConfigError
from agentlab.study.config import load_study

FIXTURES = REPO / "tests" / "fixtures"
MYTASKS = "mytasks.tasks:BENCHMARK"
TRACES = str(FIXTURES / "mytasks" / "traces" / "{task}" / "seed{seed}.jsonl")

# Modules that are wrong in each way `agentlab check` must name in one line.
BAD_MODULES = {
    "bad_type.py": "BENCHMARK = ['a list of tasks']\n",
    "bad_task.py": """
        from agentlab.benchmarks import CustomBenchmarkArgs
        BENCHMARK = CustomBenchmarkArgs(tasks=["browsergym/nowhere.task"])
    """,
    "bad_class.py": """
        from agentlab.benchmarks import CustomBenchmarkArgs
        BENCHMARK = CustomBenchmarkArgs(tasks=[dict])
    """,
    "no_task_id.py": """
        from browsergym.core.task import AbstractBrowserTask
        from agentlab.benchmarks import CustomBenchmarkArgs

        class Unnamed(AbstractBrowserTask):
            def setup(self, page): return "", {}
            def validate(self, page, chat_messages): return 0.0, True, "", {}

        BENCHMARK = CustomBenchmarkArgs(tasks=[Unnamed])
    """,
    "registered.py": """
        from browsergym.core.registration import register_task
        from agentlab.benchmarks import CustomBenchmarkArgs
        from mytasks.tasks import OrderPlan

        register_task("registered.order", OrderPlan)
        BENCHMARK = CustomBenchmarkArgs(tasks=["browsergym/registered.order"], seeds=(3,), max_steps=4)
    """,
}

ERRORS = [
    ("nosuchpkg.tasks:BENCHMARK", "benchmark module 'nosuchpkg.tasks:BENCHMARK': module 'nosuchpkg' not found"),
    ("mytasks.tasks:NOPE", "mytasks.tasks has no 'NOPE'; allowed: BENCHMARK"),
    (
        "bad_type:BENCHMARK",
        "benchmark module 'bad_type:BENCHMARK' is a list; allowed: an agentlab.benchmarks.CustomBenchmarkArgs",
    ),
    ("bad_task:BENCHMARK", "task 'browsergym/nowhere.task' is not a registered gym id"),
    ("bad_class:BENCHMARK", "task <class 'dict'> is a type; allowed: an AbstractBrowserTask subclass"),
    ("no_task_id:BENCHMARK", "task class Unnamed does not define get_task_id()"),
]


@pytest.fixture
def user_modules(tmp_path, monkeypatch):
    """The fixture benchmark and BAD_MODULES importable here and in the processes tests start."""
    modules = tmp_path / "modules"
    modules.mkdir()
    for filename, text in BAD_MODULES.items():
        (modules / filename).write_text(textwrap.dedent(text))
    paths = [str(FIXTURES), str(modules)]
    for path in paths:
        monkeypatch.syspath_prepend(path)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")]))
    return modules


@pytest.fixture
def pages_server(monkeypatch):
    """A real HTTP server on 127.0.0.1 serving the fixture benchmark's pages; its URL in MYTASKS_URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(FIXTURES / "mytasks" / "pages"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/"
    monkeypatch.setenv("MYTASKS_URL", url)
    yield url
    server.shutdown()
    server.server_close()


def study_config(name="shop", module=MYTASKS, agents=None, **settings):
    return {
        "study": "mine",
        "benchmarks": {name: {"module": module, "tasks": "all", **settings}},
        "agents": agents or {"replay": replay_agent(TRACES)},
    }


def test_a_custom_benchmark_is_planned_from_its_task_classes(user_modules):
    study = load_study(study_config())
    plan = study.benchmarks["shop"]
    assert plan.tasks == ("sign-up-form", "filter-list", "order-plan") and plan.seeds == (0, 1)
    assert plan.max_steps == 8 and plan.module == MYTASKS
    assert study.manifest()["benchmarks"]["shop"]["module"] == MYTASKS
    spec = study.spec("shop", "replay", "order-plan", 1)
    assert spec.benchmark_module == MYTASKS
    benchmark = get_benchmark("shop", MYTASKS)
    assert benchmark.env_id("order-plan") == "browsergym/custom.shop.order-plan"
    assert benchmark.action_set.subsets == ("bid",)


def test_built_in_specs_are_unchanged_by_the_module_field(user_modules, tiny_study):
    spec = load_study(tiny_study).spec("miniwob", "replay", "click-test", 0)
    assert "benchmark_module" not in spec.to_json()  # finished MiniWoB episodes do not rerun


def test_registered_gym_ids_and_the_benchmarks_defaults(user_modules):
    study = load_study(study_config("reg", "registered:BENCHMARK"))
    plan = study.benchmarks["reg"]
    assert plan.episodes == (("registered.order", 3),) and plan.max_steps == 4
    assert get_benchmark("reg", "registered:BENCHMARK").env_id("registered.order") == "browsergym/registered.order"


@pytest.mark.slow
@pytest.mark.parametrize("module, message", ERRORS, ids=[module for module, _ in ERRORS])
def test_agentlab_check_names_a_bad_benchmark_module_in_one_line(user_modules, tmp_path, module, message):
    config_path = tmp_path / "study.yaml"
    config_path.write_text(yaml.safe_dump(study_config("bad", module)))
    process = subprocess.run(
        [str(BIN / "agentlab"), "check", str(config_path)], capture_output=True, text=True, env=tool_env()
    )
    assert process.returncode == 2, process.stderr
    assert "config error at benchmarks.bad: " in process.stderr and message in process.stderr, process.stderr
    assert process.stderr.count("\n") == 1, process.stderr


def test_bad_python_path_and_built_in_names_are_refused(user_modules):
    with pytest.raises(ConfigError, match=r"config error at benchmarks.shop.module: 'mytasks' does not match"):
        load_study(study_config(module="mytasks"))
    with pytest.raises(UnknownBenchmarkError, match="benchmark 'miniwob' is built in, it takes no module"):
        get_benchmark("miniwob", MYTASKS)
    with pytest.raises(CustomBenchmarkError, match="is not a Python path"):
        get_benchmark("x", "mytasks.tasks")


@pytest.mark.slow
def test_agentlab_check_counts_a_custom_benchmarks_episodes(user_modules, tmp_path):
    config_path = tmp_path / "study.yaml"
    config_path.write_text(yaml.safe_dump(study_config(tasks=["*-form", "order-plan"], seeds=[0, 1, 2])))
    process = subprocess.run(
        [str(BIN / "agentlab"), "check", str(config_path)], capture_output=True, text=True, env=tool_env(), check=True
    )
    assert process.stdout.splitlines() == ["study 'mine': 6 episodes (1 benchmarks, 1 agents)", "  replay"]


def test_the_preflight_names_what_the_tasks_need(user_modules, pages_server, monkeypatch):
    benchmark = get_benchmark("shop", MYTASKS)
    assert run_preflight(benchmark, list(benchmark.task_names))["n_tasks"] == 3  # the real server answers
    monkeypatch.delenv("MYTASKS_URL")
    with pytest.raises(PreflightError, match="^preflight shop failed: MYTASKS_URL not set"):
        run_preflight(benchmark, list(benchmark.task_names))
    monkeypatch.setenv("MYTASKS_URL", "http://127.0.0.1:9/")
    with pytest.raises(PreflightError, match=r"mytasks' pages \(http://127.0.0.1:9/form.html\) unreachable"):
        run_preflight(benchmark, list(benchmark.task_names))


@pytest.mark.slow
def test_a_study_of_the_custom_benchmark_runs_end_to_end(user_modules, pages_server, tmp_path):
    """Two replay agents, 3 tasks x 2 seeds: one replays each seed's solution, the other replays
    seed 0's everywhere, so it signs the wrong person up on seed 1 and the form scores 0 there."""
    agents = {"replay": replay_agent(TRACES), "seed0": replay_agent(TRACES.replace("{seed}", "0"))}
    run_snakemake(tmp_path, study_config(agents=agents))
    study = tmp_path / "results" / "mine"
    summary = pd.read_csv(study / "summary.csv").set_index("agent")
    assert summary.loc["replay", "n_scored"] == 6 and summary.loc["replay", "n_success"] == 6
    assert summary.loc["replay", "score"] == 1.0
    assert summary.loc["seed0", "n_success"] == 5 and summary.loc["seed0", "score"] == pytest.approx(5 / 6)
    episodes = pd.read_csv(study / "episodes.csv").set_index(["agent", "task", "seed"])
    assert episodes.loc[("seed0", "sign-up-form", 1), "status"] == "failure"
    assert episodes.loc[("replay", "order-plan", 1), "n_steps"] == 3
    assert (study / "logs" / "preflight" / "shop.log").read_text().startswith("preflight shop: ready for 3 tasks")


@pytest.mark.slow
def test_an_llm_agent_plays_the_custom_benchmark(user_modules, pages_server, tmp_path):
    """The LLM web agent on the user's pages: each episode ends scored (solved, not solved, or unusable
    answers), from prompts that showed it that task's page. Its model is a real OpenAI-compatible server
    answering from a script, as what reaches the model is the benchmark's part (the real local model
    plays a study end to end in tests/test_local_llm.py)."""
    with ScriptedLLMServer(then="<think>Wait.</think>\n<action>noop()</action>") as server:
        model = {"chat_model_args.base_url": server.base_url, "chat_model_args.api_key_env": None}
        overrides = model | {"flags.max_parse_retries": 0}
        agents = {"llm": {"config": "agentlab.agents.web_agent.WEB_AGENT_4o", "overrides": overrides}}
        run_snakemake(tmp_path, {**study_config(agents=agents, seeds=[0], max_steps=1), "episode": {"retries": 0}})
    assert len(server.requests) == 3  # one call a task
    study = tmp_path / "results" / "mine"
    assert pd.read_csv(study / "summary.csv").set_index("agent").loc["llm", "n_scored"] == 3
    episodes = pd.read_csv(study / "episodes.csv").set_index("task")
    pages = {"sign-up-form": ("Sign up ", "Sign up"), "filter-list": ("Filter the products", "Products")}
    pages["order-plan"] = ("Order the Pro plan.", "Plans")
    for task, (goal, title) in pages.items():
        episode = episodes.loc[task]
        assert episode["status"] in ("success", "failure", "agent_error"), episode["error_message"]
        first = json.loads((study / "shop" / "llm" / task / "seed0" / "steps.jsonl").read_text().splitlines()[0])
        prompt = "\n".join(str(message["content"]) for message in first["messages"] if message["role"] == "user")
        assert goal in prompt and f"RootWebArea '{title}'" in prompt  # the model was shown this task's page
        assert any(message["role"] == "assistant" and message["content"] for message in first["messages"])


@pytest.mark.slow
def test_a_study_without_the_pages_server_stops_in_preflight(user_modules, tmp_path, monkeypatch):
    monkeypatch.setenv("MYTASKS_URL", "http://127.0.0.1:9/")
    process = run_snakemake(tmp_path, study_config(), check=False)
    output = process.stdout + process.stderr
    assert process.returncode != 0
    lines = [line for line in output.splitlines() if line.startswith("agentlab: preflight shop failed: ")]
    assert len(lines) == 1 and "unreachable" in lines[0]
    assert not (tmp_path / "results" / "mine" / "shop").exists()
