"""Runs an episode in a child process and owns its results: time limits, kills, atomic placement.

The worker child runs the episode in its own process group and reports each phase on a pipe.
The supervisor enforces the per-phase and per-episode time limits from outside (a hung page or
LLM call cannot stop it), kills every process of the episode when it ends, and is the only writer
of the episode folder: step records are staged, then renamed into place, `summary.json` last.
The worker's output of every attempt is appended to the folder's `episode.log` (Snakemake
truncates a job's `log:` before each retry).

Exit codes (the contract with Snakemake's `retries:`):
  0  a final summary was written (any status; infra errors on the last attempt are final);
  3  an infrastructure error on a non-final attempt: recorded under `attempts/`, retry it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO

from ..io import remove_stale_temporaries, write_json_atomic
from ..layout import ATTEMPTS_DIR, EPISODE_LOG, SCREENSHOTS_DIR, STAGING_DIR, STEPS_FILE, SUMMARY_FILE
from ..proctree import descendants
from .spec import EpisodeSpec, RunLimits

EXIT_FINAL = 0
EXIT_RETRY = 3
FINAL_STATUSES = ("success", "failure", "agent_error")  # never retried; infra_error is, until the last attempt


def versions(chromium: str | None) -> dict[str, str | None]:
    from importlib.metadata import version

    from .. import __version__

    return {
        "agentlab": __version__,
        "browsergym": version("browsergym-core"),
        "playwright": version("playwright"),
        "chromium": chromium,
        "python": sys.version.split()[0],
    }


PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> None:
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def become_subreaper() -> None:
    """Adopt orphaned descendants (Chromium's helpers outlive their parents) so we can kill and reap them."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1)


def _die_with_parent() -> None:
    """In the worker: be killed if the supervisor dies (kill -9 of the run), taking the browser along."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _reap(pids: set[int], timeout_s: float = 10.0) -> None:
    """Wait for the killed `pids`: ours to reap, or gone (reaped by their own dying parent)."""
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


def _kill(pids: set[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def kill_episode_processes(process: subprocess.Popen, unrelated: set[int]) -> int | None:
    """SIGKILL the worker and every process of its episode, reap them; return the worker's exit code.

    Playwright starts Chromium in a session of its own and Chromium's crash handlers detach from
    their parents, so the episode is the worker's process tree plus the orphans we adopted as
    subreaper: our descendants minus the `unrelated` ones that existed before the worker.
    """
    tree = set(descendants(process.pid))
    _kill(tree | {process.pid})
    returncode = process.wait()
    adopted = set(descendants(os.getpid())) - unrelated - {process.pid}
    _kill(adopted)
    _reap(tree | adopted)
    return returncode


def _timeout_outcome(message: str) -> dict[str, Any]:
    return {
        "status": "infra_error",
        "stop_reason": "timeout",
        "error": {"type": "EpisodeTimeout", "message": message, "traceback": ""},
    }


class _Tee:
    """Copies the worker's output to the episode log (kept across attempts) and to our stderr."""

    def __init__(self, log: BinaryIO | None):
        self.log = log

    def write(self, data: bytes) -> None:
        for stream in (self.log, sys.stderr.buffer):
            if stream is not None:
                stream.write(data)
                stream.flush()


def watch_worker(spec: EpisodeSpec, limits: RunLimits, staging: Path, tee: _Tee) -> dict[str, Any]:
    """Run the worker; return its outcome, or an infra-error outcome if it hung or died."""
    become_subreaper()
    unrelated = set(descendants(os.getpid()))
    events, events_write = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-m", "agentlab.episode.worker", "--spec", spec.to_json(),
         "--dir", str(staging), "--events-fd", str(events_write)],
        pass_fds=(events_write,),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    os.close(events_write)
    output = process.stdout.fileno()
    started = time.monotonic()
    phase, phase_started = "start", started
    outcome: dict[str, Any] | None = None
    timeout: str | None = None
    buffer = b""
    readable = {events, output}
    while events in readable:  # until the worker closes its events pipe (it is exiting)
        now = time.monotonic()
        step_left = limits.step_timeout_s - (now - phase_started)
        episode_left = limits.episode_timeout_s - (now - started)
        if step_left <= 0 or episode_left <= 0:
            limit = (f"step_timeout_s={limits.step_timeout_s:g}" if step_left <= 0
                     else f"episode_timeout_s={limits.episode_timeout_s:g}")
            timeout = f"{phase} exceeded {limit}"
            break
        for fd in select.select(list(readable), [], [], min(step_left, episode_left))[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                readable.discard(fd)
            elif fd == output:
                tee.write(chunk)
            else:
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    message = json.loads(line)
                    if message["event"] == "phase":
                        phase = f"{message['phase']} (step {message['step']})"
                        phase_started = time.monotonic()
                    elif message["event"] == "outcome":
                        outcome = message["outcome"]
    if timeout is None:
        try:
            process.wait(timeout=max(1.0, limits.step_timeout_s - (time.monotonic() - phase_started)))
        except subprocess.TimeoutExpired:
            pass
    returncode = kill_episode_processes(process, unrelated)  # nothing of the episode outlives it
    while output in readable and select.select([output], [], [], 1.0)[0]:  # the output's last words
        chunk = os.read(output, 65536)
        if not chunk:
            break
        tee.write(chunk)
    os.close(events)
    process.stdout.close()
    if timeout is not None:
        return _timeout_outcome(timeout)
    if outcome is None:
        return {
            "status": "infra_error",
            "stop_reason": "error",
            "error": {"type": "WorkerDied", "message": f"episode worker exited with code {returncode} during {phase}",
                      "traceback": ""},
        }
    return outcome


def _place(staging: Path, target: Path) -> None:
    """Move the staged step records into `target`, replacing any stale ones."""
    target.mkdir(parents=True, exist_ok=True)
    for name in (STEPS_FILE, SCREENSHOTS_DIR):
        old = target / name
        if old.is_dir():
            shutil.rmtree(old)
        elif old.exists():
            old.unlink()
        if (staging / name).exists():
            os.replace(staging / name, old)


def build_summary(spec: EpisodeSpec, limits: RunLimits, outcome: dict[str, Any], started: float) -> dict[str, Any]:
    defaults = {"reward": 0.0, "success": False, "n_steps": 0, "terminated": False, "truncated": False,
                "goal": None, "agent_stats": {}, "timings": {}, "config_hash": None, "agent_args": None}
    outcome = {**defaults, **outcome}
    return {
        "study": spec.study,
        "benchmark": spec.benchmark,
        "agent": spec.agent_name,
        "task": spec.task,
        "seed": spec.seed,
        "max_steps": spec.max_steps,
        **{key: value for key, value in outcome.items() if key != "chromium_version"},
        "elapsed_s": time.time() - started,
        "attempt": limits.attempt,
        "max_attempts": limits.max_attempts,
        "started_at": dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "host": socket.gethostname(),
        "versions": versions(outcome.get("chromium_version")),
        "spec": json.loads(spec.to_json()),
    }


def run_supervised(spec: EpisodeSpec, limits: RunLimits, episode_dir: Path, debug: bool = False) -> int:
    """Run one episode into `episode_dir`; return the exit code of the contract above."""
    started = time.time()
    episode_dir.mkdir(parents=True, exist_ok=True)
    staging = episode_dir / STAGING_DIR
    if staging.exists():  # left by a run that was killed: partial by definition
        shutil.rmtree(staging)
    remove_stale_temporaries(episode_dir)
    staging.mkdir()
    with open(episode_dir / EPISODE_LOG, "ab") as log:
        tee = _Tee(None if debug else log)
        tee.write(f"=== attempt {limits.attempt}/{limits.max_attempts} started "
                  f"{dt.datetime.now(dt.timezone.utc).isoformat()} on {socket.gethostname()}\n".encode())
        if debug:
            from .loop import run_episode

            outcome = run_episode(spec, staging, raise_errors=True)
        else:
            outcome = watch_worker(spec, limits, staging, tee)
        summary = build_summary(spec, limits, outcome, started)
        error = f": {summary['error']['type']}: {summary['error']['message']}" if summary["error"] else ""
        tee.write(f"=== attempt {limits.attempt}/{limits.max_attempts} ended: {summary['status']}{error}\n".encode())

        if summary["status"] == "infra_error" and limits.attempt < limits.max_attempts:
            stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
            failed = episode_dir / ATTEMPTS_DIR / f"{stamp}-attempt{limits.attempt}"
            failed.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(staging / SUMMARY_FILE, summary)
            os.replace(staging, failed)
            tee.write(f"infra error on attempt {limits.attempt}/{limits.max_attempts}, kept in {failed}; "
                      "exiting for a retry\n".encode())
            return EXIT_RETRY

    _place(staging, episode_dir)
    shutil.rmtree(staging)
    write_json_atomic(episode_dir / SUMMARY_FILE, summary)  # last: its presence means finished
    return EXIT_FINAL
