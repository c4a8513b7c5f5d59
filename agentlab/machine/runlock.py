"""Crash recovery without a new command: a Snakemake lock left by a killed run is removed before the
next run starts; a lock held by a live run in the same folder never is. And one run of a study at a time.

Snakemake locks its working folder (.snakemake/locks) for the length of a run and leaves the lock
behind when killed (kill -9, a lost terminal), after which every run asks for `--unlock`. It is no
guard against a second run of a live study, though: any run ending in the folder (another study's)
deletes the whole .snakemake/locks, the live run's lock included. So each run also holds a lock of
its study of ours (`hold_study_lock`), which the kernel releases when the run's process ends.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ConfigError
from .proctree import command_line, is_snakemake

LOCKS_DIR = Path(".snakemake") / "locks"
STUDY_LOCKS_DIR = Path(".agentlab") / "studies"  # <study>.lock, holding the pid of the run that holds it

_held_study_locks: list[int] = []  # open for the rest of the process: closing one would release it


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


def hold_study_lock(study: str, directory: Path) -> None:
    """Lock `study` in `directory` until this process (the Snakemake run) ends; RunInProgress (one line
    with the holder's pid) if a live run of the same study holds it, whatever other runs did meanwhile."""
    folder = directory / STUDY_LOCKS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    lock = os.open(folder / f"{study}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(lock, 32).decode(errors="replace").strip()
        os.close(lock)
        raise RunInProgress(
            f"study {study!r} is already running in {directory.resolve()} (snakemake pid {holder}); "
            "wait for it to finish or stop it (Ctrl-C, or kill -INT that pid), then run again"
        ) from None
    os.ftruncate(lock, 0)
    os.write(lock, f"{os.getpid()}\n".encode())
    _held_study_locks.append(lock)
