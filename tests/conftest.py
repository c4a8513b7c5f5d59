"""Shared helpers: the repository's paths, a real Snakemake run in a temporary folder."""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from agentlab.machine.proctree import marked

REPO = Path(__file__).resolve().parents[1]
TRACES = REPO / "agentlab" / "agents" / "traces"  # solutions of MiniWoB tasks, REPLAY's default
BIN = Path(sys.executable).parent
REPLAY_TRACE = str(TRACES / "{benchmark}" / "{task}" / "seed{seed}.jsonl")
# Warm episode servers of a test exit soon after it, not after the default 15 s idle time.
os.environ["AGENTLAB_WARM_IDLE_S"] = "3"


def tool_env() -> dict[str, str]:
    """Environment in which Snakemake's jobs find this venv's `agentlab`."""
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def replay_agent(trace: str = REPLAY_TRACE) -> dict:
    return {"config": "agentlab.agents.replay.REPLAY", "overrides": {"trace": trace}}


def snakemake_command(workdir: Path, config: dict, *args: str, snakefile: Path = REPO / "Snakefile") -> list[str]:
    """Write `config` to `workdir`/config.yaml; return the command running the real workflow on it."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "config.yaml"
    config_path.write_text(yaml.safe_dump(config))
    return [
        str(BIN / "snakemake"),
        "--snakefile",
        str(snakefile),
        "--directory",
        str(workdir),
        "--configfile",
        str(config_path),
        *args,
    ]


def run_snakemake(workdir: Path, config: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real workflow on `config` in `workdir` (no mocks); return the finished process."""
    command = snakemake_command(workdir, config, "--cores", "2", *args)
    process = subprocess.run(command, capture_output=True, text=True, env=tool_env())
    if check and process.returncode != 0:
        raise AssertionError(f"snakemake failed ({process.returncode}):\n{process.stdout}\n{process.stderr}")
    return process


def planned_jobs(workdir, config, *args):
    """{rule: count} that a dry run of the workflow would execute."""
    process = run_snakemake(workdir, config, "--dry-run", "--quiet", "rules", *args)
    counts = {}
    for line in process.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("total", "job"):
            counts[parts[0]] = int(parts[1])
    return counts


def chromium_processes(marker: str) -> list[int]:
    """PIDs of live (not zombie) Chromium processes started under `marker` (see `process_marker`).

    Other programs on the machine may run browsers too; only ours carry the marker in their environment.
    """
    pids = []
    for pid in marked(marker, "AGENTLAB_TEST_MARK"):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name, state = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2]
        if name.startswith("chrom") and state != "Z":
            pids.append(pid)
    return pids


@contextlib.contextmanager
def chromium():
    """Debian's Chromium with our flags, driven by Playwright directly (for tests of pages)."""
    from playwright.sync_api import sync_playwright

    from agentlab.browser.chromium import EXTRA_CHROMIUM_ARGS, find_chromium

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=list(EXTRA_CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def process_marker(monkeypatch) -> str:
    """A unique value in the environment of every process this test starts (Chromium included)."""
    marker = uuid.uuid4().hex
    monkeypatch.setenv("AGENTLAB_TEST_MARK", marker)
    return marker


CLOSED = "http://127.0.0.1:9"  # nothing listens on the discard port
BACKEND_PREFIXES = (
    "WA_",
    "VWA_",
    "SNOW_",
    "BROWSERGYM_WEBLINX",
    "HF_",
    "HUGGING_FACE",
    "TW_",
    "SERVICE_ACCOUNT_PATH",
    "GCP_PROJECT_ID",
    "DRIVE_SA_SECRET_ID",
    "TOKEN_PATH",
)


@pytest.fixture
def no_backend(monkeypatch):
    """An environment without any benchmark's backend variables, where the open web is unreachable."""
    for name in list(os.environ):
        if name.startswith(BACKEND_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HOME", "/nonexistent")  # no Hugging Face token file either
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(proxy, CLOSED)  # the open web, even where there is one
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


TINY_STUDY = {
    "study": "tiny",
    "benchmarks": {"miniwob": {"tasks": ["click-test", "click-button"], "seeds": [0, 1], "max_steps": 3}},
    "agents": {"replay": replay_agent()},
    "episode": {"retries": 1, "step_timeout_s": 120, "episode_timeout_s": 600},
}


@pytest.fixture
def tiny_study() -> dict:
    """Two MiniWoB tasks × two seeds, replayed: a real study that takes seconds."""
    return copy.deepcopy(TINY_STUDY)


@pytest.fixture(scope="session")
def finished_tiny_study(tmp_path_factory) -> Path:
    """A folder where the real workflow ran the tiny study once, shared by the tests that only need its outputs."""
    workdir = tmp_path_factory.mktemp("finished-tiny")
    run_snakemake(workdir, TINY_STUDY)
    return workdir


@pytest.fixture
def tiny_study_copy(finished_tiny_study, tmp_path) -> Path:
    """This test's own copy of the finished tiny study (files and Snakemake's records, times kept), to change freely."""
    workdir = tmp_path / "tiny"
    shutil.copytree(finished_tiny_study, workdir, symlinks=True)
    return workdir
