"""AssistantBench (browsergym-assistantbench): questions answered by searching the open web."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from ..browser.actions import ActionSetArgs
from .base import Backend, Benchmark
from .metadata import browsergym_table, task_fields
from .preflight import unreachable

START_URL = "https://google.com"  # where every task starts
DATASET_URL = "https://huggingface.co/datasets/AssistantBench/AssistantBench"  # loaded on import
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")  # set: the dataset comes from the local cache


@dataclass(frozen=True)
class OpenWeb(Backend):
    """The open web, and the Hugging Face Hub unless the dataset is cached for offline use. Agents may
    navigate to any web page (Backend's navigation policy): answering means searching the web."""

    def problems(self, tasks: Sequence[str]) -> list[str]:
        urls = {"the task start page": START_URL}
        if not any(os.environ.get(name, "").lower() in ("1", "true", "yes") for name in OFFLINE_VARIABLES):
            urls["the AssistantBench dataset"] = DATASET_URL
        return unreachable(urls)


def load(name: str) -> Benchmark:
    return Benchmark(
        name=name,
        env_prefix="browsergym/assistantbench.",
        default_max_steps=30,
        action_set=ActionSetArgs(("assistantbench",)),
        is_multi_tab=True,
        package="browsergym.assistantbench",
        extra="assistantbench",
        default_seeds=(0,),  # the tasks are not random
        reward_kind="continuous",  # answer accuracy in [0, 1]
        backend=OpenWeb(),
        **task_fields(browsergym_table("assistantbench"), "assistantbench."),
    )
