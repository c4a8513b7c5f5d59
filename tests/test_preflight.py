"""Preflights and instance resets against real local HTTP servers, and without any backend.

No ServiceNow instance, WebArena sites or internet here: a backend that answers is a real HTTP
server on 127.0.0.1; one that does not is a closed port (127.0.0.1:9) or an unset variable.
"""

import importlib.util
import json
import os
import subprocess
import sys

import pytest
from conftest import CLOSED
from helpers import Server

from agentlab.benchmarks import BENCHMARK_MODULES, get_benchmark
from agentlab.benchmarks.preflight import PreflightError, probe, run_preflight
from agentlab.core.errors import InfraError


@pytest.fixture
def server():
    servers = []

    def start(routes=None):
        servers.append(Server(routes))
        return servers[-1]

    yield start
    for running in servers:
        running.close()


def preflight_error(name: str, tasks=None) -> str:
    benchmark = get_benchmark(name)
    with pytest.raises(PreflightError) as error:
        run_preflight(benchmark, tasks if tasks is not None else benchmark.task_names)
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"preflight {name} failed: ")
    return message


def test_probe_tells_an_answering_server_from_a_closed_port(server, no_backend):
    site = server({"/down": (503, "maintenance")})
    assert probe("site", f"{site.url}/page") == (None, "ok")
    assert probe("site", f"{site.url}/down") == (None, "maintenance")  # it answered: reachable
    problem, _ = probe("site", CLOSED)
    assert problem.startswith(f"site ({CLOSED}) unreachable: ") and "refused" in problem
    assert "unreachable" in probe("site", "not a url")[0]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("workarena_l1", "no ServiceNow instance: set SNOW_INSTANCE_URL, SNOW_INSTANCE_UNAME, SNOW_INSTANCE_PWD"),
        ("workarena_l2", "no ServiceNow instance"),
        ("workarena_l3", "no ServiceNow instance"),
        (
            "webarena",
            "WA_SHOPPING, WA_SHOPPING_ADMIN, WA_REDDIT, WA_GITLAB, WA_WIKIPEDIA, WA_MAP, WA_HOMEPAGE, "
            "WA_FULL_RESET not set",
        ),
        ("webarena_lite", "WA_SHOPPING, WA_SHOPPING_ADMIN"),
        ("webarena_verified", "WA_FULL_RESET not set"),
        (
            "visualwebarena",
            "VWA_SHOPPING, VWA_REDDIT, VWA_WIKIPEDIA, VWA_CLASSIFIEDS, VWA_HOMEPAGE, VWA_CLASSIFIEDS_RESET_TOKEN, "
            "VWA_FULL_RESET not set",
        ),
        ("assistantbench", "the task start page (https://google.com) unreachable"),
        ("weblinx", "BROWSERGYM_WEBLINX_CACHE_DIR not set"),
        ("timewarp", "TW_WIKI, TW_WEBSHOP, TW_NEWS not set (the TimeWarp sites' URLs"),
        ("knows", "Google credentials for KNOWS' evaluators not set: SERVICE_ACCOUNT_PATH"),
    ],
)
def test_each_preflight_without_its_backend_fails_in_one_line(name, expected, no_backend):
    assert expected in preflight_error(name)


def test_every_benchmark_but_miniwob_has_a_preflight():
    assert [name for name in BENCHMARK_MODULES if get_benchmark(name).backend is None] == ["miniwob"]
    run_preflight(get_benchmark("miniwob"), ["click-test"])  # nothing to check: passes


def test_missing_package_is_named_with_its_extra(no_backend):
    benchmark = get_benchmark("webarena")
    if benchmark.missing_package() is None:
        pytest.skip("browsergym-webarena is installed here")
    assert "Python package browsergym.webarena not installed (pip install -e '.[webarena]')" in preflight_error(
        "webarena"
    )
    assert "needs Python >= 3.12" in get_benchmark("webarena_verified").missing_package()


def test_webarena_preflight_names_each_unreachable_site(monkeypatch, server, no_backend):
    site, reset_server = server(), server({"/status": (200, "Ready for duty!")})
    for name in ("SHOPPING", "SHOPPING_ADMIN", "REDDIT", "WIKIPEDIA", "MAP", "HOMEPAGE"):
        monkeypatch.setenv(f"WA_{name}", site.url)
    monkeypatch.setenv("WA_GITLAB", CLOSED)
    monkeypatch.setenv("WA_FULL_RESET", reset_server.url)
    problems = get_benchmark("webarena").backend.problems(["0"])
    assert [problem.split(" unreachable")[0] for problem in problems if "unreachable" in problem] == [
        f"WA_GITLAB ({CLOSED})"
    ]
    assert "/status" in reset_server.requests and site.requests  # every site was asked
    monkeypatch.setenv("WA_GITLAB", site.url)
    assert [p for p in get_benchmark("webarena").backend.problems(["0"]) if "unreachable" in p] == []


def test_reset_waits_for_the_reset_server_then_checks_the_sites(monkeypatch, server, no_backend):
    site = server()
    reset_server = server({"/status": [(200, "Resetting"), (200, "Resetting"), (200, "Ready for duty!")]})
    for name in ("SHOPPING", "REDDIT", "WIKIPEDIA", "CLASSIFIEDS"):
        monkeypatch.setenv(f"VWA_{name}", site.url)
    monkeypatch.setenv("VWA_FULL_RESET", reset_server.url + "/")
    record = get_benchmark("visualwebarena").backend.reset(poll_s=0.01)
    assert reset_server.requests == ["/reset", "/status", "/status", "/status"]
    assert record["instance"] == "visualwebarena" and record["reset_server"] == reset_server.url
    assert len(site.requests) == 4  # each site answered after the reset


@pytest.mark.parametrize(
    "routes, expected",
    [
        ({"/reset": (500, "boom")}, "reset request {url}/reset failed (500): boom"),
        ({"/status": (502, "bad gateway")}, "reset status {url}/status failed (502): bad gateway"),
        ({"/status": (200, "Resetting")}, "webarena instance still resetting after 0 s"),
    ],
)
def test_a_failed_reset_is_one_infra_error_line(routes, expected, monkeypatch, server, no_backend):
    reset_server = server(routes)
    monkeypatch.setenv("WA_FULL_RESET", reset_server.url)
    with pytest.raises(InfraError) as error:
        get_benchmark("webarena").backend.reset(timeout_s=0, poll_s=0.01)
    assert expected.format(url=reset_server.url) in str(error.value) and "\n" not in str(error.value)


def test_reset_without_its_server(monkeypatch, no_backend):
    with pytest.raises(InfraError, match="cannot reset the webarena instance: WA_FULL_RESET not set"):
        get_benchmark("webarena").backend.reset()
    monkeypatch.setenv("WA_FULL_RESET", CLOSED)
    with pytest.raises(InfraError, match=f"reset server {CLOSED} unreachable"):
        get_benchmark("webarena").backend.reset()


def test_workarena_instance_checks(monkeypatch, server, no_backend, tmp_path):
    backend = get_benchmark("workarena_l1").backend
    monkeypatch.setenv("SNOW_INSTANCE_URL", CLOSED)
    assert backend.problems([]) == [
        "SNOW_INSTANCE_UNAME, SNOW_INSTANCE_PWD not set (WorkArena needs all of "
        "SNOW_INSTANCE_URL, SNOW_INSTANCE_UNAME, SNOW_INSTANCE_PWD)"
    ]
    monkeypatch.setenv("SNOW_INSTANCE_UNAME", "admin")
    monkeypatch.setenv("SNOW_INSTANCE_PWD", "secret")
    assert backend.problems([])[0].startswith(f"ServiceNow instance SNOW_INSTANCE_URL ({CLOSED}) unreachable")
    sleeping = server({"/": (200, "<title>Instance Hibernating page</title>")})
    monkeypatch.setenv("SNOW_INSTANCE_URL", sleeping.url + "/")
    assert backend.problems([]) == [
        f"ServiceNow instance {sleeping.url} is hibernating: open it in a browser to wake it up"
    ]
    awake = server()
    monkeypatch.setenv("SNOW_INSTANCE_URL", awake.url)
    assert backend.problems([]) == []
    for name in ("SNOW_INSTANCE_URL", "SNOW_INSTANCE_UNAME", "SNOW_INSTANCE_PWD"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("SNOW_INSTANCE_POOL", str(tmp_path / "pool.json"))
    assert backend.problems([]) == [f"SNOW_INSTANCE_POOL file {tmp_path / 'pool.json'} not found"]
    (tmp_path / "pool.json").write_text("[]")
    assert backend.problems([]) == []


def test_weblinx_needs_the_demonstrations_of_the_selected_tasks(monkeypatch, tmp_path, no_backend):
    backend = get_benchmark("weblinx").backend
    monkeypatch.setenv("BROWSERGYM_WEBLINX_CACHE_DIR", str(tmp_path))
    (tmp_path / "demonstrations" / "cptbbef").mkdir(parents=True)
    problems = backend.problems(["cptbbef.1", "cptbbef.3", "zzzdemo.2", "yyydemo.5"])
    assert problems[0] == f"{tmp_path}/metadata.json not found"
    assert problems[1].startswith(
        f"2 of the 3 demonstrations of the selected tasks are not in {tmp_path}/demonstrations (e.g. yyydemo)"
    )
    (tmp_path / "metadata.json").write_text("{}")
    assert backend.problems(["cptbbef.1", "cptbbef.3"]) == []


def test_assistantbench_skips_the_hub_when_offline(monkeypatch, no_backend):
    backend = get_benchmark("assistantbench").backend
    assert len(backend.problems([])) == 2  # start page and dataset
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    assert [problem.split(" (")[0] for problem in backend.problems([])] == ["the task start page"]


JUDGE_PROBLEM = (
    "OPENAI_API_KEY not set: {n} of the {of} selected tasks (e.g. {examples}) are scored by OpenAI's "
    "gpt-4-1106-preview (their llm_fuzzy_match or llm_ua_match evaluator, asked after every step)"
)


def openai_problems(backend, tasks):
    return [problem for problem in backend.problems(tasks) if "OPENAI" in problem]


@pytest.mark.parametrize(
    "name, prefix, tasks, judged",
    [
        ("webarena", "WA_", ["0", "7", "8", "16", "22"], "8, 16, 22"),  # 22's answer is "N/A": llm_ua_match
        ("webarena_lite", "WA_", ["4", "7", "15"], "7"),  # Lite re-annotated WebArena's task 7
        ("visualwebarena", "VWA_", ["0", "24", "303"], "24, 303"),  # an N/A answer, a fuzzy page content
    ],
)
def test_preflight_names_the_openai_key_when_selected_tasks_are_judged_by_openai(
    name, prefix, tasks, judged, monkeypatch, server, no_backend
):
    """With the instance up, the key is named; tasks without a judge need no key."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    site, reset_server = server(), server({"/status": (200, "Ready for duty!")})
    backend = get_benchmark(name).backend
    for variable in (*backend.sites, *backend.settings):
        monkeypatch.setenv(f"{prefix}{variable}", site.url)
    monkeypatch.setenv(f"{prefix}FULL_RESET", reset_server.url)
    expected = JUDGE_PROBLEM.format(n=len(judged.split(", ")), of=len(tasks), examples=judged)
    assert [
        problem for problem in backend.problems(tasks) if "unreachable" in problem and "Hugging Face" not in problem
    ] == []
    assert openai_problems(backend, tasks) == [expected]
    assert expected in preflight_error(name, tasks)  # in the one line, beside a missing package if any
    assert openai_problems(backend, [task for task in tasks if task not in judged.split(", ")]) == []
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert openai_problems(backend, tasks) == []


def test_the_openai_key_is_named_even_when_the_instance_is_missing_too(monkeypatch, no_backend):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    message = preflight_error("webarena", ["8", "9"])
    assert "WA_FULL_RESET not set" in message and JUDGE_PROBLEM.format(n=1, of=2, examples="8") in message
    assert "OPENAI_API_KEY" not in preflight_error("webarena", ["0", "1"])
    assert "OPENAI_API_KEY" not in preflight_error("webarena_verified")  # deterministic evaluators


BLIP2 = "Salesforce/blip2-flan-t5-xl"


def captioning_problems(env) -> list[str]:
    """The captioning model check in a fresh process: huggingface_hub reads its settings on import."""
    script = (
        "import json; from agentlab.benchmarks.webarena import captioning_model_problems as p; "
        f"print(json.dumps(p({BLIP2!r})))"
    )
    process = subprocess.run([sys.executable, "-c", script], env={**os.environ, **env}, capture_output=True, text=True)
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("huggingface_hub") is None, reason="huggingface_hub not installed")
def test_visualwebarenas_captioning_model_from_the_cache_or_the_hub(server, tmp_path, no_backend):
    """BrowserGym's VisualWebArena tasks load BLIP-2 at setup: the preflight wants it cached or the Hub up."""
    cache, hub = tmp_path / "hub", server()
    why = f"{BLIP2} not in the Hugging Face cache (every task's setup loads it for its image evaluator) and "
    [offline] = captioning_problems({"HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"})
    assert offline == why + "HF_HUB_OFFLINE is set"
    [unreachable] = captioning_problems({"HF_HUB_CACHE": str(cache), "HF_ENDPOINT": CLOSED})
    assert unreachable.startswith(why + f"the Hugging Face Hub ({CLOSED}/{BLIP2}/resolve/main/config.json) unreachable")
    assert captioning_problems({"HF_HUB_CACHE": str(cache), "HF_ENDPOINT": hub.url}) == []  # downloads at setup
    assert hub.requests == [f"/{BLIP2}/resolve/main/config.json"]
    snapshot = cache / "models--Salesforce--blip2-flan-t5-xl" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (cache / "models--Salesforce--blip2-flan-t5-xl" / "refs").mkdir()
    (cache / "models--Salesforce--blip2-flan-t5-xl" / "refs" / "main").write_text("abc123")
    assert captioning_problems({"HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}) == []
    assert BLIP2 not in preflight_error("webarena") and BLIP2 in preflight_error("visualwebarena")


def test_timewarp_names_its_sites_and_the_judges_key_for_judged_tasks(monkeypatch, server, no_backend):
    """Tasks 32 and 143 are scored by TimeWarp's LLM judge (OpenAI's unless another is named)."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    site = server()
    for name in ("TW_WIKI", "TW_WEBSHOP"):
        monkeypatch.setenv(name, site.url)
    monkeypatch.setenv("TW_NEWS", CLOSED)
    message = preflight_error("timewarp", ["1", "32"])
    assert f"TW_NEWS ({CLOSED}) unreachable" in message and "TW_WIKI" not in message
    assert "OPENAI_API_KEY not set: 1 of the 2 selected tasks (e.g. 32) are scored by OpenAI's" in message
    assert "OPENAI_API_KEY" not in preflight_error("timewarp", ["1", "2"])
    monkeypatch.setenv("TW_JUDGE", "gemma")
    assert "OPENAI_API_KEY" not in preflight_error("timewarp", ["32"])


def test_knows_wants_a_credentials_file_that_exists(monkeypatch, tmp_path, no_backend):
    monkeypatch.setenv("SERVICE_ACCOUNT_PATH", str(tmp_path / "key.json"))
    message = preflight_error("knows")
    assert f"SERVICE_ACCOUNT_PATH names {tmp_path / 'key.json'}, which is not a file" in message
    (tmp_path / "key.json").write_text("{}")
    message = preflight_error("knows")  # the credentials are there; Google's pages are not, here
    assert "credentials" not in message and "Google Workspace (https://docs.google.com) unreachable" in message
