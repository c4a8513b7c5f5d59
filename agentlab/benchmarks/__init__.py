"""Benchmarks selectable by name in a study config."""

from __future__ import annotations

import importlib
from functools import cache

from .base import Benchmark, TaskSelectionError

# name -> module with a `load()` returning the Benchmark; loaded lazily (imports are slow)
BENCHMARK_MODULES = {
    "miniwob": "agentlab.benchmarks.miniwob",
}


class UnknownBenchmarkError(ValueError):
    pass


@cache
def get_benchmark(name: str) -> Benchmark:
    if name not in BENCHMARK_MODULES:
        raise UnknownBenchmarkError(
            f"unknown benchmark {name!r}; allowed: {', '.join(sorted(BENCHMARK_MODULES))}"
        )
    return importlib.import_module(BENCHMARK_MODULES[name]).load()


__all__ = ["Benchmark", "TaskSelectionError", "UnknownBenchmarkError", "get_benchmark", "BENCHMARK_MODULES"]
