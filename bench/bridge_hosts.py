"""Memory and CPU of AgentLab bridge hosts: N started the old way (a fresh `python -P host.py` each,
importing AgentLab) vs N forked from the bridge's zygote, each having answered one `start` of AGENT_4o.

Started all at once, as the warm episode servers of N parallel slots start theirs. Prints the summed
PSS (/proc/<pid>/smaps_rollup) and CPU seconds (/proc/<pid>/stat utime+stime, children's included) of
the hosts, plus the zygote's for the forked ones, and the wall time until all N answered.

    python bench/bridge_hosts.py [--hosts 8]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from agentlab.agents.base import EpisodeContext
from agentlab.agents.bridge import AgentLabEnvironment, BridgeAgentArgs
from agentlab.agents.bridge import host as wire
from agentlab.agents.bridge.agent import HostProcess, host_environment, start_message
from agentlab.browser.actions import ActionSetArgs
from agentlab.machine.proctree import pss_kib

AGENT = BridgeAgentArgs(agent="agentlab.agents.generic_agent.AGENT_4o")
CONTEXT = EpisodeContext("miniwob", "click-test", 0, 5, ActionSetArgs(("miniwob_all",)))
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """utime + stime + cutime + cstime of `pid`, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / TICKS


def ready(answer: dict) -> None:
    assert answer["kind"] == "ready", answer


def old_host(environment: AgentLabEnvironment) -> tuple[int, Callable[[], None]]:
    """A fresh interpreter on two pipes, as HostProcess started them before the zygote; its pid and cleanup."""
    scratch = tempfile.mkdtemp(prefix="bridge-bench-")
    to_host, from_us = os.pipe()
    to_us, from_host = os.pipe()
    process = subprocess.Popen(
        [str(environment.python), "-P", wire.__file__, "--in-fd", str(to_host), "--out-fd", str(from_host)],
        pass_fds=(to_host, from_host),
        stdin=subprocess.DEVNULL,
        env=host_environment(environment),
        cwd=scratch,
    )
    os.close(to_host)
    os.close(from_host)
    requests = os.fdopen(from_us, "w", encoding="utf-8", buffering=1)
    answers = os.fdopen(to_us, "r", encoding="utf-8")
    assert json.loads(answers.readline())["kind"] == "hello"
    requests.write(json.dumps(start_message(AGENT, CONTEXT)) + "\n")
    ready(json.loads(answers.readline()))

    def close() -> None:
        requests.close()
        answers.close()
        process.wait()

    return process.pid, close


def forked_host(environment: AgentLabEnvironment) -> tuple[int, Callable[[], None]]:
    host = HostProcess(environment, (AGENT.agent,))
    ready(host.ask(start_message(AGENT, CONTEXT)))
    assert host.pid is not None
    return host.pid, host.close


def measure(name: str, start: Callable[[AgentLabEnvironment], tuple[int, Callable[[], None]]], n: int) -> None:
    environment = AgentLabEnvironment.configured()
    hosts: list[tuple[int, Callable[[], None]]] = []
    began = time.monotonic()
    threads = [threading.Thread(target=lambda: hosts.append(start(environment))) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    pids = [pid for pid, _ in hosts]
    zygotes = {int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) for pid in pids} - {os.getpid()}
    measured = pids + sorted(zygotes)
    pss = sum(pss_kib(pid) for pid in measured) / 1024
    cpu = sum(cpu_s(pid) for pid in measured)
    print(
        f"{name}: {len(pids)} hosts{f' + {len(zygotes)} zygote' if zygotes else ''}: "
        f"PSS {pss:.0f} MiB ({pss / len(pids):.0f} per host), CPU {cpu:.1f} s ({cpu / len(pids):.2f} per host), "
        f"all ready after {wall:.1f} s",
        flush=True,
    )
    for zygote in zygotes:
        print(f"  of which the zygote: PSS {pss_kib(zygote) / 1024:.0f} MiB, CPU {cpu_s(zygote):.1f} s", flush=True)
    for _, close in hosts:
        close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=8)
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-not-used")  # AGENT_4o's client is made, never called
    os.environ["AGENTLAB_BENCH_RUN"] = uuid.uuid4().hex  # a zygote of our own, started (and measured) here
    measure("old (a fresh interpreter each)", old_host, args.hosts)
    measure("forked from the zygote", forked_host, args.hosts)


if __name__ == "__main__":
    main()
