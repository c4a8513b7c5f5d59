"""What a benchmark is to AgentLab: named tasks, how to make their envs, and their defaults."""

from __future__ import annotations

import difflib
import fnmatch
import importlib
from dataclasses import dataclass

from ..navigation import NavigationPolicy


class TaskSelectionError(ValueError):
    """A task name or pattern in a study config matches no task of its benchmark."""


@dataclass(frozen=True)
class Benchmark:
    """A BrowserGym benchmark: its task names (without the env prefix) and episode defaults."""

    name: str
    env_prefix: str  # gym id of a task = env_prefix + task name
    task_names: tuple[str, ...]
    default_max_steps: int
    action_subsets: tuple[str, ...]  # BrowserGym HighLevelActionSet subsets agents should use
    package: str  # module whose import registers the tasks' gym envs

    def env_id(self, task: str) -> str:
        return f"{self.env_prefix}{task}"

    def prepare(self) -> None:
        """Make the tasks' envs creatable in this process (imports, environment variables)."""
        importlib.import_module(self.package)

    def navigation_policy(self) -> NavigationPolicy:
        """Where agents may navigate; by default web pages but no local files or script URLs."""
        return NavigationPolicy(open_web=True)

    def select_tasks(self, selection: str | list[str]) -> list[str]:
        """Tasks named by `selection`: 'all', or names and globs ('click-*'), in benchmark order."""
        patterns = [selection] if isinstance(selection, str) else list(selection)
        if patterns == ["all"]:
            return list(self.task_names)
        chosen: set[str] = set()
        for pattern in patterns:
            matches = fnmatch.filter(self.task_names, pattern)
            if not matches:
                raise TaskSelectionError(self._unmatched_message(pattern))
            chosen.update(matches)
        return [task for task in self.task_names if task in chosen]

    def _unmatched_message(self, pattern: str) -> str:
        close = difflib.get_close_matches(pattern, self.task_names, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"e.g. {', '.join(self.task_names[:3])}"
        return (
            f"task {pattern!r} matches no {self.name} task; allowed: one of its "
            f"{len(self.task_names)} task names, a glob such as 'click-*', or 'all' ({hint})"
        )
