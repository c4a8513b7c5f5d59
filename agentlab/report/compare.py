"""Comparing agents: one page per (benchmark, task, seed) with every agent's episode side by side,
steps aligned and the first step where their actions differ marked; and the agents page, which
argument values the study's agents share and which differ (AgentXray's constants and variables),
with each agent's score."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.files import write_text_atomic
from ..core.layout import EpisodeKey
from .render import relative_url, render
from .trace import TracedEpisode, trace_page_path

COMPARE_DIR = "compare"
AGENTS_FILE = "agents.html"
ENDED = "(episode ended)"  # what an episode shows at a step it did not reach
UNSET = "(not set)"  # an argument an agent's config does not have


def compare_page_path(compare_dir: Path, benchmark: str, task: str, seed: int) -> Path:
    return compare_dir / benchmark / task / f"seed{seed}.html"


def compared_groups(keys: list[EpisodeKey]) -> set[tuple[str, str, int]]:
    """The (benchmark, task, seed) run by two or more agents: those that get a compare page."""
    agents: dict[tuple[str, str, int], set[str]] = {}
    for key in keys:
        agents.setdefault((key.benchmark, key.task, key.seed), set()).add(key.agent)
    return {group for group, names in agents.items() if len(names) > 1}


def first_difference(actions: list[list[str | None]]) -> int | None:
    """The first step at which the agents' actions differ (one that ended differs from one that
    acts), None if every agent did the same throughout."""
    for step in range(max(map(len, actions), default=0)):
        if len({_action_at(episode, step) for episode in actions}) > 1:
            return step
    return None


def _action_at(episode: list[str | None], step: int) -> str | None:
    """The action at `step`, or ENDED past the episode's end."""
    return episode[step] if step < len(episode) else ENDED


def write_compare_page(episodes: list[TracedEpisode], page: Path, report_dir: Path, episodes_dir: Path) -> None:
    """The compare page of one (benchmark, task, seed): `episodes` are its agents' episodes."""
    episodes = sorted(episodes, key=lambda e: e.key.agent)
    by_step = [{s.step: s for s in e.steps if s.step is not None} for e in episodes]
    n_steps = max((max(steps, default=-1) + 1 for steps in by_step), default=0)
    actions = [
        [steps[n].action if n in steps else None for n in range(max(steps, default=-1) + 1)] for steps in by_step
    ]
    differ = first_difference(actions)
    trace_urls = [relative_url(trace_page_path(episodes_dir, e.key), page.parent) for e in episodes]
    folder_urls = [relative_url(e.folder, page.parent) for e in episodes]
    rows = []
    for number in range(n_steps):
        cells = []
        for steps, trace_url, folder_url in zip(by_step, trace_urls, folder_urls):
            step = steps.get(number)
            screenshot = step.observation.screenshot if step is not None and step.observation else None
            cells.append(
                None
                if step is None
                else {
                    "action": step.action,
                    "error": step.last_action_error,
                    "screenshot": f"{folder_url}/{screenshot}" if screenshot else None,
                    "url": f"{trace_url}#step-{number}",
                }
            )
        rows.append({"step": number, "cells": cells, "first_difference": number == differ})
    key = episodes[0].key
    html = render(
        "compare.html",
        benchmark=key.benchmark,
        task=key.task,
        seed=key.seed,
        first_difference=differ,
        agents=[
            {
                "name": e.key.agent,
                "status": e.status,
                "reward": e.reward,
                "n_steps": len(actions[i]),
                "url": trace_urls[i],
            }
            for i, e in enumerate(episodes)
        ],
        rows=rows,
        index_url=relative_url(report_dir / "index.html", page.parent),
        agents_url=relative_url(report_dir / AGENTS_FILE, page.parent),
    )
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(html, encoding="utf-8")  # into a staging folder, swapped in whole: no need to sync each page


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as one level of dotted keys ("flags.use_html"); other values stay as they are."""
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for name, item in value.items():
            flat.update(flatten(item, f"{prefix}.{name}" if prefix else str(name)))
        return flat
    return {prefix: value}


def arguments(agent_args: dict[str, Any]) -> dict[str, Any]:
    """A summary's agent_args ({"class", "fields"}, agent_args_to_dict) as the names a study's
    overrides use ("flags.use_html"), with "class" beside them."""
    fields = agent_args.get("fields")
    return {"class": agent_args.get("class"), **fields} if isinstance(fields, dict) else agent_args


def constants_and_variables(agent_args: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """The dotted arguments every agent sets to the same value (with it), and those that differ
    between agents (a missing argument differs from any value)."""
    flat = {agent: flatten(args or {}) for agent, args in agent_args.items()}
    names = sorted(set().union(*flat.values())) if flat else []
    missing = object()
    constants, variables = {}, []
    for name in names:
        values = {json.dumps(args.get(name, missing), sort_keys=True, default=repr) for args in flat.values()}
        if len(values) == 1 and all(name in args for args in flat.values()):
            constants[name] = next(iter(flat.values()))[name]
        else:
            variables.append(name)
    return constants, variables


def write_agents_page(episodes: list[TracedEpisode], summary: pd.DataFrame, study: str, report_dir: Path) -> None:
    """agents.html: per agent its score per benchmark next to the arguments that vary between agents."""
    agent_args: dict[str, dict[str, Any]] = {}
    for episode in episodes:  # an agent's args are the same in every episode of a study (its config hash)
        if episode.agent_args is not None:
            agent_args.setdefault(episode.key.agent, arguments(episode.agent_args))
    flat = {agent: flatten(args) for agent, args in agent_args.items()}
    constants, variables = constants_and_variables(agent_args)
    benchmarks = sorted(set(summary["benchmark"])) if len(summary) else []
    scores = {(row["benchmark"], row["agent"]): row for row in summary.to_dict("records")}
    rows = [
        {
            "agent": agent,
            "values": [flat[agent].get(name, UNSET) for name in variables],
            "scores": [scores.get((benchmark, agent)) for benchmark in benchmarks],
        }
        for agent in sorted(flat)
    ]
    write_text_atomic(
        report_dir / AGENTS_FILE,
        render("agents.html", constants=constants, variables=variables, rows=rows, benchmarks=benchmarks, study=study),
    )
