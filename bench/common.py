"""Helpers shared by the benchmark scripts: the repo's tools, synthetic studies, process memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).absolute().parent  # the venv (absolute: jobs run in other folders)


def tool_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **extra}


def snakemake(workdir: Path, config: dict, *args: str, env: dict | None = None) -> float:
    """Run the real workflow on `config` in `workdir`; return its wall time in seconds."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.yaml").write_text(json.dumps(config))
    command = [str(BIN / "snakemake"), "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
               "--configfile", str(workdir / "config.yaml"), *args]
    started = time.monotonic()
    subprocess.run(command, env=env or tool_env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def machine_load() -> str:
    return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


def agentlab_interpreter() -> tuple[str, dict[str, str]]:
    """ServiceNow AgentLab 0.4.2's python (installed on first use, as `agentlab bridge install`) and
    the environment it runs in offline: the bridge's, so benches and episodes run it the same way."""
    from agentlab.agents.bridge import AgentLabEnvironment
    from agentlab.agents.bridge.agent import host_environment

    environment = AgentLabEnvironment.configured()
    print(environment.install(), flush=True)
    return str(environment.python), host_environment(environment)
