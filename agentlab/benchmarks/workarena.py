"""WorkArena L1-L3 (browsergym-workarena) on a ServiceNow instance, with BrowserGym's evaluation curricula."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..browser.actions import ActionSetArgs
from ..browser.navigation import NavigationPolicy
from .base import Backend, Benchmark
from .metadata import WORKARENA_CURRICULUM, browsergym_table, read_table, strip_prefix, task_fields
from .preflight import missing_env, probe, unreachable

PREFIX = "workarena.servicenow."
# benchmark -> (level, default max_steps, action subset), as BrowserGym's workarena_l1,
# workarena_l2_agent_curriculum_eval and workarena_l3_agent_curriculum_eval (L2 and L3 are multi-tab).
LEVELS = {
    "workarena_l1": ("l1", 15, "workarena"),
    "workarena_l2": ("l2", 50, "workarena++"),
    "workarena_l3": ("l3", 50, "workarena++"),
}
CREDENTIALS = ("SNOW_INSTANCE_URL", "SNOW_INSTANCE_UNAME", "SNOW_INSTANCE_PWD")
INSTANCE_POOL_REPO = "https://huggingface.co/datasets/ServiceNow/WorkArena-Instances"


def huggingface_token() -> bool:
    """Whether a Hugging Face token is configured (WorkArena's default instance pool is a gated dataset)."""
    if os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN"):
        return True
    hf_home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    return (hf_home / "token").is_file()


@dataclass(frozen=True)
class ServiceNowInstance(Backend):
    """A ServiceNow instance: SNOW_INSTANCE_URL/_UNAME/_PWD, a SNOW_INSTANCE_POOL file, or the gated pool."""

    def problems(self, tasks: Sequence[str]) -> list[str]:
        if any(os.environ.get(name) for name in CREDENTIALS):
            missing = missing_env(CREDENTIALS)
            if missing:
                return [f"{', '.join(missing)} not set (WorkArena needs all of {', '.join(CREDENTIALS)})"]
            return self._instance_problems(os.environ["SNOW_INSTANCE_URL"].rstrip("/"))
        if os.environ.get("SNOW_INSTANCE_POOL"):
            pool = Path(os.environ["SNOW_INSTANCE_POOL"]).expanduser()
            return [] if pool.is_file() else [f"SNOW_INSTANCE_POOL file {pool} not found"]
        if huggingface_token():
            return unreachable({"the WorkArena instance pool": INSTANCE_POOL_REPO})
        return [
            f"no ServiceNow instance: set {', '.join(CREDENTIALS)} (or SNOW_INSTANCE_POOL, "
            "or a Hugging Face token with access to ServiceNow/WorkArena-Instances)"
        ]

    def navigation_policy(self) -> NavigationPolicy:
        """The ServiceNow instance: SNOW_INSTANCE_URL, else every instance of the pool (one is drawn per
        episode by browsergym-workarena; call after `prepare`)."""
        if os.environ.get("SNOW_INSTANCE_URL"):
            return NavigationPolicy.sites([os.environ["SNOW_INSTANCE_URL"]])
        from browsergym.workarena.instance import fetch_instances

        return NavigationPolicy.sites([instance["url"] for instance in fetch_instances()])

    @staticmethod
    def _instance_problems(url: str) -> list[str]:
        problem, page = probe("ServiceNow instance SNOW_INSTANCE_URL", url)
        if problem:
            return [problem]
        if "hibernating" in page.lower():
            return [f"ServiceNow instance {url} is hibernating: open it in a browser to wake it up"]
        return []


def load(name: str) -> Benchmark:
    level, max_steps, action_subset = LEVELS[name]
    rows = [row for row in browsergym_table("workarena") if row["level"] == level]
    curriculum = tuple(
        (strip_prefix(row["task_name"], PREFIX), int(row["seed"]))
        for row in read_table(WORKARENA_CURRICULUM)
        if row["level"] == level
    )
    return Benchmark(
        name=name,
        env_prefix=f"browsergym/{PREFIX}",
        default_max_steps=max_steps,
        action_set=ActionSetArgs((action_subset,)),
        is_multi_tab=level != "l1",
        package="browsergym.workarena",
        extra="workarena",
        curriculum=curriculum,
        backend=ServiceNowInstance(),
        **task_fields(rows, PREFIX),
    )
