"""Machine-wide slots: at most N processes of a run inside one section at once (LLM requests to one
endpoint, page resets), whatever process they run in.

A slot is a lock file under the user's private runtime folder (`private_runtime`), held with `flock` for the section and
released by the kernel if the process dies, so a killed episode never leaks one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

from .private_runtime import user_runtime_dir

POLL_S = 0.05  # between looks for a free slot; the sections held are seconds long


def slots_dir(kind: str, key: str) -> Path:
    """The folder of `key`'s slots among those of `kind` ("requests", "resets"), made private if missing."""
    return user_runtime_dir(kind, hashlib.sha256(key.encode()).hexdigest()[:16])


@contextlib.contextmanager
def held_slot(kind: str, key: str, limit: int) -> Iterator[None]:
    """Hold one of `key`'s `limit` slots for the duration, waiting for one to be free."""
    directory = slots_dir(kind, key)
    fd = None
    while fd is None:
        start = random.randrange(limit)  # waiters spread over the slots
        for number in (start + i for i in range(limit)):
            candidate = os.open(directory / f"slot-{number % limit}", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(candidate, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fd = candidate
                break
            except BlockingIOError:
                os.close(candidate)
        else:
            time.sleep(POLL_S)
    try:
        yield
    finally:
        os.close(fd)  # releases the lock


RESETS_ENV = "AGENTLAB_MAX_CONCURRENT_RESETS"  # most page resets at once on this machine; unset: its CPUs


def max_concurrent_resets() -> int:
    """The study's `episode.max_concurrent_resets` (through RESETS_ENV), else the CPUs this process may use."""
    return int(os.environ.get(RESETS_ENV) or len(os.sched_getaffinity(0)))


def reset_slot() -> contextlib.AbstractContextManager[None]:
    """A reset (new browser context, page load, first observation) is the CPU-heaviest part of an
    episode; sixteen at once on two cores made MiniWoB's 5 s page-ready timeout expire, so resets
    queue for a slot while the rest of the episodes (mostly waiting on a model) go on."""
    return held_slot("resets", "machine", max_concurrent_resets())
