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


# Ten MiniWoB++ tasks every side-by-side bench runs: quick ones, with one to three actions each.
MINIWOB_TASKS = [
    "click-test",
    "click-button",
    "click-link",
    "focus-text",
    "enter-text",
    "click-checkboxes",
    "click-dialog",
    "click-option",
    "enter-password",
    "login-user",
]


def snakemake_command(workdir: Path, *args: str) -> list[str]:
    """The real workflow run in `workdir` on its config.yaml."""
    return [
        str(BIN / "snakemake"),
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
        *args,
    ]


def peer_command(python: str, tasks: list[str], seeds: list[int], *options: str) -> list[str]:
    """The command running ServiceNow AgentLab 0.4.2 on MiniWoB `tasks` x `seeds` (bench/peer/agentlab_run.py)."""
    script = str(REPO / "bench" / "peer" / "agentlab_run.py")
    return [python, script, "--tasks", ",".join(tasks), "--seeds", ",".join(map(str, seeds)), *options]


def snakemake(workdir: Path, config: dict, *args: str, env: dict | None = None) -> float:
    """Run the real workflow on `config` in `workdir`; return its wall time in seconds."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.yaml").write_text(json.dumps(config))
    command = snakemake_command(workdir, *args)
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


def process_kind(pid: int) -> str:
    """What a process of a run is, for the CPU breakdown: its program, told apart by its command line."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "gone"
    line = b" ".join(argv).decode(errors="replace")
    kinds = [
        ("chromium", "chromium"),
        # cube-harness's Ray (bench/cube.py): the raylet's command line names its agents' scripts
        ("ray::DashboardAgent", "Ray dashboard agent"),
        ("ray::RuntimeEnvAgent", "Ray runtime-env agent"),
        ("ray::", "Ray worker"),
        ("/raylet/raylet", "Ray raylet"),
        ("gcs_server", "Ray GCS"),
        ("dashboard/agent.py", "Ray dashboard agent"),
        ("dashboard/dashboard.py", "Ray dashboard"),
        ("runtime_env/agent", "Ray runtime-env agent"),
        ("log_monitor.py", "Ray log monitor"),
        ("autoscaler/_private/monitor.py", "Ray monitor"),
        ("default_worker.py", "Ray worker"),
        ("cube_harness_run.py", "cube-harness main"),
        ("http.server", "MiniWoB page server"),
        ("snakemake", "snakemake"),
        ("agentlab.episode.warm_server", "episode server"),
        ("agentlab.episode.cold_worker", "cold worker"),
        ("agentlab episode", "supervisor"),
        ("bin/agentlab", "supervisor"),
        ("benchmarks/cube/host.py", "CUBE host"),
        ("host.py", "AgentLab agent host"),
        ("playwright", "playwright driver"),
        ("node", "playwright driver"),
        ("agentlab_run.py", "AgentLab main"),
        ("loky", "AgentLab joblib worker"),
        ("joblib", "AgentLab joblib worker"),
    ]
    kind = next((kind for needle, kind in kinds if needle in line), Path(argv[0].decode(errors="replace")).name or "?")
    if kind == "chromium":  # which of its processes: the browser, renderers (pages), GPU, network and storage
        kind += f" {line.split('--type=', 1)[1].split()[0]}" if "--type=" in line else " browser"
    return kind


class RunSampler:
    """Samples the processes of a run (those carrying `marker`, see agentlab.machine.proctree.marked) every
    `interval_s`: peak PSS (and, at the peak, PSS by `process_kind`), and CPU seconds per process
    (user + system, the last value seen before it exited: a process shorter than one interval is
    missed), grouped by `process_kind`."""

    def __init__(self, marker: str, interval_s: float = 0.2):
        import threading

        self.marker = marker
        self.interval_s = interval_s
        self.peak_mb = 0.0
        self.peak_by_kind_mb: dict[str, float] = {}
        self.cpu: dict[tuple[int, int], tuple[str, float]] = {}  # (pid, start tick) -> (kind, seconds)
        self._tick = os.sysconf("SC_CLK_TCK")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        from agentlab.machine.proctree import marked, pss_kib

        kinds: dict[int, str] = {}  # pid -> kind, for the PSS breakdown
        while True:
            pids = marked(self.marker)
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except (OSError, IndexError):
                    continue
                key = (pid, int(fields[19]))  # starttime: a reused pid is another process
                kind = process_kind(pid)  # each time: a forked child shows its parent's command line until it execs
                if kind in ("gone", "?") and key in self.cpu:  # exited (a zombie has no command line): keep its kind
                    kind = self.cpu[key][0]
                if kind != "gone":
                    self.cpu[key] = (kind, (int(fields[11]) + int(fields[12])) / self._tick)
                    kinds[pid] = kind
            pss = {pid: pss_kib(pid) / 1024 for pid in pids}
            if sum(pss.values()) > self.peak_mb:
                self.peak_mb = sum(pss.values())
                self.peak_by_kind_mb = {}
                for pid, mb in pss.items():
                    self.peak_by_kind_mb[kinds.get(pid, "?")] = self.peak_by_kind_mb.get(kinds.get(pid, "?"), 0.0) + mb
            if self._stop.wait(self.interval_s):
                return

    def cpu_seconds(self) -> float:
        return sum(seconds for _, seconds in self.cpu.values())

    def cpu_by_kind(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for kind, seconds in self.cpu.values():
            totals[kind] = totals.get(kind, 0.0) + seconds
        return dict(sorted(totals.items(), key=lambda item: -item[1]))

    def __enter__(self) -> RunSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
