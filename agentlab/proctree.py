"""Process trees read from /proc (Linux): the descendants of a process and their memory.

Standard library only and no imports from this package: bench/peer/ loads this file by path in
ServiceNow AgentLab's venv (whose package is also named `agentlab`), so both frameworks' memory
is measured by the same code.
"""

from __future__ import annotations

import os
import threading


def descendants(root: int) -> list[int]:
    """PIDs of every live descendant of `root`."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def pss_kib(pid: int) -> int:
    """Proportional set size of one process in KiB (shared pages split among their users); 0 once it ended."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_pss_mb(root: int) -> float:
    """PSS of `root` and all its descendants in MiB: Chromium's processes share pages, PSS counts them once."""
    return sum(pss_kib(pid) for pid in [root, *descendants(root)]) / 1024


class PeakPssSampler:
    """Samples the PSS of a process tree every `interval_s` in a thread and keeps the peak (MiB).

    Use as a context manager around the work to measure, then read `peak_mb`. Processes that leave
    the tree (Chromium's crashpad handlers re-parent to init, ~0.6 MB each) are not counted unless
    an ancestor in the tree is a child subreaper.
    """

    def __init__(self, root: int | None = None, interval_s: float = 0.2):
        self.root = os.getpid() if root is None else root
        self.interval_s = interval_s
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="pss-sampler", daemon=True)

    def _sample(self) -> None:
        while True:
            self.peak_mb = max(self.peak_mb, tree_pss_mb(self.root))
            if self._stop.wait(self.interval_s):
                return

    def __enter__(self) -> "PeakPssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
