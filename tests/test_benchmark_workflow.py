"""Studies on the backend benchmarks through the real Snakemake workflow: dry-runs, DAG edges,
preflights that stop a study before any episode, resumed rounds. No backend runs here."""

import copy
import json

import pytest
from conftest import planned_jobs, replay_agent, run_snakemake

from agentlab.benchmarks import get_benchmark
from agentlab.core.files import write_json_atomic
from agentlab.study.config import load_study

pytestmark = pytest.mark.slow

# A study of each benchmark with its default seeds, and the episodes BrowserGym defines for it
# (WebLINX: its valid split; all 31,586 tasks take Snakemake minutes to plan).
DEFAULT_STUDIES = {
    "workarena_l1": ("all", 330, 0),  # 33 tasks x 10 curriculum seeds; no resets
    "workarena_l2": ("all", 235, 0),
    "workarena_l3": ("all", 235, 0),
    "webarena": ("all", 812, 1),  # one reset before the (only) round
    "webarena_lite": ("all", 165, 1),
    "webarena_verified": ("all", 812, 1),
    "visualwebarena": ("all", 910, 1),
    "assistantbench": ("all", 214, 0),
    "weblinx": ({"split": "valid"}, 2526, 0),
    "timewarp": ("all", 231, 0),  # answers only: no resets
    "knows": ("all", 110, 0),
}


def config(benchmarks, agents=("a",)):
    return {"study": "s", "benchmarks": benchmarks, "agents": {name: replay_agent() for name in agents}}


def planned(workdir, study_config):
    """Each job a dry run plans: {"rule", "input": [...], "output": [...], "resources": {...}}."""
    process = run_snakemake(workdir, study_config, "--dry-run")
    jobs, job = [], None
    for line in process.stdout.splitlines():
        if line.startswith("rule ") and line.endswith(":"):
            job = {"rule": line[5:-1], "input": [], "output": [], "resources": {}}
            jobs.append(job)
        elif job is not None and line.startswith("    ") and ": " in line:
            key, value = line.strip().split(": ", 1)
            if key in ("input", "output"):
                job[key] = value.split(", ")
            elif key == "resources":
                job[key] = dict(item.split("=", 1) for item in value.split(", "))
    return jobs


def preflight_failures(output: str, name: str) -> list[str]:
    """The lines of `output` where `name`'s preflight says it failed, from that phrase on: parallel
    preflights write to the same stream, so a line may follow another's unfinished one."""
    phrase = f"agentlab: preflight {name} failed: "
    return [line[line.index(phrase) :] for line in output.splitlines() if phrase in line]


@pytest.mark.parametrize("name", sorted(DEFAULT_STUDIES))
def test_dry_run_of_each_benchmark_plans_browsergyms_episodes(name, tmp_path):
    tasks, n_episodes, n_resets = DEFAULT_STUDIES[name]
    counts = planned_jobs(tmp_path, config({name: {"tasks": tasks}}))
    assert counts["episode"] == n_episodes
    assert counts["preflight"] == 1 and counts.get("reset", 0) == n_resets


def test_webarena_dag_has_the_metadata_dependencies_and_a_reset_between_agents(tmp_path):
    jobs = planned(tmp_path, config({"webarena": {"tasks": ["410", "537", "552", "555", "561", "562"]}}, ("a", "b")))
    episodes = {job["output"][0]: job for job in jobs if job["rule"] == "episode"}
    resets = {job["output"][0]: job for job in jobs if job["rule"] == "reset"}
    assert len(episodes) == 12 and sorted(resets) == [
        "results/s/resets/webarena/a/seed0.json",
        "results/s/resets/webarena/b/seed0.json",
    ]

    def summary(agent, task):
        return f"results/s/webarena/{agent}/{task}/seed0/summary.json"

    for agent in ("a", "b"):
        # webarena.csv: 552 depends on 537 and 410; 562 on 561 and 555
        assert set(episodes[summary(agent, "552")]["input"]) == {
            "results/s/preflight/webarena.json",
            f"results/s/resets/webarena/{agent}/seed0.json",
            summary(agent, "537"),
            summary(agent, "410"),
        }
        assert {summary(agent, "561"), summary(agent, "555")} < set(episodes[summary(agent, "562")]["input"])
    # b's round starts after a reset that waits for every episode of a's round
    assert set(resets["results/s/resets/webarena/b/seed0.json"]["input"]) == {
        "results/s/preflight/webarena.json",
        *(summary("a", task) for task in ("410", "537", "552", "555", "561", "562")),
    }
    # one job at a time on the instance
    assert {job["resources"]["wa_instance"] for job in [*episodes.values(), *resets.values()]} == {"1"}
    assert {job["resources"]["vwa_instance"] for job in episodes.values()} == {"0"}

    ignoring = planned(tmp_path, config({"webarena": {"tasks": ["410", "537", "552"], "ignore_dependencies": True}}))
    assert all(
        not any("/summary.json" in path for path in job["input"]) for job in ignoring if job["rule"] == "episode"
    )


def test_miniwob_studies_plan_no_preflight_and_no_reset(tmp_path, tiny_study):
    jobs = planned(tmp_path, tiny_study)
    assert {job["rule"] for job in jobs} == {"episode", "manifest", "aggregate", "report", "all"}
    assert all(job["input"] == [] for job in jobs if job["rule"] == "episode")
    assert {job["resources"]["wa_instance"] for job in jobs if job["rule"] == "episode"} == {"0"}


def test_preflights_without_backends_stop_the_study_before_any_episode(tmp_path, no_backend):
    benchmarks = {name: {"tasks": [get_benchmark(name).task_names[0]], "seeds": [0]} for name in DEFAULT_STUDIES}
    process = run_snakemake(tmp_path, config(benchmarks), check=False)
    output = process.stdout + process.stderr
    assert process.returncode != 0
    study_dir = tmp_path / "results" / "s"
    for name in DEFAULT_STUDIES:
        lines = preflight_failures(output, name)
        assert len(lines) == 1, f"{name}:\n{output}"  # one line, in Snakemake's own output
        assert lines[0] in (study_dir / "logs" / "preflight" / f"{name}.log").read_text()
        assert not (study_dir / name).exists()  # no episode started
    assert "WA_SHOPPING, WA_SHOPPING_ADMIN, WA_REDDIT" in output and "SNOW_INSTANCE_URL" in output
    assert "TW_WIKI, TW_WEBSHOP, TW_NEWS not set" in output and "SERVICE_ACCOUNT_PATH" in output


def test_a_study_with_openai_judged_tasks_and_no_key_stops_in_preflight(tmp_path, no_backend, monkeypatch):
    """WebArena's task 8 is scored by OpenAI, WebArena-Lite's 4 and 15 by string matching: only the
    first preflight names the key, in its one line, and no episode of either starts."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    benchmarks = {"webarena": {"tasks": ["0", "8"]}, "webarena_lite": {"tasks": ["4", "15"]}}
    process = run_snakemake(tmp_path, config(benchmarks), check=False)
    output = process.stdout + process.stderr
    assert process.returncode != 0
    logs = tmp_path / "results" / "s" / "logs" / "preflight"  # each preflight's own output, unmixed
    lines = {name: preflight_failures((logs / f"{name}.log").read_text(), name) for name in benchmarks}
    assert len(lines["webarena"]) == 1 and len(lines["webarena_lite"]) == 1, output
    assert (
        "OPENAI_API_KEY not set: 1 of the 2 selected tasks (e.g. 8) are scored by OpenAI's gpt-4-1106-preview"
        in lines["webarena"][0]
    )
    assert "OPENAI_API_KEY" not in lines["webarena_lite"][0]
    assert not any((tmp_path / "results" / "s" / name).exists() for name in benchmarks)  # no episode started


def test_a_resumed_round_is_reset_again_and_finished_episodes_stay(tmp_path):
    study_config = config({"webarena": {"tasks": ["410", "537", "552"]}}, ("a", "b"))
    study = load_study(copy.deepcopy(study_config))
    for key in study.episode_keys():  # every episode finished with the current spec
        write_json_atomic(
            tmp_path / study.summary_path(*key),
            {
                "spec": json.loads(study.spec(*key).to_json()),
                "config_hash": study.config_hash(key.benchmark, key.agent),
            },
        )
    assert planned_jobs(tmp_path, study_config).get("episode") is None

    (tmp_path / study.summary_path("webarena", "a", "537", 0)).unlink()
    assert planned_jobs(tmp_path, study_config) == {
        "preflight": 1,
        "reset": 1,
        "episode": 1,
        "manifest": 1,
        "aggregate": 1,
        "report": 1,
        "all": 1,
    }
    reset = next(job for job in planned(tmp_path, study_config) if job["rule"] == "reset")
    assert reset["output"] == ["results/s/resets/webarena/a/seed0.json"]  # 552, done after 537, is kept

    changed = copy.deepcopy(study_config)
    changed["agents"]["b"]["overrides"]["trace"] += " "  # agent b's config changes: its round reruns
    jobs = planned(tmp_path, changed)
    assert sorted(job["output"][0] for job in jobs if job["rule"] in ("reset", "episode")) == [
        "results/s/resets/webarena/a/seed0.json",
        "results/s/resets/webarena/b/seed0.json",
        "results/s/webarena/a/537/seed0/summary.json",
        *(f"results/s/webarena/b/{task}/seed0/summary.json" for task in ("410", "537", "552")),
    ]
