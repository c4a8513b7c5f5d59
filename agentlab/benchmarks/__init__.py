"""Benchmarks selectable by name in a study config."""

from __future__ import annotations

import importlib
from functools import cache

from ..errors import ConfigError
from .base import Backend, Benchmark, RewardKind, TaskSelectionError

# name -> module whose `load(name)` returns the Benchmark; loaded lazily (imports are slow). Only
# MiniWoB's package is installed by default; the others are extras (pip install -e '.[webarena]').
BENCHMARK_MODULES = {
    "miniwob": "agentlab.benchmarks.miniwob",
    "workarena_l1": "agentlab.benchmarks.workarena",
    "workarena_l2": "agentlab.benchmarks.workarena",
    "workarena_l3": "agentlab.benchmarks.workarena",
    "webarena": "agentlab.benchmarks.webarena",
    "webarena_lite": "agentlab.benchmarks.webarena",
    "webarena_verified": "agentlab.benchmarks.webarena",
    "visualwebarena": "agentlab.benchmarks.webarena",
    "assistantbench": "agentlab.benchmarks.assistantbench",
    "weblinx": "agentlab.benchmarks.weblinx",
}


class UnknownBenchmarkError(ConfigError):
    """A study or command names a benchmark that does not exist; the message lists those that do."""


@cache
def get_benchmark(name: str) -> Benchmark:
    if name not in BENCHMARK_MODULES:
        raise UnknownBenchmarkError(
            f"unknown benchmark {name!r}; allowed: {', '.join(sorted(BENCHMARK_MODULES))}"
        )
    return importlib.import_module(BENCHMARK_MODULES[name]).load(name)


__all__ = ["Backend", "Benchmark", "RewardKind", "TaskSelectionError", "UnknownBenchmarkError", "get_benchmark", "BENCHMARK_MODULES"]
