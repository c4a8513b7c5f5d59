"""MiniWoB++ served offline from the pages inside the PyPI package `miniwob`."""

from __future__ import annotations

import os
from pathlib import Path

from ..navigation import NavigationPolicy
from .base import Benchmark


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
    from browsergym.miniwob import ALL_MINIWOB_TASKS

    return MiniWoBBenchmark(
        name=name,
        env_prefix="browsergym/miniwob.",
        task_names=tuple(task.subdomain for task in ALL_MINIWOB_TASKS),
        default_max_steps=10,
        action_subsets=("miniwob_all",),
        package="browsergym.miniwob",
    )
