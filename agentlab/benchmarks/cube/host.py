"""Runs CUBE tasks for our episodes, in the CUBE environment's own interpreter (Python >= 3.12).

Our episode starts it as `python -P host.py --in-fd R --out-fd W` (see `client.py`) and keeps it between the
episodes of a warm episode server. It imports only the standard library at the top (its cube imports are
inside functions) and our `agentlab/foreign/wire.py` by path; observations cross as JSON, the screenshot as a `.npy`
file, never pickled. The browser is ours: one Chromium per host, launched once, and each reset gets a fresh
context of it (`WarmSessionConfig` replaces every Playwright session config of the cube's tool config), where
the cube's own session launches a new persistent Chromium per reset.

It first says {"kind": "hello", "protocol": PROTOCOL_VERSION, "pid", "versions"}. Requests, and answers:
  {"kind": "start", "config": "module:attr.key", "task": id, "seed": int | None, "chromium": {launch kwargs}}
      -> {"kind": "ready", "tools": [OpenAI-shaped tools], "base_url": str | None, "benchmark": {name, version},
          "chromium": its version}
  {"kind": "reset"} -> {"kind": "observation", "obs": <encoded BrowserGym-shaped observation>, "info": {...}}
  {"kind": "step", "calls": [{"name", "arguments", "id"}]}
      -> {"kind": "observation", "obs", "reward", "done", "truncated", "error": str | None, "info"}
  {"kind": "evaluate"} -> {"kind": "evaluation", "reward": float, "info": {...}}
  {"kind": "end"} -> {"kind": "ended"}  (the task is closed: its browser context; the benchmark stays up)
Any failure answers {"kind": "error", "type", "message", "traceback", "infra": bool, "evaluation": bool}.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import runpy
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TextIO

PROTOCOL_VERSION = 1
VERSIONED_PACKAGES = ("cube-standard", "cube-browser-tool", "cube-browser-playwright", "browsergym-core", "playwright")


WIRE_FILE = (
    Path(__file__).resolve().parents[2] / "foreign" / "wire.py"
)  # our JSON codec, by path: our package is not installed here
wire = SimpleNamespace(**runpy.run_path(str(WIRE_FILE)))


def resolve_config(path: str) -> Any:
    """The BenchmarkConfig at 'module:attr.key' (each part an attribute, or a key of a mapping), a fresh copy;
    a BenchmarkConfig class is instantiated with its defaults."""
    module_name, _, dotted = path.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in filter(None, dotted.split(".")):
        target = target[part] if isinstance(target, Mapping) else getattr(target, part)
    if isinstance(target, type):
        target = target()
    from cube.benchmark import BenchmarkConfig

    if not isinstance(target, BenchmarkConfig):
        raise ValueError(f"{path} is a {type(target).__name__}, not a cube BenchmarkConfig")
    return target.model_copy(deep=True)


def free_port() -> int:
    """A TCP port free on loopback now (for a cube that serves its pages on a fixed port, e.g. miniwob-cube's 8000)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WarmBrowser:
    """One Chromium for the host's episodes, launched on first use and again if it died."""

    def __init__(self) -> None:
        self.playwright: Any = None
        self.browser: Any = None
        self.launch_kwargs: dict[str, Any] = {}

    def get(self) -> Any:
        if self.browser is None or not self.browser.is_connected():
            if self.playwright is None:
                from playwright.sync_api import sync_playwright

                self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(**self.launch_kwargs)
        return self.browser

    def close(self) -> None:
        if self.playwright is not None:
            self.playwright.stop()
            self.playwright = self.browser = None


WARM = WarmBrowser()


@functools.cache
def warm_session_types() -> tuple[type, type]:
    """(WarmSessionConfig, WarmSession): cube's Playwright session config and session, on a fresh context of the
    host's warm Chromium instead of a new persistent Chromium, closing only that context when stopped."""
    from cube_browser_playwright.playwright_session import PlaywrightSession, PlaywrightSessionConfig

    class WarmSession(PlaywrightSession):
        def stop(self) -> None:
            try:
                self._context.close()
            except Exception as error:  # the browser died: the next session launches a new one
                print(f"closing the episode's browser context failed: {error}", file=sys.stderr, flush=True)
            shutil.rmtree(self._user_data_dir, ignore_errors=True)

    class WarmSessionConfig(PlaywrightSessionConfig):
        def make(self) -> Any:
            options: dict[str, Any] = {"viewport": {"width": self.viewport.width, "height": self.viewport.height}}
            if self.resizeable_window:
                options = {"no_viewport": True}
            options.update({key: getattr(self, key) for key in ("locale", "timezone_id") if getattr(self, key)})
            context = WARM.get().new_context(**options)
            if self.timeout is not None:
                context.set_default_timeout(self.timeout)
            page = context.new_page()
            scratch = tempfile.mkdtemp(prefix="cube-context-")  # what the session removes when stopped
            return WarmSession(
                playwright=WARM.playwright, page=page, context=context, cdp_url="", user_data_dir=scratch
            )

    return WarmSessionConfig, WarmSession


@functools.cache
def lean_tool_types() -> tuple[type, type]:
    """(LeanBgymToolConfig, LeanBgymTool): cube-browser-tool's BrowserGym tool, extracting the page once per
    observation the agent gets. Its own tool extracts the DOM and AXTree (after its pre-observation delay) after
    every action, then again for the observation: three times per reset (the reset, the task's goto, its
    page_obs) and twice per step. Here the actions run without extracting, and `page_obs` extracts as before:
    what the agent sees is the same extraction of the same page, at least the same delay after the action."""
    from browsergym.core.action.base import execute_python_code
    from cube_browser_tool.bgym_tool import BgymTool, BgymToolConfig

    class LeanBgymTool(BgymTool):
        def reset(self) -> None:
            self._close_runtime()
            self._create_runtime()
            self._wait_dom_loaded()
            self._last_info, self._last_obs = {"source": "reset"}, None
            self._last_reward, self._last_terminated = 0.0, False

        def _execute_bgym_step(self, action_str: str) -> str:
            def refuse(_: str) -> None:
                raise AssertionError("this tool has no chat: messages to the user are not actions here")

            try:
                code = self._action_set.to_python_code(action_str)
                execute_python_code(code, self.page, send_message_to_user=refuse, report_infeasible_instructions=refuse)
                error = ""
            except Exception as failure:
                error = f"{type(failure).__name__}: {failure}"
            self._last_info = {"source": "action", "action": action_str, "action_error": error}
            return f"Failed: {error}" if error else "Success"

    class LeanBgymToolConfig(BgymToolConfig):
        def make(self, container: Any = None) -> Any:
            return LeanBgymTool(self)

    return LeanBgymToolConfig, LeanBgymTool


def warm_tool_config(tool_config: Any) -> Any:
    """The tool config with every Playwright session config in it (at any depth) made a warm one, and
    cube-browser-tool's BrowserGym tool config made a lean one (`lean_tool_types`)."""
    from cube_browser_playwright.playwright_session import PlaywrightSessionConfig
    from cube_browser_tool.bgym_tool import BgymToolConfig
    from pydantic import BaseModel

    warm_config, _ = warm_session_types()
    lean_config, _ = lean_tool_types()

    def copy_as(cls: type, value: Any) -> Any:
        return cls(**{field: getattr(value, field) for field in type(value).model_fields})

    if type(tool_config) is BgymToolConfig:
        tool_config = copy_as(lean_config, tool_config)
    for name in type(tool_config).model_fields:
        value = getattr(tool_config, name)
        if isinstance(value, PlaywrightSessionConfig) and not isinstance(value, warm_config):
            setattr(tool_config, name, copy_as(warm_config, value))
        elif isinstance(value, BaseModel):
            setattr(tool_config, name, warm_tool_config(value))
    return tool_config


def page_state(page: Any) -> dict[str, Any]:
    """BrowserGym's page fields of an observation: the URL and the open tabs (its index an array, as BrowserGym's)."""
    import numpy as np

    pages = page.context.pages
    return {
        "url": page.url,
        "open_pages_urls": [tab.url for tab in pages],
        "open_pages_titles": [tab.title() for tab in pages],
        "active_page_index": np.asarray([pages.index(page) if page in pages else 0]),
    }


class Host:
    """One task at a time, spawned from a benchmark made once per config (its servers stay up between episodes)."""

    def __init__(self) -> None:
        self.benchmarks: dict[str, Any] = {}
        self.task: Any = None
        self.goal = ""
        self.started = 0.0  # when the episode's task was reset
        self.last_action = ""

    def benchmark(self, config_path: str) -> Any:
        if config_path not in self.benchmarks:
            config = resolve_config(config_path)
            if "port" in type(config).model_fields:
                config.port = free_port()
            if config.tool_config is not None:
                config.tool_config = warm_tool_config(config.tool_config)
            self.benchmarks[config_path] = config.make()
        return self.benchmarks[config_path]

    def start(self, message: dict[str, Any]) -> dict[str, Any]:
        self.end()
        WARM.launch_kwargs = message["chromium"]
        benchmark = self.benchmark(message["config"])
        config = benchmark.config.subset_from_list([message["task"]])
        seeded = config.seed_generator is not None
        task_configs = [tc for tc in config.get_task_configs() if not seeded or tc.seed == message["seed"]]
        if not task_configs:
            raise ValueError(f"{config.name} has no task {message['task']!r} with seed {message['seed']}")
        self.task = benchmark.spawn(task_configs[0])
        metadata = type(benchmark.config).benchmark_metadata
        return {
            "kind": "ready",
            "chromium": WARM.get().version,
            "tools": [schema.as_dict() for schema in self.task.action_set],
            "base_url": benchmark._runtime_context.get("base_url"),
            "benchmark": {"name": metadata.name, "version": metadata.version},
        }

    def observation(self, cube_obs: Any) -> dict[str, Any]:
        """The BrowserGym-shaped observation our agents and records read (the tool's own BrowserGym extraction),
        with the goal and the cube's text contents beside it."""
        import numpy as np

        tool = self.task.tool
        extracted = getattr(tool, "_last_obs", None)
        if not isinstance(extracted, dict):
            raise TypeError(
                f"{type(tool).__name__} gives no BrowserGym observation: only BrowserGym-based cube tools run"
            )
        obs = dict(extracted)
        from browsergym.core.observation import extract_dom_extra_properties, extract_screenshot

        if "screenshot" not in obs:  # the cube's config shows none to agents; the record keeps one
            obs["screenshot"] = extract_screenshot(tool.page)
        if not obs.get("extra_element_properties") and obs.get("dom_object"):  # boxes, visibility: as BrowserGym's
            scale = getattr(tool.page, "_bgym_scale_factor", 1.0)
            obs["extra_element_properties"] = extract_dom_extra_properties(obs["dom_object"], scale_factor=scale)
        texts = [{"name": c.name, "text": c.data} for c in cube_obs.contents if isinstance(c.data, str)]
        return {
            **obs,
            **page_state(tool.page),
            "goal": self.goal,
            "goal_object": [{"type": "text", "text": self.goal}],
            "chat_messages": [],
            "last_action": self.last_action,
            "elapsed_time": np.asarray([time.time() - self.started]),
            "cube_contents": texts,
        }

    def reset(self, scratch: Path) -> dict[str, Any]:
        self.started, self.last_action = time.time(), ""
        cube_obs, info = self.task.reset()
        unnamed = [c.data for c in cube_obs.contents if c.name is None and isinstance(c.data, str)]
        self.goal = str(info.get("goal") or (unnamed[0] if unnamed else ""))
        obs = self.observation(cube_obs)
        return {"kind": "observation", "obs": wire.encode(obs, scratch), "info": wire.jsonable(info)}

    def step(self, message: dict[str, Any], scratch: Path) -> dict[str, Any]:
        from cube.core import Action

        actions = [Action(**call) for call in message["calls"]]
        self.last_action = "\n".join(
            f"{a.name}({', '.join(f'{k}={v!r}' for k, v in a.arguments.items())})" for a in actions
        )
        output = self.task.step(actions)
        obs = self.observation(output.obs)
        return {
            "kind": "observation",
            "obs": wire.encode(obs, scratch),
            "reward": float(output.reward),
            "done": bool(output.done),
            "truncated": bool(output.truncated),
            "error": f"{output.error.error_type}: {output.error.exception_str}" if output.error else None,
            "info": wire.jsonable(output.info),
        }

    def evaluate(self) -> dict[str, Any]:
        reward, info = self.task.evaluate()
        return {"kind": "evaluation", "reward": float(reward), "info": wire.jsonable(info)}

    def end(self) -> dict[str, Any]:
        task, self.task = self.task, None
        if task is not None:
            task.close()
        return {"kind": "ended"}

    def close(self) -> None:
        self.end()
        for benchmark in self.benchmarks.values():
            benchmark.close()
        WARM.close()


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in VERSIONED_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def serve(requests: TextIO, answers: TextIO, scratch: Path) -> None:
    """Answer requests (JSON lines) until they end: hello first, then one answer per request."""
    host = Host()
    answers.write(
        json.dumps({"kind": "hello", "protocol": PROTOCOL_VERSION, "pid": os.getpid(), "versions": versions()}) + "\n"
    )
    handlers = {
        "start": host.start,
        "reset": lambda _: host.reset(scratch),
        "step": lambda message: host.step(message, scratch),
        "evaluate": lambda _: host.evaluate(),
        "end": lambda _: host.end(),
    }
    try:
        for line in requests:
            message = json.loads(line)
            kind = message.get("kind")
            try:
                if kind not in handlers:
                    raise ValueError(f"unknown message kind {kind!r}; allowed: {', '.join(handlers)}")
                answer = handlers[kind](message)
            except Exception as error:
                # a cube's own step errors come back in its observation: an exception here is the environment's
                answer = wire.error_answer(error, infra=kind != "evaluate", evaluation=kind == "evaluate")
            answers.write(json.dumps(answer, default=str) + "\n")
    finally:
        host.close()


def become_subreaper() -> None:
    """Adopt what Chromium detaches (its crash handlers), so the host's process tree holds its whole browser."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="host.py", description=__doc__.splitlines()[0])
    parser.add_argument("--in-fd", type=int, required=True, help="pipe of requests (JSON lines)")
    parser.add_argument("--out-fd", type=int, required=True, help="pipe of answers (JSON lines)")
    parser.add_argument("--scratch", type=Path, required=True, help="where the screenshots' .npy files go")
    args = parser.parse_args(argv)
    become_subreaper()
    with (
        os.fdopen(args.in_fd, "r", encoding="utf-8") as requests,
        os.fdopen(args.out_fd, "w", encoding="utf-8", buffering=1) as answers,
    ):
        serve(requests, answers, args.scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
