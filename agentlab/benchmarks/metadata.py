"""BrowserGym's task metadata (names, splits, levels, dependencies), read from the snapshot in metadata/.

Planning a study must not need a benchmark's package or backend, so the tables those packages ship
are copied here by `python -m agentlab.benchmarks.snapshot`; tests/test_benchmark_metadata.py
checks the copy against the installed packages.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

METADATA_DIR = Path(__file__).parent / "metadata"
# BrowserGym's task tables (browsergym-experiments' benchmark/metadata/*.csv), copied verbatim;
# weblinx's is gzipped (1.3 MB of 31,586 task rows).
BROWSERGYM_TABLES = {
    "miniwob": "miniwob.csv",
    "workarena": "workarena.csv",
    "webarena": "webarena.csv",
    "webarena_verified": "webarena_verified.csv",
    "webarenalite": "webarenalite.csv",
    "visualwebarena": "visualwebarena.csv",
    "assistantbench": "assistantbench.csv",
    "weblinx": "weblinx.csv.gz",
}
# Task tables of benchmark packages BrowserGym 0.14.3 has no metadata for, made from the packages.
PACKAGE_TABLES = {"timewarp": "timewarp.csv", "knows": "knows.csv"}
# WorkArena's evaluation curricula (level, task_name, seed), generated from browsergym-workarena.
WORKARENA_CURRICULUM = "workarena_curriculum.csv"
# Tasks of the WebArena family whose evaluation asks a model (benchmark, task_name, criterion, judge),
# generated from the packages' task configs: a preflight names the judge's key for them.
JUDGED_TASKS = "judged_tasks.csv"

Rows = list[dict[str, str]]

# BrowserGym 0.14.3's `SEED_MAX = 2 ^ 32` is an XOR, 34: its random task seeds are drawn from 0..33.
BROWSERGYM_SEED_MAX = 2 ^ 32
BROWSERGYM_SEEDS_RNG = 42  # the RandomState of every BrowserGym benchmark's seed draws


def parse_table(text: str) -> Rows:
    """Rows of a CSV table as dicts of strings (empty cells are '')."""
    return [dict(row) for row in csv.DictReader(io.StringIO(text))]


def read_table(filename: str) -> Rows:
    """Rows of a snapshot file in metadata/ (plain or gzipped CSV)."""
    path = METADATA_DIR / filename
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return parse_table(data.decode("utf-8"))


def browsergym_table(table: str) -> Rows:
    """BrowserGym's metadata table `table` (a key of BROWSERGYM_TABLES) from the snapshot."""
    return read_table(BROWSERGYM_TABLES[table])


def package_table(table: str) -> Rows:
    """The task table `table` (a key of PACKAGE_TABLES) made from its benchmark package, from the snapshot."""
    return read_table(PACKAGE_TABLES[table])


def judged_tasks(benchmark: str) -> dict[str, tuple[str, ...]]:
    """judge ("openai", "blip2") -> the tasks of `benchmark` whose evaluation asks it, in table order."""
    judged: dict[str, dict[str, None]] = {}
    for row in read_table(JUDGED_TASKS):
        if row["benchmark"] == benchmark:
            judged.setdefault(row["judge"], {})[row["task_name"]] = None
    return {judge: tuple(tasks) for judge, tasks in judged.items()}


def strip_prefix(name: str, prefix: str) -> str:
    if not name.startswith(prefix):
        raise ValueError(f"task {name!r} lacks the prefix {prefix!r} of its benchmark's tasks")
    return name[len(prefix) :]


def task_fields(rows: Rows, prefix: str) -> dict[str, Any]:
    """Benchmark fields from a BrowserGym task table: task names without `prefix`, each task's
    metadata columns, and the tasks it depends on (the space-separated `depends_on` column)."""
    names = tuple(strip_prefix(row["task_name"], prefix) for row in rows)
    return {
        "task_names": names,
        "task_metadata": {name: {k: v for k, v in row.items() if k != "task_name"} for name, row in zip(names, rows)},
        "depends_on": {
            name: tuple(strip_prefix(parent, prefix) for parent in row.get("depends_on", "").split())
            for name, row in zip(names, rows)
            if row.get("depends_on")
        },
    }


def repeat_task_seeds(task_names: Sequence[str], n_repeats: int) -> tuple[tuple[str, int], ...]:
    """(task, seed) episodes as BrowserGym's `make_env_args_list_from_repeat_tasks` draws them:
    `n_repeats` seeds per task, in task order, from RandomState(42) over [0, BROWSERGYM_SEED_MAX)."""
    import numpy as np

    rng = np.random.RandomState(BROWSERGYM_SEEDS_RNG)
    return tuple(
        (task, int(seed))
        for task in task_names
        for seed in rng.randint(low=0, high=BROWSERGYM_SEED_MAX, size=n_repeats)
    )
