"""The WebArena family on self-hosted sites: WebArena, WebArena-Lite, WebArena-Verified and VisualWebArena.

Their tasks change the sites' state, so every agent and seed gets its own round on a freshly reset
instance, and tasks run in the order of BrowserGym's `depends_on` metadata (see agentlab/study/schedule.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..browser.actions import ActionSetArgs
from ..browser.navigation import NavigationPolicy
from ..core.errors import InfraError
from .base import Backend, Benchmark
from .metadata import browsergym_table, judged_tasks, task_fields
from .preflight import fetch, missing_env, probe, unreachable

READY = "Ready for duty!"  # what the reset server's /status says once the instance is back
# The model the packages' llm_fuzzy_match and llm_ua_match evaluators ask (they read OPENAI_API_KEY).
OPENAI_JUDGE = "gpt-4-1106-preview"


@dataclass(frozen=True)
class WebArenaInstance(Backend):
    """Sites whose URLs are in `{prefix}{site}` variables, reset by the server at `{prefix}FULL_RESET`."""

    prefix: str  # "WA_" or "VWA_", as BrowserGym's variables
    sites: tuple[str, ...]  # variables (without prefix) of the site URLs the tasks visit
    settings: tuple[str, ...]  # other variables (without prefix) the tasks read
    instance: str  # the name resets and the instance resource go by
    # judge ("openai", "blip2") -> the benchmark's tasks whose evaluation asks it (metadata/judged_tasks.csv)
    judged_tasks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    captioning_model: str = ""  # the Hugging Face model every task's setup loads for its evaluator, if any

    @property
    def reset_variable(self) -> str:
        return f"{self.prefix}FULL_RESET"

    def site_urls(self) -> dict[str, str]:
        return {f"{self.prefix}{site}": os.environ[f"{self.prefix}{site}"] for site in self.sites}

    def navigation_policy(self) -> NavigationPolicy:
        """The instance's sites and homepage: the pages its tasks open (an agent cannot leave for the web)."""
        variables = [f"{self.prefix}{name}" for name in (*self.sites, "HOMEPAGE")]
        return NavigationPolicy.sites([os.environ[name] for name in variables if os.environ.get(name)])

    def problems(self, tasks: Sequence[str]) -> list[str]:
        variables = [f"{self.prefix}{name}" for name in (*self.sites, *self.settings)] + [self.reset_variable]
        missing = missing_env(variables)
        if missing:
            return [
                f"{', '.join(missing)} not set (the {self.instance} instance's site URLs and reset server)",
                *self.evaluation_problems(tasks),
            ]
        reset_status = f"{os.environ[self.reset_variable].rstrip('/')}/status"
        return (
            unreachable({**self.site_urls(), f"{self.reset_variable} status": reset_status})
            + nltk_problems()
            + self.evaluation_problems(tasks)
        )

    def evaluation_problems(self, tasks: Sequence[str]) -> list[str]:
        """What the evaluators of `tasks` need: the OpenAI key where OpenAI scores some of them (without
        it their evaluation fails), the captioning model (BrowserGym loads it at each task's setup)."""
        problems = captioning_model_problems(self.captioning_model) if self.captioning_model else []
        judged = set(self.judged_tasks.get("openai", ()))
        needing = [task for task in tasks if task in judged]
        if needing and missing_env(["OPENAI_API_KEY"]):
            problems.append(
                f"OPENAI_API_KEY not set: {len(needing)} of the {len(tasks)} selected tasks (e.g. "
                f"{', '.join(needing[:3])}) are scored by OpenAI's {OPENAI_JUDGE} (their llm_fuzzy_match "
                f"or llm_ua_match evaluator, asked after every step)"
            )
        return problems

    def reset(self, timeout_s: float = 900.0, poll_s: float = 20.0) -> dict[str, Any]:
        """Ask the reset server to restore every site, wait until it is ready and the sites answer."""
        if missing_env([self.reset_variable]):
            raise InfraError(f"cannot reset the {self.instance} instance: {self.reset_variable} not set")
        server = os.environ[self.reset_variable].rstrip("/")
        started = time.time()
        try:
            status, text = fetch(f"{server}/reset", timeout_s=60)
            if status not in (200, 418):  # 418: a reset is already running
                raise InfraError(f"reset request {server}/reset failed ({status}): {text.strip()[:200]}")
            while True:
                status, text = fetch(f"{server}/status", timeout_s=60)
                if status != 200:
                    raise InfraError(f"reset status {server}/status failed ({status}): {text.strip()[:200]}")
                if text.strip() == READY:
                    break
                if time.time() - started > timeout_s:
                    raise InfraError(f"{self.instance} instance still resetting after {timeout_s:.0f} s ({server})")
                time.sleep(poll_s)
        except OSError as error:
            raise InfraError(f"reset server {server} unreachable: {getattr(error, 'reason', error)}") from None
        problems = unreachable(self.site_urls(), timeout_s=60)  # also warms the sites up, as BrowserGym does
        if problems:
            raise InfraError(f"after the reset of the {self.instance} instance: {'; '.join(problems)}")
        return {
            "instance": self.instance,
            "reset_server": server,
            "started_at": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(),
            "elapsed_s": round(time.time() - started, 3),
        }


def nltk_problems() -> list[str]:
    """BrowserGym's WebArena packages download NLTK's punkt_tab on import when it is missing: offline, they fail."""
    if importlib.util.find_spec("nltk") is None:
        return []  # the package is missing, which the preflight reports
    import nltk

    try:
        nltk.data.find("tokenizers/punkt_tab")
    except LookupError:
        return ["NLTK data punkt_tab not found (python -m nltk.downloader punkt_tab)"]
    return []


def captioning_model_problems(model: str) -> list[str]:
    """A model BrowserGym loads with transformers: ready when its config is in the Hugging Face cache,
    or when the Hub answers (it then downloads at the first task's setup), unless HF_HUB_OFFLINE is set."""
    if importlib.util.find_spec("huggingface_hub") is None:
        return []  # the benchmark's package is missing, which the preflight reports
    from huggingface_hub import constants, try_to_load_from_cache

    if isinstance(try_to_load_from_cache(model, "config.json"), str):
        return []
    why = f"{model} not in the Hugging Face cache (every task's setup loads it for its image evaluator)"
    if constants.HF_HUB_OFFLINE:
        return [f"{why} and HF_HUB_OFFLINE is set"]
    problem = probe("the Hugging Face Hub", f"{constants.ENDPOINT}/{model}/resolve/main/config.json")[0]
    return [f"{why} and {problem}"] if problem else []


WEBARENA = WebArenaInstance(
    instance="webarena",
    prefix="WA_",
    sites=("SHOPPING", "SHOPPING_ADMIN", "REDDIT", "GITLAB", "WIKIPEDIA", "MAP"),
    settings=("HOMEPAGE",),
)
VISUALWEBARENA = WebArenaInstance(
    instance="visualwebarena",
    prefix="VWA_",
    sites=("SHOPPING", "REDDIT", "WIKIPEDIA", "CLASSIFIEDS"),
    settings=("HOMEPAGE", "CLASSIFIEDS_RESET_TOKEN"),
    captioning_model="Salesforce/blip2-flan-t5-xl",  # browsergym-visualwebarena's GenericVisualWebArenaTask.setup
)


@dataclass(frozen=True)
class Variant:
    """How one benchmark of the family differs from the others."""

    table: str  # BrowserGym's metadata table, and its task names' prefix
    package: str
    backend: WebArenaInstance
    action_subset: str
    install_hint: str = ""


VARIANTS = {
    "webarena": Variant("webarena", "browsergym.webarena", WEBARENA, "webarena"),
    "webarena_lite": Variant("webarenalite", "browsergym.webarenalite", WEBARENA, "webarena"),
    "webarena_verified": Variant(
        "webarena_verified",
        "browsergym.webarena_verified",
        WEBARENA,
        "webarena",
        install_hint="browsergym-webarena-verified needs Python >= 3.12, then pip install -e '.[webarena-verified]'",
    ),
    "visualwebarena": Variant("visualwebarena", "browsergym.visualwebarena", VISUALWEBARENA, "visualwebarena"),
}


def load(name: str) -> Benchmark:
    variant = VARIANTS[name]
    return Benchmark(
        name=name,
        env_prefix=f"browsergym/{variant.table}.",
        default_max_steps=30,
        action_set=ActionSetArgs((variant.action_subset,)),
        is_multi_tab=True,
        package=variant.package,
        extra=name.replace("_", "-"),  # pip extras are spelled with hyphens
        install_hint=variant.install_hint,
        # One config per task: its seed changes nothing (AgentLab draws one random seed per task).
        default_seeds=(0,),
        backend=dataclasses.replace(variant.backend, judged_tasks=judged_tasks(name)),
        **task_fields(browsergym_table(variant.table), f"{variant.table}."),
    )
