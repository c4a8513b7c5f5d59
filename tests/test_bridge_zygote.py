"""The bridge's fork server: AgentLab's hosts forked from one process per machine and environment, with
real AgentLab agents (a user's AgentArgs on PYTHONPATH) in AgentLab's environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import needs_agentlab, wait_for

from agentlab.agents.base import EpisodeContext
from agentlab.agents.bridge import AgentLabEnvironment, BridgeAgentArgs
from agentlab.agents.bridge.agent import HostProcess
from agentlab.browser.actions import ActionSetArgs
from agentlab.core.errors import InfraError

# every test starts an AgentLab interpreter (a zygote or a host)
pytestmark = pytest.mark.slow

CONTEXT = EpisodeContext("miniwob", "click-test", 0, 5, ActionSetArgs(("miniwob_all",)))
# An AgentLab AgentArgs answering each observation with its goal, after `delay_s`: what a model's latency looks like.
SLOW_ECHO = """
import time
from dataclasses import dataclass

import bgym
from agentlab.agents.agent_args import AgentArgs


@dataclass
class SlowEchoArgs(AgentArgs):
    agent_name: str = "SlowEcho"
    delay_s: float = 0.0
    action_set_args: bgym.HighLevelActionSetArgs | None = None

    def set_benchmark(self, benchmark, demo_mode):
        self.action_set_args = benchmark.high_level_action_set_args

    def make_agent(self):
        return SlowEcho(self.delay_s, self.action_set_args.make_action_set())


class SlowEcho(bgym.Agent):
    def __init__(self, delay_s, action_set):
        self.delay_s, self.action_set = delay_s, action_set

    def obs_preprocessor(self, obs):
        return obs

    def get_action(self, obs):
        time.sleep(self.delay_s)
        return f"send_msg_to_user({obs['goal']!r})", bgym.AgentInfo(think="echo")


SLOW_ECHO = SlowEchoArgs()
"""


@pytest.fixture
def slow_echo(tmp_path, monkeypatch, process_marker) -> BridgeAgentArgs:
    """The slow echo agent on PYTHONPATH, in an environment (and so a zygote) of this test's own."""
    (tmp_path / "slow_echo.py").write_text(SLOW_ECHO)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    return BridgeAgentArgs(agent="slow_echo.SLOW_ECHO", overrides={"delay_s": 1.5})


def parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def gone(pid: int) -> bool:
    """Whether `pid` has exited (a zombie has)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@needs_agentlab
def test_two_hosts_forked_from_one_zygote_serve_two_episodes_at_once(slow_echo):
    agents = [slow_echo.make_agent(CONTEXT) for _ in range(2)]
    try:
        hosts = [agent.host for agent in agents]
        assert hosts[0].pid != hosts[1].pid and parent(hosts[0].pid) == parent(hosts[1].pid)  # one zygote
        answers: dict[int, str | None] = {}

        def act(number: int) -> None:
            answers[number] = agents[number].get_action({"goal": f"episode {number}"}).action

        started = time.monotonic()
        threads = [threading.Thread(target=act, args=(number,)) for number in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert time.monotonic() - started < 2.9  # two 1.5 s steps, side by side
        assert answers == {0: "send_msg_to_user('episode 0')", 1: "send_msg_to_user('episode 1')"}
    finally:
        for agent in agents:
            agent.close()


@needs_agentlab
def test_a_host_that_dies_is_an_infra_error_with_its_exit_code(slow_echo):
    host = HostProcess(AgentLabEnvironment.configured(), (slow_echo.agent,))
    os.kill(host.pid, signal.SIGKILL)
    with pytest.raises(InfraError, match=r"^the AgentLab agent process exited with code -9; its output is in"):
        host.ask({"kind": "end"})
    assert not host.alive()
    host.close()
    assert not host.scratch.exists()


EPISODE_SERVER = """
import sys
from agentlab.browser.actions import ActionSetArgs
from agentlab.agents.base import EpisodeContext
from agentlab.agents.bridge import BridgeAgentArgs

agent = BridgeAgentArgs(agent="slow_echo.SLOW_ECHO", overrides={"delay_s": 600}).make_agent(
    EpisodeContext("miniwob", "click-test", 0, 5, ActionSetArgs(("miniwob_all",)))
)
print(agent.host.pid, flush=True)
agent.get_action({"goal": "wait"})
"""


@needs_agentlab
def test_a_host_whose_episode_server_is_killed_exits_even_mid_step(slow_echo):
    server = subprocess.Popen([sys.executable, "-c", EPISODE_SERVER], stdout=subprocess.PIPE, text=True)
    host = int(server.stdout.readline())
    time.sleep(1.0)  # in its 600 s step
    assert not gone(host)
    server.send_signal(signal.SIGKILL)
    server.wait()
    wait_for(lambda: gone(host), timeout_s=5, what="the host of the killed episode server to exit")


@needs_agentlab
def test_the_zygote_exits_after_its_idle_time(slow_echo, monkeypatch):
    monkeypatch.setenv("AGENTLAB_WARM_IDLE_S", "4")
    host = HostProcess(AgentLabEnvironment.configured(), (slow_echo.agent,))
    zygote, socket_path = parent(host.pid), Path(f"/proc/{parent(host.pid)}/cwd").resolve() / "socket"
    assert socket_path.is_socket()
    host.close()
    assert gone(host.pid) and not host.scratch.exists()
    time.sleep(1.0)
    assert not gone(zygote)  # still within its idle time
    wait_for(lambda: gone(zygote), timeout_s=10, what="the idle zygote to exit")
    assert not socket_path.exists()


def test_a_zygote_that_cannot_start_is_a_one_line_infra_error(tmp_path):
    venv = tmp_path / "venv"
    (venv / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (venv / "bin").mkdir()
    python = venv / "bin" / "python"
    python.write_text("#!/bin/sh\necho 'Fatal Python error: init_fs_encoding' >&2\nexit 3\n")
    python.chmod(0o755)
    scratch_before = set(Path("/dev/shm").glob("agentlab-bridge-*"))
    with pytest.raises(InfraError) as raised:
        HostProcess(AgentLabEnvironment(venv), ("slow_echo.SLOW_ECHO",))
    message = str(raised.value)
    assert message.startswith("the AgentLab bridge's fork server exited with code 3: Fatal Python error")
    assert "\n" not in message
    python.unlink()
    with pytest.raises(InfraError, match=r"^the AgentLab bridge.s fork server could not start .*No such") as raised:
        HostProcess(AgentLabEnvironment(venv), ("slow_echo.SLOW_ECHO",))
    assert "\n" not in str(raised.value)
    assert set(Path("/dev/shm").glob("agentlab-bridge-*")) == scratch_before  # no scratch folder left
