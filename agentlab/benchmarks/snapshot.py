"""Regenerate metadata/ from the installed BrowserGym packages: `python -m agentlab.benchmarks.snapshot`.

Needs browsergym-experiments (its task tables) and browsergym-workarena (its curricula); a study
needs neither to be planned. Run it after changing either pin in pyproject.toml.
"""

from __future__ import annotations

import csv
import gzip
import importlib.metadata
import io

from .metadata import BROWSERGYM_TABLES, METADATA_DIR, WORKARENA_CURRICULUM, Rows

# The evaluation curricula of BrowserGym's workarena_l1/l2/l3 benchmarks (and of AgentLab's).
WORKARENA_META_SEED = 42
WORKARENA_L1_SEEDS_PER_TASK = 10


def installed_browsergym_table(table: str) -> bytes:
    """The bytes of BrowserGym's metadata table `table` in the installed browsergym-experiments.

    Read as a file of the distribution: importing browsergym.experiments needs undeclared packages.
    """
    distribution = importlib.metadata.distribution("browsergym-experiments")
    filename = BROWSERGYM_TABLES[table].removesuffix(".gz")
    return distribution.locate_file(f"browsergym/experiments/benchmark/metadata/{filename}").read_bytes()


def installed_workarena_curriculum() -> Rows:
    """(level, task_name, seed) of WorkArena's agent evaluation curricula, in curriculum order."""
    from browsergym.workarena import get_all_tasks_agents

    rows = []
    for level in ("l1", "l2", "l3"):
        pairs = get_all_tasks_agents(
            filter=level,
            meta_seed=WORKARENA_META_SEED,
            n_seed_l1=WORKARENA_L1_SEEDS_PER_TASK,
            is_agent_curriculum=True,
        )
        rows += [{"level": level, "task_name": task.get_task_id(), "seed": str(seed)} for task, seed in pairs]
    return rows


def csv_text(rows: Rows) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_snapshot() -> list[str]:
    """Write every metadata file from the installed packages; return one line per file written."""
    from ..io import write_bytes_atomic

    lines = []
    for table, filename in BROWSERGYM_TABLES.items():
        data = installed_browsergym_table(table)
        if filename.endswith(".gz"):
            data = gzip.compress(data, compresslevel=9, mtime=0)  # same bytes for the same table
        write_bytes_atomic(METADATA_DIR / filename, data)
        lines.append(f"{filename}: {len(data):,} bytes")
    curriculum = installed_workarena_curriculum()
    write_bytes_atomic(METADATA_DIR / WORKARENA_CURRICULUM, csv_text(curriculum).encode("utf-8"))
    lines.append(f"{WORKARENA_CURRICULUM}: {len(curriculum)} episodes")
    return lines


if __name__ == "__main__":
    for line in write_snapshot():
        print(line)
