"""Our end of a CUBE task: the host process (`host.py`) in the CUBE environment, and the env our episode loop
drives through it (`CubeEnv`: reset, step by function calls, evaluate, close).

A host is started once per process that runs episodes and kept between its episodes (a warm episode server
keeps it, and the host keeps its Chromium and the cube's servers), like the AgentLab bridge's hosts.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
from pathlib import Path
from typing import Any

from ...browser.actions import ActionParseError, parse_actions
from ...browser.chromium import EXTRA_CHROMIUM_ARGS, find_chromium
from ...browser.navigation import NavigationPolicy
from ...browser.tool_calls import ToolCall, ToolCallError, call_from_action, check_call
from ...core.errors import EvaluationError
from ...foreign.hosts import EXIT_WAIT_S, HostProcess, IdleHosts
from ...foreign.wire import decode
from ...machine.proctree import descendants, kill, wait_gone
from . import host as cube_host

# cube-browser-playwright's own launch options, so pages render (and screenshot) as under cube-harness
CUBE_CHROMIUM_ARGS = ("--disable-features=OverlayScrollbars,ExtendedOverlayScrollbars",)
CUBE_IGNORED_DEFAULT_ARGS = ("--hide-scrollbars",)


class CubeHost(HostProcess):
    """A `host.py` process of the CUBE environment's interpreter, on two pipes."""

    kind = "CUBE task"
    protocol = cube_host.PROTOCOL_VERSION

    def __init__(self, python: Path):
        super().__init__(prefix="agentlab-cube-")
        try:
            to_host, from_host = os.pipe(), os.pipe()
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(
                    [str(python), "-P", cube_host.__file__, "--in-fd", str(to_host[0]), "--out-fd", str(from_host[1])]
                    + ["--scratch", str(self.scratch)],
                    pass_fds=(to_host[0], from_host[1]),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=host_environment(self.scratch),
                    cwd=self.scratch,
                )
            os.close(to_host[0])
            os.close(from_host[1])
            self.open(from_host[0], to_host[1])
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """End the host and everything it started: its requests end, so it closes the cube's servers and its
        Chromium itself; what is left after EXIT_WAIT_S (a host stuck in a step) is killed with its tree."""
        tree = set(descendants(self.pid)) if self.pid else set()
        for stream in self.streams:
            with contextlib.suppress(OSError):
                stream.close()
        if self.exited is not None:
            select.select([self.exited], [], [], EXIT_WAIT_S)
        super().close()
        kill(tree)
        wait_gone(tree)

    def exit_code(self) -> int | str:
        try:
            return self.process.wait(timeout=EXIT_WAIT_S)
        except (subprocess.TimeoutExpired, AttributeError):
            return "unknown"

    def error_class(self, answer: dict[str, Any]) -> type[Exception]:
        return EvaluationError if answer.get("evaluation") else super().error_class(answer)


def host_environment(scratch: Path) -> dict[str, str]:
    """Our environment for the host, without our interpreter's module paths, its temporary files in its own
    folder (cubes write logs under fixed names in the temporary folder, e.g. miniwob-cube's server logs)."""
    variables = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    return {**variables, "TMPDIR": str(scratch)}


IDLE_HOSTS: IdleHosts[CubeHost] = IdleHosts()  # per CUBE interpreter: kept between the episodes of this process


def chromium_options() -> dict[str, Any]:
    """How the host launches its Chromium: Debian's, headless, with our flags and cube's own."""
    return {
        "executable_path": find_chromium(),
        "headless": True,
        "args": [*EXTRA_CHROMIUM_ARGS, *CUBE_CHROMIUM_ARGS],
        "ignore_default_args": list(CUBE_IGNORED_DEFAULT_ARGS),
    }


class CubeEnv:
    """One task of a cube, as the episode loop drives it. Agents act by function calls checked against the
    task's tools, or by BrowserGym action strings mapped to them (`tool_calls.call_from_action`); a call that
    fails its check or the navigation policy never reaches the cube: the agent sees why, as a failed action."""

    def __init__(self, python: Path, config: str, task: str, seed: int, navigation: NavigationPolicy):
        self.python = python
        self.host: CubeHost | None = IDLE_HOSTS.take(python, lambda: CubeHost(python))
        ready = self.host.ask(
            {"kind": "start", "config": config, "task": task, "seed": seed, "chromium": chromium_options()}
        )
        self.tools: tuple[dict[str, Any], ...] = tuple(ready["tools"])
        self.chromium_version: str | None = ready.get("chromium")
        self.details = {"benchmark": ready["benchmark"], "versions": self.host.hello.get("versions", {})}
        base_url = ready.get("base_url")
        self.navigation = navigation if navigation.open_web or not base_url else NavigationPolicy.sites([base_url])
        self.last_obs: dict[str, Any] = {}

    def _host(self) -> CubeHost:
        assert self.host is not None, "the episode is over"
        return self.host

    def reset(self, seed: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        answer = self._host().ask({"kind": "reset"})
        self.last_obs = decode(answer["obs"])
        return self.last_obs, answer["info"]

    def calls(self, action: str, tool_call: ToolCall | None, signatures: dict, multiaction: bool) -> list[ToolCall]:
        """The calls an answer stands for, checked; ToolCallError or ActionParseError (for the agent) otherwise."""
        calls = (
            [tool_call]
            if tool_call is not None
            else [call_from_action(call, self.tools) for call in parse_actions(action, signatures, multiaction)]
        )
        for call in calls:
            check_call(call, self.tools)
            if call.name == "goto" and not self.navigation.allows(str(call.arguments.get("url", ""))):
                raise ToolCallError(self.navigation.refusal(str(call.arguments.get("url", ""))))
        return calls

    def step(
        self, action: str, tool_call: ToolCall | None, signatures: dict, multiaction: bool
    ) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        """(obs, reward, terminated, truncated, info) after the answer's calls, as gymnasium's step gives them;
        info holds the calls sent and the cube's step info."""
        try:
            calls = self.calls(action, tool_call, signatures, multiaction)
        except (ActionParseError, ToolCallError) as refused:
            return {**self.last_obs, "last_action_error": str(refused)}, 0.0, False, False, {"tool_calls": []}
        answer = self._host().ask({"kind": "step", "calls": [call.to_dict() for call in calls]})
        self.last_obs = decode(answer["obs"])
        if answer["error"] and not self.last_obs.get("last_action_error"):
            self.last_obs["last_action_error"] = answer["error"]
        info = {"tool_calls": [call.to_dict() for call in calls], "task_info": answer["info"]}
        return self.last_obs, answer["reward"], answer["done"], answer["truncated"], info

    def evaluate(self) -> float:
        """The task's final score (`Task.evaluate()`); EvaluationError if its evaluator fails."""
        return float(self._host().ask({"kind": "evaluate"})["reward"])

    def close(self) -> None:
        host, self.host = self.host, None
        if host is not None:
            IDLE_HOSTS.end_episode(self.python, host)
