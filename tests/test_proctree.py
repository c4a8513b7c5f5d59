"""Process trees from /proc: real child processes, real memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from agentlab.machine.proctree import PeakPssSampler, descendants, marked, pss_kib, pss_mb, tree

# every test starts real child interpreters
pytestmark = pytest.mark.slow

# A child that starts a grandchild holding 200 MiB of written (resident) memory for a while.
GRANDCHILD = "import time; data = b'x' * (200 << 20); print('ready', flush=True); time.sleep(3)"
CHILD = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {GRANDCHILD!r}])"


def wait_for_grandchild(child: subprocess.Popen) -> None:
    assert child.stdout.readline().strip() == "ready"


def kill_tree(child: subprocess.Popen) -> None:
    for pid in [*descendants(child.pid), child.pid]:
        os.kill(pid, signal.SIGKILL)
    child.wait()


def test_descendants_include_grandchildren_and_their_memory():
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    try:
        wait_for_grandchild(child)
        ours = descendants(os.getpid())
        assert child.pid in ours
        grandchildren = descendants(child.pid)
        assert len(grandchildren) == 1 and grandchildren[0] in ours
        assert pss_kib(grandchildren[0]) > 200 * 1024
        assert pss_mb(tree(os.getpid())) > 200 + pss_kib(os.getpid()) / 1024
    finally:
        kill_tree(child)


def test_marked_finds_descendants_whose_environment_lost_the_marker():
    """Chromium's zygote children have no readable environment: they count as descendants of the marked browser."""
    marker = f"proctree-{os.getpid()}-{time.monotonic_ns()}"
    bare = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {GRANDCHILD!r}], env={{}})"
    child = subprocess.Popen(
        [sys.executable, "-c", bare],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "AGENTLAB_PROCTREE_MARK": marker},
    )
    unmarked = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
    try:
        wait_for_grandchild(child)
        grandchild = descendants(child.pid)[0]
        assert b"AGENTLAB_PROCTREE_MARK" not in open(f"/proc/{grandchild}/environ", "rb").read()
        assert marked(marker, "AGENTLAB_PROCTREE_MARK") == sorted([child.pid, grandchild])
    finally:
        kill_tree(child)
        unmarked.kill()
        unmarked.wait()


def test_peak_sampler_keeps_the_peak_after_the_memory_is_gone():
    baseline_mb = pss_mb(tree(os.getpid()))
    with PeakPssSampler(interval_s=0.05) as memory:
        child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
        wait_for_grandchild(child)
        time.sleep(0.3)
        kill_tree(child)
    assert memory.peak_mb > baseline_mb + 190
    assert pss_mb(tree(os.getpid())) < memory.peak_mb - 150


def test_pss_of_an_ended_process_is_zero():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    assert pss_kib(process.pid) == 0
