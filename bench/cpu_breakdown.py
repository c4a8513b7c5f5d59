"""Where an episode's CPU goes inside its episode server: real episodes run in this process, as a
warm episode server runs them, with BrowserGym's and our functions wrapped to add up the CPU that
every process (this Python, Playwright's driver, each Chromium process) spent while they ran.

CPU is counted from /proc (user + system, including reaped children), so it holds on a loaded
machine where wall times do not. Spans nest: a step's time includes its observation's.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentlab.machine.proctree import tree

TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pids: list[int]) -> float:
    """CPU seconds of `pids`, each with its reaped children (Chromium's ended renderers count)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / TICK


@dataclass
class Spans:
    """CPU seconds (all processes, and this process alone) and calls per named span."""

    cpu_s: dict[str, float] = field(default_factory=dict)
    own_s: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # as wrapped: each outer span before its parts
    pids: list[int] = field(default_factory=list)  # this process's tree, refreshed at each outer span
    restores: list[Callable[[], None]] = field(default_factory=list)

    def wrap(self, owner: Any, name: str, span: str, outer: bool = False) -> None:
        """Count `owner.name` under `span`; an `outer` span lists this process's tree again before and
        after the call, for calls that start or end processes (contexts, pages, navigations)."""
        original = getattr(owner, name)
        self.order.append(span)

        @functools.wraps(original)
        def counted(*args: Any, **kwargs: Any) -> Any:
            if outer or not self.pids:
                self.pids = tree(os.getpid())
            started, own = tree_cpu_s(self.pids), time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.own_s[span] = self.own_s.get(span, 0.0) + time.process_time() - own
                if outer:
                    self.pids = tree(os.getpid())
                self.cpu_s[span] = self.cpu_s.get(span, 0.0) + tree_cpu_s(self.pids) - started
                self.calls[span] = self.calls.get(span, 0) + 1

        setattr(owner, name, counted)
        self.restores.append(lambda: setattr(owner, name, original))

    def restore(self) -> None:
        while self.restores:
            self.restores.pop()()


def instrument(spans: Spans) -> None:
    """Wrap the calls an episode makes, from the outside in."""
    import browsergym.core.env as bg_env
    import browsergym.miniwob.base as miniwob
    from playwright.sync_api._generated import BrowserContext

    from agentlab.browser import chromium
    from agentlab.episode import loop, step_writer

    spans.wrap(loop, "make_env", "env creation (gym.make)", outer=True)
    spans.wrap(bg_env.BrowserEnv, "reset", "reset", outer=True)
    spans.wrap(chromium.ManagedBrowser, "new_context", "  new browser context", outer=True)
    spans.wrap(BrowserContext, "new_page", "  new page", outer=True)
    spans.wrap(miniwob.AbstractMiniwobTask, "setup", "  task setup (page load)", outer=True)
    spans.wrap(bg_env.BrowserEnv, "step", "step", outer=True)
    spans.wrap(bg_env.BrowserEnv, "_get_obs", "observation (BrowserGym)")
    for name in (
        "_pre_extract",
        "extract_dom_snapshot",
        "extract_merged_axtree",
        "extract_focused_element_bid",
        "extract_dom_extra_properties",
        "_post_extract",
    ):
        spans.wrap(bg_env, name, f"  {name.strip('_')}")
    spans.wrap(bg_env, "extract_screenshot", "  screenshot capture (CDP PNG, decoded)")
    spans.wrap(step_writer.StepWriter, "observation", "records per observation")
    spans.wrap(step_writer, "encode_png", "  screenshot PNG encoding")
    spans.wrap(step_writer, "page_details", "  page details (pruned HTML, boxes)")
    spans.wrap(step_writer, "axtree_text", "  AXTree text for steps.jsonl")
    spans.wrap(step_writer.StepWriter, "write", "steps.jsonl lines")
    spans.wrap(chromium.ManagedBrowser, "close", "closing the context", outer=True)


def measure(tasks: list[str], actions: list[str], rounds: int = 1) -> tuple[Spans, float, int]:
    """Run `rounds` episodes of each task (replaying `actions`) in this process with a warm browser,
    after one unmeasured episode; return the spans, total CPU of all processes, and episodes run."""
    from agentlab.browser import chromium
    from agentlab.episode.loop import preload, run_episode
    from agentlab.episode.spec import EpisodeSpec

    chromium.install(keep_warm=True)
    preload()
    spans = Spans()
    with tempfile.TemporaryDirectory(prefix="agentlab-cpu-") as tmp:
        trace = Path(tmp) / "actions.jsonl"
        trace.write_text("".join(json.dumps({"action": a}) + "\n" for a in actions))

        def episode(number: int, task: str) -> None:
            spec = EpisodeSpec(
                "cpu",
                "miniwob",
                task,
                0,
                "scripted",
                "agentlab.agents.replay.REPLAY",
                len(actions),
                {"trace": str(trace)},
            )
            outcome = run_episode(spec, Path(tmp) / f"episode{number}")
            if outcome.n_steps != len(actions):
                raise RuntimeError(f"{task}: {outcome.status} after {outcome.n_steps} steps ({outcome.error})")

        episode(0, tasks[0])  # imports and the browser launch: what a warm server pays once
        instrument(spans)
        try:
            started = tree_cpu_s(tree(os.getpid()))
            episodes = [(round_ * len(tasks) + i + 1, task) for round_ in range(rounds) for i, task in enumerate(tasks)]
            for number, task in episodes:
                episode(number, task)
            total = tree_cpu_s(tree(os.getpid())) - started
        finally:
            spans.restore()
    return spans, total, len(episodes)


def print_breakdown(spans: Spans, total_s: float, episodes: int) -> None:
    print(
        f"inside the episode server, per episode (mean of {episodes} in-process episodes, warm browser; "
        f"CPU of all processes, and of the Python process alone; the reset's and steps' observations are "
        f"counted under observation):"
    )
    for span in (span for span in spans.order if span in spans.cpu_s):
        seconds = spans.cpu_s[span]
        calls = spans.calls[span] / episodes
        print(
            f"  {span:<44} {seconds / episodes:6.3f} s  (Python {spans.own_s[span] / episodes:5.3f} s, "
            f"{calls:.0f} call{'s' if calls != 1 else ''})"
        )
    outer = sum(
        spans.cpu_s[s]
        for s in (
            "env creation (gym.make)",
            "reset",
            "step",
            "records per observation",
            "steps.jsonl lines",
            "closing the context",
        )
        if s in spans.cpu_s
    )
    print(f"  {'the rest (agent, loop, idle browser during waits)':<44} {(total_s - outer) / episodes:6.3f} s")
    print(f"  {'total':<44} {total_s / episodes:6.3f} s")
