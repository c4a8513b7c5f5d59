"""What episodes wait for: preflights, instance resets between rounds, task dependencies (no Snakemake)."""

import json

import pytest
from conftest import replay_agent

from agentlab.benchmarks import get_benchmark
from agentlab.core.files import write_json_atomic
from agentlab.study.config import load_study
from agentlab.study.schedule import Round, Schedule, nearest_selected_parents


def study(benchmarks, agents=("a", "b")):
    return load_study({"study": "s", "benchmarks": benchmarks, "agents": {name: replay_agent() for name in agents}})


def summary(benchmark, agent, task, seed):
    return f"results/s/{benchmark}/{agent}/{task}/seed{seed}/summary.json"


def test_rounds_on_one_instance_follow_each_other_across_agents_seeds_and_benchmarks():
    schedule = Schedule(
        study(
            {
                "webarena": {"tasks": ["410", "537", "552"], "seeds": [0, 1]},
                "visualwebarena": {"tasks": ["0"]},
                "webarena_lite": {"tasks": ["4"]},
            }
        )
    )
    assert schedule.rounds["webarena"] == [
        Round("webarena", "a", 0),
        Round("webarena", "a", 1),
        Round("webarena", "b", 0),
        Round("webarena", "b", 1),
        Round("webarena_lite", "a", 0),
        Round("webarena_lite", "b", 0),
    ]
    assert schedule.rounds["visualwebarena"] == [Round("visualwebarena", "a", 0), Round("visualwebarena", "b", 0)]
    assert schedule.reset_prerequisites("webarena", "a", 0) == ["results/s/preflight/webarena.json"]
    # agent b's first round waits for every episode of agent a's last round on the instance
    assert schedule.reset_prerequisites("webarena", "b", 0) == ["results/s/preflight/webarena.json"] + [
        summary("webarena", "a", task, 1) for task in ("410", "537", "552")
    ]
    assert schedule.reset_prerequisites("webarena_lite", "a", 0)[1:] == [
        summary("webarena", "b", task, 1) for task in ("410", "537", "552")
    ]
    assert (
        schedule.uses_instance("webarena_lite", "webarena"),
        schedule.uses_instance("visualwebarena", "webarena"),
    ) == (1, 0)


def test_an_episode_waits_for_preflight_reset_and_its_dependencies_of_the_same_agent_and_seed():
    schedule = Schedule(study({"webarena": {"tasks": ["410", "537", "552"], "seeds": [0, 1]}}))
    assert schedule.prerequisites("webarena", "b", "552", 1) == [
        "results/s/preflight/webarena.json",
        "results/s/resets/webarena/b/seed1.json",
        summary("webarena", "b", "537", 1),
        summary("webarena", "b", "410", 1),
    ]
    assert schedule.prerequisites("webarena", "a", "410", 0) == [
        "results/s/preflight/webarena.json",
        "results/s/resets/webarena/a/seed0.json",
    ]
    ignoring = Schedule(study({"webarena": {"tasks": ["410", "537", "552"], "ignore_dependencies": True}}))
    assert ignoring.prerequisites("webarena", "a", "552", 0) == [
        "results/s/preflight/webarena.json",
        "results/s/resets/webarena/a/seed0.json",
    ]


def test_benchmarks_without_instance_or_backend():
    schedule = Schedule(study({"workarena_l1": {"tasks": ["order-ipad-pro"]}}))
    assert schedule.rounds == {} and schedule.has_prerequisites()
    assert schedule.prerequisites("workarena_l1", "a", "order-ipad-pro", 102) == [
        "results/s/preflight/workarena_l1.json"
    ]
    miniwob = Schedule(study({"miniwob": {"tasks": ["click-test"], "seeds": [0]}}))
    assert not miniwob.has_prerequisites() and miniwob.preflight_path("miniwob") is None
    assert miniwob.episode_inputs("miniwob", "a", "click-test", 0) == []


def test_a_done_episode_waits_for_nothing_until_its_spec_or_agent_changes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    the_study = study({"webarena": {"tasks": ["537", "552"]}})
    schedule = Schedule(the_study)
    key = ("webarena", "a", "552", 0)
    assert len(schedule.episode_inputs(*key)) == 3  # preflight, reset, 537
    spec = json.loads(the_study.spec(*key).to_json())
    write_json_atomic(summary(*key), {"spec": spec, "config_hash": the_study.config_hash("webarena", "a")})
    assert schedule.is_done(*key) and schedule.episode_inputs(*key) == []
    write_json_atomic(
        summary(*key), {"spec": {**spec, "max_steps": 3}, "config_hash": the_study.config_hash("webarena", "a")}
    )
    assert len(schedule.episode_inputs(*key)) == 3
    write_json_atomic(summary(*key), {"spec": spec, "config_hash": "another agent config"})
    assert len(schedule.episode_inputs(*key)) == 3
    (tmp_path / summary(*key)).write_text("{not json")
    assert not schedule.is_done(*key)


@pytest.mark.parametrize("name", ["webarena", "webarena_lite", "webarena_verified", "visualwebarena"])
def test_dependency_graphs_are_acyclic_and_within_the_benchmark(name):
    benchmark = get_benchmark(name)
    assert benchmark.depends_on, "the WebArena family has task dependencies"
    parents = nearest_selected_parents(benchmark.depends_on, set(benchmark.task_names))
    assert parents == {task: tuple(dict.fromkeys(p)) for task, p in benchmark.depends_on.items()}
    assert get_benchmark("webarena").depends_on["552"] == ("537", "410")  # BrowserGym's webarena.csv


def test_dependencies_through_unselected_tasks_are_contracted():
    depends_on = {"b": ("a",), "c": ("b",), "d": ("b", "x"), "x": ("a",), "e": ("d",)}
    assert nearest_selected_parents(depends_on, {"a", "c", "d", "e"}) == {"c": ("a",), "d": ("a",), "e": ("d",)}
    assert nearest_selected_parents(depends_on, {"c", "e"}) == {}
    with pytest.raises(ValueError, match="cycle"):
        nearest_selected_parents({"a": ("b",), "b": ("a",)}, {"a"})
