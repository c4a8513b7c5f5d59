"""Benchmarks selectable by name in a study config."""

from __future__ import annotations

import importlib
from functools import cache

from ..core.errors import ConfigError
from .base import Backend, Benchmark, RewardKind, TaskSelectionError
from .custom import CustomBenchmarkArgs, CustomBenchmarkError

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
    "timewarp": "agentlab.benchmarks.timewarp",
    "knows": "agentlab.benchmarks.knows",
}


class UnknownBenchmarkError(ConfigError):
    """A study or command names a benchmark that does not exist; the message lists those that do."""


@cache
def get_benchmark(name: str, module: str = "", cube: str = "") -> Benchmark:
    """The benchmark `name`: built in, with `module` ('package.module:NAME') the user's own, or with `cube`
    a CUBE benchmark (a known cube's name, e.g. miniwob-cube, or its config's path 'pkg.mod:Config')."""
    if cube:
        if module:
            raise UnknownBenchmarkError(f"benchmark {name!r} names both a module and a cube; allowed: one of them")
        from .cube.benchmark import load_cube

        return load_cube(name, cube)
    if module:
        if name in BENCHMARK_MODULES:
            raise UnknownBenchmarkError(
                f"benchmark {name!r} is built in, it takes no module; allowed: another name for {module!r}"
            )
        from .custom import load_custom

        return load_custom(name, module)
    if name not in BENCHMARK_MODULES:
        raise UnknownBenchmarkError(
            f"unknown benchmark {name!r}; allowed: {', '.join(sorted(BENCHMARK_MODULES))}, "
            f"your own with module: 'package.module:NAME', or a cube with cube: miniwob-cube"
        )
    return importlib.import_module(BENCHMARK_MODULES[name]).load(name)


__all__ = [
    "Backend",
    "Benchmark",
    "CustomBenchmarkArgs",
    "CustomBenchmarkError",
    "RewardKind",
    "TaskSelectionError",
    "UnknownBenchmarkError",
    "get_benchmark",
    "BENCHMARK_MODULES",
]
