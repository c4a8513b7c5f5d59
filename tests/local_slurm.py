"""A real single-node SLURM cluster on localhost for the tests (Debian's slurm-wlm and munge).

Starts munged (unless one already answers), slurmctld and slurmd as root, with every file
(config, state, logs, pid files) under one folder and on free ports. The config is linked to
/etc/slurm/slurm.conf while the cluster runs: the Snakemake plugin's job step strips SLURM_CONF
from the environment of its nested `srun`, so only the default path reaches every SLURM command.
The node's address is given as 127.0.0.1, so its host name need not resolve. There is no
accounting database: profiles/slurm asks `squeue` for job states, and MinJobAge keeps finished
jobs visible to it (and to `scontrol show job`) for five minutes.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/tmp/agentlab-test-slurm")  # fixed, so a crashed run's daemons are found and stopped
SYSTEM_CONFIG = Path("/etc/slurm/slurm.conf")
CLUSTER = "agentlab-test"
PARTITION = "debug"
DAEMONS = ("slurmd", "slurmctld")  # stop order; each writes ROOT/<name>.pid


class SlurmSetupError(RuntimeError):
    """The local cluster did not come up; the message names the step and its log."""


@dataclass
class LocalSlurm:
    """A running cluster, reached by the ordinary SLURM commands through /etc/slurm/slurm.conf."""

    root: Path
    started_munged: bool = False

    def run(self, *command: str) -> subprocess.CompletedProcess:
        """Run a SLURM command (squeue, scontrol, scancel…) against this cluster; raise if it fails."""
        return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)

    def job(self, job_id: str) -> dict[str, str]:
        """`scontrol show job` as a dict (JobState, TimeLimit, NumCPUs, MinMemoryNode…)."""
        fields = self.run("scontrol", "show", "job", "--oneliner", job_id).stdout.split()
        return dict(field.split("=", 1) for field in fields if "=" in field)

    def cancel_all_jobs(self, timeout_s: float = 30.0) -> None:
        """Cancel whatever a failed test left queued or running, and wait until it is gone."""
        jobs = self.run("squeue", "-h", "-o", "%i").stdout.split()
        if jobs:
            self.run("scancel", *jobs)
            _wait_for(
                "cancelled jobs", lambda: not self.run("squeue", "-h", "-o", "%i").stdout.split(), None, timeout_s
            )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def short_hostname() -> str:
    return subprocess.run(["hostname", "-s"], capture_output=True, text=True, check=True).stdout.strip()


def slurm_conf(root: Path, hostname: str, cpus: int, memory_mb: int, ports: dict[str, int]) -> str:
    """The essentials that work without cgroups or systemd (task/affinity: with task/none every job logs
    "lacks support for cpu binding"; proctrack/linuxproc needs no cgroups)."""
    return "\n".join(
        [
            f"ClusterName={CLUSTER}",
            f"SlurmctldHost={hostname}(127.0.0.1)",
            f"SlurmctldPort={ports['slurmctld']}",
            f"SlurmdPort={ports['slurmd']}",
            "SlurmUser=root",
            "AuthType=auth/munge",
            "MpiDefault=none",
            f"StateSaveLocation={root}/state",
            f"SlurmdSpoolDir={root}/spool",
            f"SlurmctldPidFile={root}/slurmctld.pid",
            f"SlurmdPidFile={root}/slurmd.pid",
            f"SlurmctldLogFile={root}/slurmctld.log",
            f"SlurmdLogFile={root}/slurmd.log",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/affinity",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "DefMemPerCPU=1000",
            "MailProg=/bin/true",
            "MinJobAge=300",
            "ReturnToService=2",
            "KillWait=5",
            f"NodeName={hostname} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN",
            f"PartitionName={PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
            "",
        ]
    )


def _pid_of(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _is_running(pid: int, name: str) -> bool:
    try:
        return name in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def _stop(pid: int, name: str, timeout_s: float = 20.0) -> None:
    """SIGTERM the daemon `name` with this pid (only if it still is that daemon), then SIGKILL."""
    if not _is_running(pid, name):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _is_running(pid, name):
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def stop_stale_daemons(root: Path) -> None:
    """Stop daemons a crashed earlier run left behind, found by the pid files under `root`."""
    for name in DAEMONS:
        pid = _pid_of(root / f"{name}.pid")
        if pid is not None:
            _stop(pid, name)


def _wait_for(what: str, ready, log: Path | None, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.25)
    tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else "(no log)"
    raise SlurmSetupError(f"{what} not ready after {timeout_s:.0f} s; log {log}:\n{tail}")


def _succeeds(*command: str, input_text: str | None = None) -> bool:
    try:
        return subprocess.run(command, capture_output=True, text=True, input=input_text, timeout=30).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def munge_works() -> bool:
    credential = subprocess.run(["munge", "-n"], capture_output=True, text=True)
    return credential.returncode == 0 and _succeeds("unmunge", input_text=credential.stdout)


def start_munged() -> bool:
    """Start munged as the munge user unless one already answers; True if this call started it."""
    if munge_works():
        return False
    run_dir = Path("/run/munge")
    run_dir.mkdir(parents=True, exist_ok=True)
    shutil.chown(run_dir, "munge", "munge")
    subprocess.run(["runuser", "-u", "munge", "--", "/usr/sbin/munged"], check=True, timeout=30)
    _wait_for("munged", munge_works, Path("/var/log/munge/munged.log"))
    return True


def _start_daemon(name: str, ready, log: Path) -> None:
    process = subprocess.run([f"/usr/sbin/{name}"], capture_output=True, text=True, timeout=60)
    if process.returncode != 0:
        raise SlurmSetupError(f"{name} exited {process.returncode}: {process.stderr.strip()} (log {log})")
    _wait_for(name, ready, log)


def link_system_config(root: Path) -> None:
    """Point /etc/slurm/slurm.conf at `root`'s; never replace a real cluster's config."""
    if is_ours(SYSTEM_CONFIG, root):
        SYSTEM_CONFIG.unlink()  # left by a crashed run
    elif SYSTEM_CONFIG.exists() or SYSTEM_CONFIG.is_symlink():
        raise SlurmSetupError(f"{SYSTEM_CONFIG} exists and is not this test cluster's: refusing to replace it")
    SYSTEM_CONFIG.parent.mkdir(parents=True, exist_ok=True)
    SYSTEM_CONFIG.symlink_to(root / "slurm.conf")


def is_ours(link: Path, root: Path) -> bool:
    return link.is_symlink() and Path(os.readlink(link)).parent == root


def prepare(root: Path) -> LocalSlurm:
    """Stop a crashed run's daemons, wipe its state and write this run's configs under `root`."""
    stop_stale_daemons(root)
    for stale in root.iterdir():
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.name != "lock":
            stale.unlink()
    for name in ("state", "spool"):
        (root / name).mkdir()
    root.chmod(0o755)

    hostname = short_hostname()
    cpus = os.cpu_count() or 1
    memory_mb = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 * 0.85)
    ports = {name: free_port() for name in DAEMONS}
    (root / "slurm.conf").write_text(slurm_conf(root, hostname, cpus, memory_mb, ports))
    link_system_config(root)
    return LocalSlurm(root=root)


def start(cluster: LocalSlurm) -> None:
    """Start munged (if needed), slurmctld and slurmd; return once the node is idle."""
    root = cluster.root
    cluster.started_munged = start_munged()
    _start_daemon("slurmctld", lambda: _succeeds("scontrol", "ping"), root / "slurmctld.log")
    _start_daemon(
        "slurmd", lambda: cluster.run("sinfo", "-h", "-o", "%T").stdout.strip() == "idle", root / "slurmd.log"
    )


def stop(cluster: LocalSlurm) -> None:
    """Stop every daemon of this cluster (found by its pid file), and munged if this run started it."""
    if _succeeds("scontrol", "ping"):
        cluster.cancel_all_jobs()
    stop_stale_daemons(cluster.root)
    if is_ours(SYSTEM_CONFIG, cluster.root):
        SYSTEM_CONFIG.unlink()
    if cluster.started_munged:
        pid = _pid_of(Path("/run/munge/munged.pid"))
        if pid is not None:
            _stop(pid, "munged")


@contextmanager
def local_slurm(root: Path = ROOT) -> Iterator[LocalSlurm]:
    """The cluster for the duration of the block; one test session at a time holds it."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cluster = prepare(root)
        try:
            start(cluster)
            yield cluster
        finally:
            stop(cluster)
