"""What each episode of a study waits for, as files the Snakemake DAG orders jobs by.

- The preflight of its benchmark, when the benchmark has a backend to check.
- On a benchmark whose tasks change a shared instance (the WebArena family), the reset before its
  round: one agent's episodes with one seed. Rounds on one instance follow each other (agents,
  then seeds, in config order), and each reset waits for every episode of the round before it.
- The episodes (same agent, same seed) of the tasks its task depends on in BrowserGym's metadata,
  unless the benchmark's config says ignore_dependencies.

An episode already done with its current spec waits for nothing, so checking a backend or
resetting an instance again never reruns finished episodes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .config import Study

PREFLIGHT_PATTERN = "results/{study}/preflight/{benchmark}.json"
RESET_PATTERN = "results/{study}/resets/{benchmark}/{agent}/seed{seed}.json"


@dataclass(frozen=True)
class Round:
    """One agent's episodes with one seed on a benchmark, after a reset of its instance."""

    benchmark: str
    agent: str
    seed: int


def nearest_selected_parents(
    depends_on: Mapping[str, tuple[str, ...]], selected: set[str]
) -> dict[str, tuple[str, ...]]:
    """Each selected task's closest ancestors among `selected` in the `depends_on` graph.

    Unselected tasks are contracted away (A -> b -> C becomes A -> C), as BrowserGym does.
    Raises ValueError on a cycle.
    """
    nodes = set(depends_on) | {parent for parents in depends_on.values() for parent in parents}
    children = defaultdict(list)
    waiting = {node: len(depends_on.get(node, ())) for node in nodes}
    for child, parents in depends_on.items():
        for parent in parents:
            children[parent].append(child)
    ready = sorted(node for node, count in waiting.items() if count == 0)
    nearest: dict[str, tuple[str, ...]] = {}  # node -> its closest selected ancestors
    while ready:
        node = ready.pop()
        found: dict[str, None] = {}
        for parent in depends_on.get(node, ()):
            found.update(dict.fromkeys([parent] if parent in selected else nearest[parent]))
        nearest[node] = tuple(found)
        for child in children[node]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    if len(nearest) != len(nodes):
        raise ValueError(f"task dependencies form a cycle among {sorted(nodes - set(nearest))[:5]}")
    return {task: nearest[task] for task in selected if nearest.get(task)}


class Schedule:
    """The files each episode and instance reset of `study` waits for."""

    def __init__(self, study: Study):
        from ..benchmarks import get_benchmark

        self.study = study
        self.benchmarks = {name: get_benchmark(name, plan.module, plan.cube) for name, plan in study.benchmarks.items()}
        self.parents = {
            name: {}
            if plan.ignore_dependencies
            else nearest_selected_parents(self.benchmarks[name].depends_on, set(plan.tasks))
            for name, plan in study.benchmarks.items()
        }
        self.rounds: dict[str, list[Round]] = defaultdict(list)  # instance -> its rounds, in order
        for name, plan in study.benchmarks.items():
            if instance := self.instance(name):
                self.rounds[instance] += [Round(name, agent, seed) for agent in study.agents for seed in plan.seeds]
        self._previous = {
            round_: rounds[index - 1] if index else None
            for rounds in self.rounds.values()
            for index, round_ in enumerate(rounds)
        }
        self._episodes = {name: set(plan.episodes) for name, plan in study.benchmarks.items()}

    def has_prerequisites(self) -> bool:
        """Whether any episode of the study waits for anything (a preflight, at least)."""
        return any(benchmark.backend is not None for benchmark in self.benchmarks.values())

    def instance(self, benchmark: str) -> str | None:
        """The shared instance `benchmark`'s episodes change, reset between rounds; None if none."""
        backend = self.benchmarks[benchmark].backend
        return backend.instance if backend else None

    def uses_instance(self, benchmark: str, instance: str) -> int:
        """1 if `benchmark` runs on `instance`, else 0: the amount of its Snakemake resource a job takes."""
        return int(self.instance(benchmark) == instance)

    def preflight_path(self, benchmark: str) -> str | None:
        if self.benchmarks[benchmark].backend is None:
            return None
        return PREFLIGHT_PATTERN.format(study=self.study.name, benchmark=benchmark)

    def reset_path(self, round_: Round) -> str:
        return RESET_PATTERN.format(
            study=self.study.name, benchmark=round_.benchmark, agent=round_.agent, seed=round_.seed
        )

    def prerequisites(self, benchmark: str, agent: str, task: str, seed: int) -> list[str]:
        """Files the episode waits for: preflight, its round's reset, the episodes it depends on."""
        paths = [self.preflight_path(benchmark)]
        if self.instance(benchmark):
            paths.append(self.reset_path(Round(benchmark, agent, seed)))
        paths += [
            self.study.summary_path(benchmark, agent, parent, seed)
            for parent in self.parents[benchmark].get(task, ())
            if (parent, seed) in self._episodes[benchmark]
        ]
        return [path for path in paths if path]

    def reset_prerequisites(self, benchmark: str, agent: str, seed: int) -> list[str]:
        """Files the reset before a round waits for: the preflight, every episode of the round before."""
        previous = self._previous[Round(benchmark, agent, seed)]
        paths = [self.preflight_path(benchmark)]
        if previous:
            paths += [
                self.study.summary_path(previous.benchmark, previous.agent, task, seed_)
                for task, seed_ in self.study.benchmarks[previous.benchmark].episodes
                if seed_ == previous.seed
            ]
        return [path for path in paths if path]

    def episode_inputs(self, benchmark: str, agent: str, task: str, seed: int) -> list[str]:
        """The episode's prerequisites, or none once it is done with its current spec."""
        paths = self.prerequisites(benchmark, agent, task, seed)
        if paths and self.is_done(benchmark, agent, task, seed):
            return []
        return paths

    def is_done(self, benchmark: str, agent: str, task: str, seed: int) -> bool:
        """Whether the episode's summary.json exists and was made by its current spec and agent config."""
        path = Path(self.study.summary_path(benchmark, agent, task, seed))
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        spec = json.loads(self.study.spec_json(benchmark, agent, task, seed))
        return summary.get("spec") == spec and summary.get("config_hash") == self.study.config_hash(benchmark, agent)
