"""TimeWarp (browsergym-timewarp): questions answered on self-hosted wiki, webshop and news sites
across time, scored by string, number and list matching, and a few by an LLM judge."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from ..browser.actions import ActionSetArgs
from .base import Backend, Benchmark
from .metadata import judged_tasks, package_table, task_fields
from .preflight import missing_env, unreachable
from .webarena import nltk_problems

SITES = ("TW_WIKI", "TW_WEBSHOP", "TW_NEWS")  # every task's setup reads all three (TimeWarpInstance)
# The judge of its `llm_judge` tasks (browsergym.timewarp.evaluators.DEFAULT_JUDGE_MODEL), asked with
# OPENAI_API_KEY unless TW_JUDGE or TW_JUDGE_BASE_URL names another (e.g. TW_JUDGE=gemma on a local server).
OPENAI_JUDGE = "gpt-5.1-2025-11-13"


def openai_judge_chosen() -> bool:
    """Whether TimeWarp's judge is OpenAI's: no other judge is named, or the one named is a GPT/o-series model."""
    if os.environ.get("TW_JUDGE_BASE_URL"):
        return False
    named = (os.environ.get("TW_JUDGE") or os.environ.get("TW_JUDGE_MODEL") or "").strip().lower()
    return (
        not named
        or named in ("gpt", "gpt-5", "gpt5", "openai")
        or named.startswith(("gpt-", "gpt3", "gpt4", "gpt5", "o1", "o3", "o4", "chatgpt"))
    )


@dataclass(frozen=True)
class TimeWarpSites(Backend):
    """The three TimeWarp sites (answers only: the tasks change nothing, so no resets) and its judge."""

    judged: tuple[str, ...] = ()  # tasks scored by the LLM judge (metadata/judged_tasks.csv)

    def problems(self, tasks: Sequence[str]) -> list[str]:
        missing = missing_env(SITES)
        if missing:
            problems = [f"{', '.join(missing)} not set (the TimeWarp sites' URLs: wiki, webshop, news)"]
        else:
            problems = unreachable({name: os.environ[name] for name in SITES}) + nltk_problems()
        needing = [task for task in tasks if task in set(self.judged)]
        if needing and openai_judge_chosen() and missing_env(["OPENAI_API_KEY"]):
            problems.append(
                f"OPENAI_API_KEY not set: {len(needing)} of the {len(tasks)} selected tasks (e.g. "
                f"{', '.join(needing[:3])}) are scored by OpenAI's {OPENAI_JUDGE} (TimeWarp's llm_judge; "
                f"TW_JUDGE=gemma with TW_JUDGE_BASE_URL chooses an open model instead)"
            )
        return problems


def load(name: str) -> Benchmark:
    return Benchmark(
        name=name,
        env_prefix="browsergym/timewarp.",
        default_max_steps=30,  # as the WebArena family, whose task format and sites TimeWarp follows
        action_set=ActionSetArgs(("webarena",)),
        is_multi_tab=True,  # a task may start on several tabs
        package="browsergym.timewarp",
        extra="timewarp",
        default_seeds=(0,),  # one config per task: its seed changes nothing
        backend=TimeWarpSites(judged=judged_tasks("timewarp").get("openai", ())),
        **task_fields(package_table("timewarp"), "timewarp."),
    )
