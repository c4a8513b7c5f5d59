"""Runs an episode in a child process and owns its results: time limits, kills, atomic placement.

The worker child runs the episode in its own process group and reports each phase on a pipe.
The supervisor enforces the per-phase and per-episode time limits from outside (a hung page or
LLM call cannot stop it), kills every process of the episode when it ends, and is the only writer
of the episode folder: step records are staged, then renamed into place, `summary.json` last.
The worker's output of every attempt is appended to the folder's `episode.log` (Snakemake
truncates a job's `log:` before each retry).

Exit codes (the contract with Snakemake's `retries:`):
  0  a final summary was written (any status; infra and evaluation errors on the last attempt are final);
  3  an infrastructure or evaluation error on a non-final attempt: recorded under `attempts/`, retry it;
     or an episode that could not be written (no space left on the device): nothing of it is kept;
  4  the study's spend reached `budget.max_cost_usd`: nothing ran, nothing was written;
  128 + signal  stopped by SIGINT (Ctrl-C) or SIGTERM (a cluster's job killer): the episode's processes
     are killed and nothing of it is kept, so the next run starts it afresh.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import select
import shutil
import signal
import socket
import sys
import time
from pathlib import Path
from typing import BinaryIO

from ..core.budget import read_spend, record_spend
from ..core.files import remove_stale_temporaries, write_json_atomic
from ..core.layout import (
    ATTEMPTS_DIR,
    EPISODE_LOG,
    OBSERVATIONS_DIR,
    SCREENSHOTS_DIR,
    STAGING_DIR,
    STEPS_FILE,
    SUMMARY_FILE,
)
from ..core.masking import declared_key_names, key_values, mask_keys_in
from ..core.records import RETRIED_STATUSES, EpisodeOutcome, EpisodeSummary
from ..core.revision import run_provenance
from .spec import EpisodeSpec, RunLimits

STEP_RECORDS = (STEPS_FILE, SCREENSHOTS_DIR, OBSERVATIONS_DIR)  # staged, then placed beside summary.json
EXIT_FINAL = 0
EXIT_RETRY = 3
EXIT_BUDGET = 4  # the study's budget is spent: the episode did not start
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(BaseException):
    """The run was stopped by a signal (not an error of the episode: nothing is recorded)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stopped(signum: int, frame: object) -> None:
    for other in STOP_SIGNALS:  # one stop is enough: a second (Snakemake forwards its own) must not cut the cleanup
        signal.signal(other, signal.SIG_IGN)
    raise Stopped(signum)


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


class _Tee:
    """Copies the worker's output to the episode log (kept across attempts) and to our stderr, whole
    lines at a time with key values masked (a key split between two reads is masked too)."""

    MAX_PENDING = 65536  # a longer unfinished line is written as it is

    def __init__(self, log: BinaryIO | None):
        self.log = log
        self.keys = {value.encode(): f"[${name}]".encode() for value, name in key_values().items()}
        self.pending = b""

    def write(self, data: bytes) -> None:
        data, self.pending = self.pending + data, b""
        if not data.endswith(b"\n") and len(data) < self.MAX_PENDING:
            data, newline, self.pending = data.rpartition(b"\n")
            data += newline
        for value, mask in self.keys.items():
            data = data.replace(value, mask)
        if not data:
            return
        if self.log is not None:
            try:
                self.log.write(data)
                self.log.flush()
            except OSError:  # a full disk: the log stops, stderr (Snakemake's job log) goes on
                self.log = None
        sys.stderr.buffer.write(data)
        sys.stderr.buffer.flush()


def watch_worker(spec: EpisodeSpec, limits: RunLimits, staging: Path, tee: _Tee) -> EpisodeOutcome:
    """Run the episode in a worker; return its outcome, or an infra-error outcome if it hung or died."""
    from .workers import ColdWorker, WarmWorker

    try:
        worker = (WarmWorker if limits.warm else ColdWorker)(spec, staging, limits.budget)
    except (OSError, RuntimeError) as error:
        return EpisodeOutcome.failed("infra_error", "error", "WorkerUnavailable", str(error))
    try:
        return _watch(worker, limits, tee)
    except Stopped:
        worker.kill()  # nothing of the episode outlives the run
        worker.close()
        raise


def _watch(worker, limits: RunLimits, tee: _Tee) -> EpisodeOutcome:
    started = time.monotonic()
    phase, phase_started = "start", started
    outcome: EpisodeOutcome | None = None
    timeout: str | None = None
    buffer = b""
    readable = {worker.events, worker.output}
    while worker.events in readable:  # until the worker closes its events pipe (the episode is over)
        now = time.monotonic()
        step_left = limits.step_timeout_s - (now - phase_started)
        episode_left = limits.episode_timeout_s - (now - started)
        if step_left <= 0 or episode_left <= 0:
            limit = (
                f"step_timeout_s={limits.step_timeout_s:g}"
                if step_left <= 0
                else f"episode_timeout_s={limits.episode_timeout_s:g}"
            )
            timeout = f"{phase} exceeded {limit}"
            break
        for fd in select.select(list(readable), [], [], min(step_left, episode_left))[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                readable.discard(fd)
            elif fd == worker.output:
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
                        outcome = EpisodeOutcome.from_dict(message["outcome"])
    if timeout is not None or outcome is None:
        returncode = worker.kill()  # nothing of the episode outlives it
    else:
        returncode = worker.finish(max(1.0, limits.step_timeout_s - (time.monotonic() - phase_started)))
    while worker.output in readable and select.select([worker.output], [], [], 1.0)[0]:  # last words
        chunk = os.read(worker.output, 65536)
        if not chunk:
            break
        tee.write(chunk)
    worker.close()
    if timeout is not None:
        return EpisodeOutcome.failed("infra_error", "timeout", "EpisodeTimeout", timeout)
    if outcome is None:
        return EpisodeOutcome.failed(
            "infra_error", "error", "WorkerDied", f"episode worker exited with code {returncode} during {phase}"
        )
    return outcome


def _place(staging: Path, target: Path) -> None:
    """Move the staged step records into `target`, replacing any stale ones."""
    target.mkdir(parents=True, exist_ok=True)
    for name in STEP_RECORDS:
        old = target / name
        if old.is_dir():
            shutil.rmtree(old)
        elif old.exists():
            old.unlink()
        if (staging / name).exists():
            os.replace(staging / name, old)


def build_summary(spec: EpisodeSpec, limits: RunLimits, outcome: EpisodeOutcome, started: float) -> EpisodeSummary:
    """The episode's summary, with the values of the key variables its agent needs masked (an LLM
    error may repeat the key it was sent): what the tables and the report show of it."""
    summary = EpisodeSummary(
        study=spec.study,
        benchmark=spec.benchmark,
        agent=spec.agent_name,
        task=spec.task,
        seed=spec.seed,
        max_steps=spec.max_steps,
        outcome=outcome,
        elapsed_s=time.time() - started,
        attempt=limits.attempt,
        max_attempts=limits.max_attempts,
        started_at=dt.datetime.fromtimestamp(started, dt.UTC).isoformat(),
        finished_at=dt.datetime.now(dt.UTC).isoformat(),
        host=socket.gethostname(),
        slurm_job_id=os.environ.get("SLURM_JOB_ID"),
        versions=versions(outcome.chromium_version),
        spec=json.loads(spec.to_json()),
        provenance=run_provenance(Path.cwd()),  # the study run's (exported once), else the working folder's
    )
    keys = key_values(declared_key_names(outcome.agent_args))
    text = json.dumps(summary.to_dict(), default=str)
    if any(value in text for value in keys):
        return EpisodeSummary.from_dict(mask_keys_in(summary.to_dict(), keys))
    return summary


def run_supervised(spec: EpisodeSpec, limits: RunLimits, episode_dir: Path, debug: bool = False) -> int:
    """Run one episode into `episode_dir`; return the exit code of the contract above."""
    if limits.study_dir is not None and limits.budget.max_cost_usd is not None:
        spend = read_spend(Path(limits.study_dir))
        if spend.cost_usd >= limits.budget.max_cost_usd:
            print(f"agentlab: {spend.message(spec.study, limits.budget.max_cost_usd)}", file=sys.stderr, flush=True)
            return EXIT_BUDGET
    previous = {signum: signal.signal(signum, _raise_stopped) for signum in STOP_SIGNALS}
    try:
        return _run_supervised(spec, limits, episode_dir, debug)
    except Stopped as stopped:
        shutil.rmtree(episode_dir / STAGING_DIR, ignore_errors=True)  # partial by definition
        print(
            f"agentlab: episode stopped by {stopped}: nothing recorded, the next run starts it again", file=sys.stderr
        )
        return 128 + stopped.signum
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        _discard_attempt(episode_dir / STAGING_DIR, episode_dir)
        print(
            f"agentlab: cannot write the episode in {episode_dir}: {error.strerror}; nothing of it kept "
            "(free space, then run again)",
            file=sys.stderr,
        )
        return EXIT_RETRY
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run_supervised(spec: EpisodeSpec, limits: RunLimits, episode_dir: Path, debug: bool) -> int:
    started = time.time()
    episode_dir.mkdir(parents=True, exist_ok=True)
    staging = episode_dir / STAGING_DIR
    if staging.exists():  # left by a run that was killed: partial by definition
        shutil.rmtree(staging)
    remove_stale_temporaries(episode_dir)
    staging.mkdir()
    with open(episode_dir / EPISODE_LOG, "ab") as log:
        tee = _Tee(None if debug else log)
        tee.write(
            f"=== attempt {limits.attempt}/{limits.max_attempts} started "
            f"{dt.datetime.now(dt.UTC).isoformat()} on {socket.gethostname()}\n".encode()
        )
        if debug:
            from .loop import run_episode

            outcome = run_episode(spec, staging, raise_errors=True, budget=limits.budget)
        else:
            outcome = watch_worker(spec, limits, staging, tee)
        summary = build_summary(spec, limits, outcome, started)
        if limits.study_dir is not None:
            record_spend(Path(limits.study_dir), str(episode_dir), limits.attempt, summary.outcome.agent_stats)
        error = f": {summary.outcome.error.type}: {summary.outcome.error.message}" if summary.outcome.error else ""
        tee.write(
            f"=== attempt {limits.attempt}/{limits.max_attempts} ended: {summary.outcome.status}{error}\n".encode()
        )

        return _record(summary, limits, staging, episode_dir, tee)


def _record(summary: EpisodeSummary, limits: RunLimits, staging: Path, episode_dir: Path, tee: _Tee) -> int:
    """Keep the attempt: under attempts/ if it is retried, else in place with its summary last."""
    if summary.outcome.status in RETRIED_STATUSES and limits.attempt < limits.max_attempts:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        failed = episode_dir / ATTEMPTS_DIR / f"{stamp}-attempt{limits.attempt}"
        failed.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(staging / SUMMARY_FILE, summary.to_dict())
        os.replace(staging, failed)
        tee.write(
            f"{summary.outcome.status.replace('_', ' ')} on attempt {limits.attempt}/{limits.max_attempts}, "
            f"kept in {failed}; exiting for a retry\n".encode()
        )
        return EXIT_RETRY

    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # a stop waits until the episode is whole
    try:
        _place(staging, episode_dir)
        shutil.rmtree(staging)
        write_json_atomic(episode_dir / SUMMARY_FILE, summary.to_dict())  # last: its presence means finished
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    return EXIT_FINAL


def _discard_attempt(staging: Path, episode_dir: Path) -> None:
    """Remove what an attempt that could not be recorded wrote: nothing partial stays in place."""
    shutil.rmtree(staging, ignore_errors=True)
    if not (episode_dir / SUMMARY_FILE).exists():  # placed step records without their summary
        for path in (episode_dir / name for name in STEP_RECORDS):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    remove_stale_temporaries(episode_dir)
