"""A cube as one of a study's benchmarks: tasks and step limits from the snapshot of its task metadata (planning
never imports cube), episodes run through the CUBE host (`client.CubeEnv`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

from ...browser.actions import ActionSetArgs
from ...browser.tool_calls import tool_schemas
from ..base import Benchmark
from .backend import CubeBackend
from .catalog import KNOWN_CUBES, KnownCube, known_cube, task_max_steps, task_metadata
from .environment import CubeEnvironment

# BrowserGym's action subsets of cube-browser-tool's BgymToolConfig (its default `action_subsets`): the
# tools every web cube gives today, so string-action agents get the same functions under the same names
BGYM_TOOL_SUBSETS = ("bid", "nav", "tab")
SEEDLESS = (0,)  # a cube without a seed generator: one episode per task, as for WebArena
DEFAULT_MAX_STEPS = 10  # a user's cube whose metadata recommends none


@dataclass(frozen=True)
class CubeBenchmark(Benchmark):
    """A web cube's tasks; `cube` is where its BenchmarkConfig is ('module:attr.key')."""

    cube: str = ""
    split_column: ClassVar[str] = "split"  # TaskMetadata.split

    def missing_package(self) -> str | None:
        """The cube lives in the CUBE environment, not here: its preflight (CubeBackend) checks it there."""
        return None

    def prepare(self) -> None:
        CubeEnvironment.configured().check()

    @cached_property
    def tools(self) -> tuple[dict[str, Any], ...]:
        """The tools its tasks give agents (before the host says them exactly: the same BrowserGym functions)."""
        return tuple(tool_schemas(self.action_set.make()))

    def make_env(self, task: str, seed: int) -> Any:
        from .client import CubeEnv

        return CubeEnv(CubeEnvironment.configured().python, self.cube, task, seed, self.navigation_policy())


def as_known_cube(cube: str) -> KnownCube:
    """A known cube by name or package, or a user's cube named by its config's Python path."""
    if ":" not in cube:
        return known_cube(cube)
    known = [entry for entry in KNOWN_CUBES.values() if entry.config == cube]
    return known[0] if known else KnownCube(cube, cube.split(".")[0].split(":")[0], cube, DEFAULT_MAX_STEPS)


def load_cube(name: str, cube: str) -> CubeBenchmark:
    """The study's benchmark `name` running the cube `cube` (a known cube's name or package, or 'pkg.mod:Config').

    Its default step limit is the largest of its tasks' (name `max_steps` for a level whose tasks need fewer)."""
    known = as_known_cube(cube)
    metadata = task_metadata(known if known.name in KNOWN_CUBES else cube)
    return CubeBenchmark(
        name=name,
        env_prefix="",
        task_names=tuple(metadata),
        default_max_steps=max((task_max_steps(known, row) for row in metadata.values()), default=DEFAULT_MAX_STEPS),
        action_set=ActionSetArgs(BGYM_TOOL_SUBSETS),
        package=known.package,
        task_metadata={task: flat_columns(row) for task, row in metadata.items()},
        default_seeds=SEEDLESS,
        backend=CubeBackend(known),
        cube=known.config,
    )


def flat_columns(row: dict[str, Any]) -> dict[str, str]:
    """A task's metadata as `match:` selects on it: every field a string (nested ones as JSON)."""
    return {
        key: value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        for key, value in row.items()
        if key != "_type"
    }
