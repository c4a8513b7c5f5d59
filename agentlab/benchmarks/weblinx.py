"""WebLINX (weblinx-browsergym): predict the next action of recorded demonstrations, replayed from a local copy."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..browser.actions import ActionSetArgs
from .base import Backend, Benchmark
from .metadata import browsergym_table, task_fields
from .preflight import missing_env

CACHE_VARIABLE = "BROWSERGYM_WEBLINX_CACHE_DIR"


def demo_id(task: str) -> str:
    """The demonstration a task (`<demo>.<step>`) is a step of."""
    return task.split(".", 1)[0]


@dataclass(frozen=True)
class DemonstrationCache(Backend):
    """The WebLINX metadata and the demonstrations of the tasks, downloaded into BROWSERGYM_WEBLINX_CACHE_DIR."""

    def problems(self, tasks: Sequence[str]) -> list[str]:
        if missing_env([CACHE_VARIABLE]):
            return [f"{CACHE_VARIABLE} not set (the folder holding the downloaded WebLINX demonstrations)"]
        cache = Path(os.environ[CACHE_VARIABLE]).expanduser()
        problems = [] if (cache / "metadata.json").is_file() else [f"{cache}/metadata.json not found"]
        demos = sorted({demo_id(task) for task in tasks})
        missing = [demo for demo in demos if not (cache / "demonstrations" / demo).is_dir()]
        if missing:
            problems.append(
                f"{len(missing)} of the {len(demos)} demonstrations of the selected tasks are not in "
                f"{cache}/demonstrations (e.g. {missing[0]}): download them as docs/benchmarks.md's WebLINX row says"
            )
        return problems


def load(name: str) -> Benchmark:
    return Benchmark(
        name=name,
        env_prefix="browsergym/weblinx.",
        default_max_steps=1,  # each task is one turn of a demonstration
        action_set=ActionSetArgs(("weblinx",)),
        is_multi_tab=True,
        opens_browser=False,  # its env replays each turn's recorded page and scores the one action
        package="weblinx_browsergym",
        extra="weblinx",
        default_seeds=(0,),  # the tasks are not random
        reward_kind="continuous",  # a turn's similarity score in [0, 1]
        backend=DemonstrationCache(),
        **task_fields(browsergym_table("weblinx"), "weblinx."),
    )
