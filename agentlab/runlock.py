"""Crash recovery without a new command: a Snakemake lock left by a killed run is removed before the
next run starts; a lock held by a live run in the same folder never is.

Snakemake locks its working folder (.snakemake/locks) for the length of a run and leaves the lock
behind when killed (kill -9, a lost terminal), after which every run asks for `--unlock`.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .proctree import command_line, is_snakemake

LOCKS_DIR = Path(".snakemake") / "locks"


class RunInProgress(ConfigError):
    """A live Snakemake run works in the folder: its lock is not stale."""


@dataclass(frozen=True)
class SnakemakeProcess:
    pid: int
    command: str


def snakemake_processes(directory: Path) -> list[SnakemakeProcess]:
    """Live Snakemake processes (this machine, this user's view of /proc) whose working folder is `directory`."""
    directory = directory.resolve()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if Path(os.readlink(entry / "cwd")) != directory:
                continue
            argv = command_line(int(entry.name))
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):  # gone meanwhile, or not ours to read
            continue
        if state != "Z" and is_snakemake(argv):
            found.append(SnakemakeProcess(int(entry.name), " ".join(argv)))
    return sorted(found, key=lambda process: process.pid)


def remove_stale_lock(directory: Path) -> str | None:
    """Remove the Snakemake lock of `directory` if no live Snakemake run holds it; return the one line
    saying so (None: there was no lock). RunInProgress (one line with its pid) if a live run works there."""
    locks = directory / LOCKS_DIR
    if not locks.is_dir() or not any(locks.iterdir()):
        return None
    live = snakemake_processes(directory)
    if live:
        raise RunInProgress(
            f"a run is in progress in {directory.resolve()} (snakemake pid {live[0].pid}); "
            "wait for it to finish or stop it (Ctrl-C, or kill -INT that pid), then run again"
        )
    shutil.rmtree(locks)
    return (
        f"removed the lock left by an interrupted run in {directory.resolve()} (no snakemake works there); "
        "its finished episodes are kept"
    )
