"""What a benchmark is to AgentLab: named tasks, how to make their envs, their defaults and backend."""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import importlib.util
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from ..browser.actions import ActionSetArgs
from ..browser.navigation import NavigationPolicy
from ..core.errors import ConfigError

SPLIT_COLUMN = "browsergym_split"  # BrowserGym's train/valid/test split of a benchmark's tasks

# What a task's reward means: binary (1 solved, 0 not: the score is the success rate) or continuous
# (a partial score such as AssistantBench's answer accuracy: the score is the mean reward).
RewardKind = Literal["binary", "continuous"]


class TaskSelectionError(ConfigError):
    """A study config's choice of tasks or seeds gives no episode of its benchmark."""


class Backend(ABC):
    """What a benchmark's tasks need beyond this machine (a server, credentials, a dataset).

    Checked once per study before any of its episodes starts (the preflight).
    """

    # Name of a stateful instance that episodes modify: benchmarks sharing it run one agent and
    # seed at a time, with a reset of the instance before each such round. None: no resets.
    instance: str | None = None

    @abstractmethod
    def problems(self, tasks: Sequence[str]) -> list[str]:
        """What is missing or unreachable for running `tasks`, one short phrase each; [] when ready."""

    def navigation_policy(self) -> NavigationPolicy:
        """Where agents may navigate: by default any web page (but no local files or script URLs)."""
        return NavigationPolicy(open_web=True)

    def reset(self, timeout_s: float = 900.0) -> dict[str, Any]:
        """Reset the instance to its initial state within `timeout_s`; return a record of the reset."""
        raise NotImplementedError(f"{type(self).__name__} has no instance to reset")


@dataclass(frozen=True)
class Benchmark:
    """A BrowserGym benchmark: its task names (without the env prefix) and episode defaults."""

    name: str
    env_prefix: str  # gym id of a task = env_prefix + task name
    task_names: tuple[str, ...]
    default_max_steps: int
    action_set: ActionSetArgs  # the actions agents get, as BrowserGym's benchmark defines them
    package: str  # module whose import registers the tasks' gym envs
    extra: str | None = None  # pip extra of this project that installs `package`; None: always installed
    install_hint: str = ""  # how to install `package` when it is missing (default: from `extra`)
    task_metadata: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # task -> BrowserGym's columns
    default_seeds: tuple[int, ...] = ()  # seeds of every task when the config names none
    curriculum: tuple[tuple[str, int], ...] = ()  # (task, seed) episodes when the config names no seeds
    depends_on: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # task -> tasks to run before it
    backend: Backend | None = None  # None: the tasks need nothing beyond this machine
    reward_kind: RewardKind = "binary"
    is_multi_tab: bool = False  # tasks may open several tabs (agents are shown the open tabs)
    opens_browser: bool = True  # False: its env replays recorded observations (WebLINX) and opens no browser
    split_column: ClassVar[str] = SPLIT_COLUMN  # the metadata column of its tasks' train/valid/test split

    def env_id(self, task: str) -> str:
        return f"{self.env_prefix}{task}"

    def missing_package(self) -> str | None:
        """Why `package` cannot be imported here, or None when it can (without importing it)."""
        if importlib.util.find_spec(self.package.split(".")[0]) and importlib.util.find_spec(self.package):
            return None
        hint = self.install_hint or f"pip install -e '.[{self.extra}]'"
        return f"Python package {self.package} not installed ({hint})"

    def prepare(self) -> None:
        """Make the tasks' envs creatable in this process (imports, environment variables)."""
        missing = self.missing_package()
        if missing:
            raise ConfigError(f"benchmark {self.name}: {missing}")
        importlib.import_module(self.package)

    def navigation_policy(self) -> NavigationPolicy:
        """Where agents may navigate: the backend's sites (call after `prepare`); any web page without one."""
        return self.backend.navigation_policy() if self.backend is not None else NavigationPolicy(open_web=True)

    def select_tasks(self, selection: str | list[str | int] | Mapping[str, Any]) -> list[str]:
        """Tasks named by `selection`, in benchmark order.

        'all'; a list of names and globs ('click-*'); or a mapping of `split` (train, valid, test),
        `match` ({metadata column: glob}) and `names` (a list), all of which a task must satisfy.
        """
        if isinstance(selection, Mapping):
            return self._select_by_metadata(selection)
        patterns = [selection] if isinstance(selection, str) else [str(pattern) for pattern in selection]
        if patterns == ["all"]:
            return list(self.task_names)
        chosen: set[str] = set()
        for pattern in patterns:
            matches = fnmatch.filter(self.task_names, pattern)
            if not matches:
                raise TaskSelectionError(self._unmatched_message(pattern))
            chosen.update(matches)
        return [task for task in self.task_names if task in chosen]

    def _select_by_metadata(self, selection: Mapping[str, Any]) -> list[str]:
        tasks = self.select_tasks(selection.get("names", "all"))
        conditions = dict(selection.get("match", {}))
        if "split" in selection:
            conditions[self.split_column] = selection["split"]
        columns = sorted({column for row in self.task_metadata.values() for column in row})
        for column, pattern in conditions.items():
            if column not in columns:
                allowed = ", ".join(columns) if columns else "none: select its tasks by name or glob"
                raise TaskSelectionError(f"{self.name} tasks have no metadata column {column!r}; allowed: {allowed}")
            tasks = [task for task in tasks if fnmatch.fnmatchcase(self.task_metadata[task][column], str(pattern))]
        if not tasks:
            values = sorted({self.task_metadata[task][column] for task in self.task_names for column in conditions})
            raise TaskSelectionError(
                f"no {self.name} task matches {dict(conditions)}; values of those columns include "
                f"{', '.join(repr(value) for value in values[:8])}"
            )
        return tasks

    def episodes(self, tasks: Sequence[str], seeds: Sequence[int] | None) -> list[tuple[str, int]]:
        """(task, seed) of each episode on `tasks`: every task with every seed of `seeds`, or when the
        config names no seeds, the benchmark's curriculum (per-task seeds) or its default seeds.

        A (task, seed) pair the curriculum draws twice is one episode (see `curriculum_repeats`)."""
        if seeds is None and self.curriculum:
            curriculum_seeds: dict[str, dict[int, None]] = defaultdict(dict)
            for task, seed in self.curriculum:
                curriculum_seeds[task][seed] = None
            pairs = [(task, seed) for task in tasks for seed in curriculum_seeds.get(task, ())]
            if not pairs:
                raise TaskSelectionError(
                    f"none of the {len(tasks)} selected tasks is in the {self.name} evaluation curriculum; "
                    f"name seeds for them, e.g. seeds: [0]"
                )
            return pairs
        if seeds is None:
            if not self.default_seeds:
                raise TaskSelectionError(f"{self.name} has no default seeds; name them, e.g. seeds: [0, 1, 2]")
            seeds = self.default_seeds
        return [(task, seed) for task in tasks for seed in seeds]

    def curriculum_repeats(self) -> dict[tuple[str, int], int]:
        """(task, seed) -> how many times the curriculum draws it, for pairs drawn more than once.

        BrowserGym draws MiniWoB's seeds at random, so 35 of its 625 episodes repeat a (task, seed)
        pair; AgentLab runs each repeat, we run the pair once and weigh it as often in AgentLab's
        averages."""
        counts: dict[tuple[str, int], int] = defaultdict(int)
        for pair in self.curriculum:
            counts[pair] += 1
        return {pair: count for pair, count in counts.items() if count > 1}

    def _unmatched_message(self, pattern: str) -> str:
        close = difflib.get_close_matches(pattern, self.task_names, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"e.g. {', '.join(self.task_names[:3])}"
        return (
            f"task {pattern!r} matches no {self.name} task; allowed: one of its "
            f"{len(self.task_names)} task names, a glob such as 'click-*', or 'all' ({hint})"
        )
