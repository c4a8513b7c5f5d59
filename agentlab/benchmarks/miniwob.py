"""MiniWoB++ served offline from the pages inside the PyPI package `miniwob`."""

from __future__ import annotations

import os
from pathlib import Path

from ..browser.actions import ActionSetArgs
from ..browser.navigation import NavigationPolicy
from .base import Benchmark
from .metadata import browsergym_table, repeat_task_seeds, task_fields

PREFIX = "miniwob."
SEEDS_PER_TASK = 5  # BrowserGym's `miniwob` benchmark (n_repeats=5), hence AgentLab's 625 episodes


def miniwob_url() -> str:
    """file:// URL of the MiniWoB++ task pages shipped in the `miniwob` package (trailing slash)."""
    import miniwob

    pages = Path(miniwob.__file__).parent / "html" / "miniwob"
    if not (pages / "click-test.html").is_file():
        raise FileNotFoundError(f"MiniWoB++ pages not found in {pages}: reinstall the 'miniwob' package")
    return pages.as_uri() + "/"


class MiniWoBBenchmark(Benchmark):
    def prepare(self) -> None:
        """Serve the pages from the `miniwob` package, unless MINIWOB_URL points elsewhere."""
        os.environ.setdefault("MINIWOB_URL", miniwob_url())
        super().prepare()

    def navigation_policy(self) -> NavigationPolicy:
        """Only the MiniWoB pages (call after `prepare`)."""
        return NavigationPolicy(allowed_prefixes=(os.environ["MINIWOB_URL"],))


def load(name: str = "miniwob") -> Benchmark:
    fields = task_fields(browsergym_table("miniwob"), PREFIX)
    return MiniWoBBenchmark(
        name=name,
        env_prefix=f"browsergym/{PREFIX}",
        default_max_steps=10,
        action_set=ActionSetArgs(("miniwob_all",)),
        package="browsergym.miniwob",
        # Without seeds in the config: BrowserGym's own episodes, 5 random seeds per task.
        curriculum=repeat_task_seeds(fields["task_names"], SEEDS_PER_TASK),
        **fields,
    )
