"""Process trees read from /proc (Linux): find them, kill them, wait until they are gone, measure them.

Standard library only and no imports from this package: bench/peer/ loads this file by path in
ServiceNow AgentLab's venv (whose package is also named `agentlab`), so both frameworks' memory
is measured by the same code.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterable

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> None:
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def become_subreaper() -> None:
    """Adopt orphaned descendants (Chromium's crash handlers detach from their parents) to kill and reap them."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1)


def die_with_parent() -> None:
    """Be killed when the parent dies (kill -9 of the run), taking the browser along."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def descendants(root: int, spare_shared: bool = False) -> list[int]:
    """PIDs of every live descendant of `root`; with `spare_shared`, not the machine-wide servers started
    from its tree (a bridge fork server) nor their processes: they serve other episodes too."""
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
            if spare_shared and is_shared_server(command_line(child)):
                continue
            found.append(child)
            stack.append(child)
    return found


def kill(pids: set[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def wait_gone(pids: set[int], timeout_s: float = 10.0) -> None:
    """Wait for killed `pids`: ours to reap, others until /proc no longer lists them."""
    deadline = time.monotonic() + timeout_s
    while pids and time.monotonic() < deadline:
        for pid in list(pids):
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    pids.discard(pid)
            except ChildProcessError:  # not our child (yet): its parent may still be dying
                if not os.path.exists(f"/proc/{pid}"):
                    pids.discard(pid)
        if pids:
            time.sleep(0.01)


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


def command_line(pid: int) -> list[str]:
    """The arguments `pid` runs with ([] if it is gone or not ours to read)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def is_shared_server(argv: list[str]) -> bool:
    """Whether a command line runs the bridge's fork server (`host.py --zygote`) or a host it forked."""
    return "--zygote" in argv and any(arg.endswith(os.path.join("bridge", "host.py")) for arg in argv)


def is_snakemake(argv: list[str]) -> bool:
    """Whether a command line runs Snakemake (its script, or `python -m snakemake`), not a job it started."""
    head = [os.path.basename(arg) for arg in argv[:2]]
    return "snakemake" in head or argv[1:3] == ["-m", "snakemake"]


def run_owner(pid: int | None = None) -> int | None:
    """The Snakemake process `pid` (default: us) runs under, its nearest such ancestor; None outside one.
    The servers a run starts (warm episode servers, the local LLM server) end with it."""
    pid = os.getpid() if pid is None else pid
    while pid > 1:
        if is_snakemake(command_line(pid)):
            return pid
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                pid = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except OSError:
            return None
    return None


def exit_watch(pid: int | None) -> int | None:
    """A pidfd of `pid`: readable (select) once it has exited. None if there is no such process."""
    if pid is None:
        return None
    try:
        return os.pidfd_open(pid)
    except ProcessLookupError:
        return os.open("/dev/null", os.O_RDONLY)  # gone already: always readable
    except OSError:  # no pidfd support in this kernel
        return None


def tree(root: int) -> list[int]:
    """`root` and its descendants."""
    return [root, *descendants(root)]


def marked(marker: str, variable: str = "AGENTLAB_BENCH_MARK") -> list[int]:
    """Processes whose environment has `variable=marker`, and their descendants, wherever they sit
    in the process tree.

    Warm episode servers outlive the supervisor that started them and leave its tree; the marker,
    inherited by the processes they start, still finds them. Chromium's zygote overwrites its
    environment block with its process title, so its renderers, GPU and utility processes carry
    no readable marker: they are found as descendants of the marked browser process.
    """
    needle = f"{variable}={marker}".encode()
    found: list[int] = []
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    children.setdefault(int(handle.read().rsplit(b")", 1)[1].split()[1]), []).append(int(entry))
                with open(f"/proc/{entry}/environ", "rb") as handle:
                    if needle in handle.read().split(b"\0"):
                        found.append(int(entry))
            except (OSError, IndexError):
                continue
    seen, stack = set(found), list(found)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return sorted(seen)


def pss_mb(pids: Iterable[int]) -> float:
    """PSS of the processes `pids` in MiB: Chromium's processes share pages, PSS counts them once."""
    return sum(pss_kib(pid) for pid in pids) / 1024


class PeakPssSampler:
    """Samples the PSS of a set of processes every `interval_s` in a thread and keeps the peak (MiB).

    The set is `pids()` at each sample: by default this process's tree. Use as a context manager
    around the work to measure, then read `peak_mb`. Processes that leave the tree (Chromium's
    crashpad handlers re-parent to init, ~0.6 MB each) are not counted unless an ancestor in the
    tree is a child subreaper, or `pids` finds them otherwise (see `marked`).
    """

    def __init__(self, pids: Callable[[], Iterable[int]] | None = None, interval_s: float = 0.2):
        root = os.getpid()
        self.pids = pids or (lambda: tree(root))
        self.interval_s = interval_s
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="pss-sampler", daemon=True)

    def _sample(self) -> None:
        while True:
            self.peak_mb = max(self.peak_mb, pss_mb(self.pids()))
            if self._stop.wait(self.interval_s):
                return

    def __enter__(self) -> PeakPssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
