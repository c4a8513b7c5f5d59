"""Benchmarks users bring: named in a study by Python path (`module: "mypkg.tasks:BENCHMARK"`).

The object at that path is a `CustomBenchmarkArgs` listing BrowserGym task classes (registered
here as gym envs) or gym ids the module registers on import, with the benchmark's action set,
navigation policy, default max_steps and seeds and an optional preflight; or a ready `Benchmark`.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..browser.actions import ActionSetArgs
from ..browser.navigation import NavigationPolicy
from ..core.errors import ConfigError
from .base import Backend, Benchmark, RewardKind

GYM_PREFIX = "browsergym/"  # BrowserGym's register_task prefixes every id with it
TASK_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\Z")  # a task is a folder of the study's results
PATH_FORMAT = "'package.module:NAME'"


class CustomBenchmarkError(ConfigError):
    """A custom benchmark's Python path, object or tasks are not usable; the message says which."""


@dataclass(frozen=True)
class CustomBenchmarkArgs:
    """A benchmark of your own tasks: what a study's `module:` path points at."""

    tasks: Sequence[type | str]  # AbstractBrowserTask subclasses, or gym ids ('browsergym/...') the module registers
    action_set: ActionSetArgs = ActionSetArgs(("chat", "tab", "nav", "bid", "infeas"))  # BrowserGym's default
    max_steps: int = 10
    seeds: tuple[int, ...] = (0,)  # every task's seeds when the study names none
    # Where agents may navigate: a policy, or a function returning one in the episode's process
    # (e.g. from an environment variable naming your server). Default: web pages, no local files.
    navigation: NavigationPolicy | Callable[[], NavigationPolicy] = NavigationPolicy(open_web=True)
    # What is missing to run the given tasks (one short phrase each, [] when ready); checked once per run.
    preflight: Callable[[Sequence[str]], list[str]] | None = None
    reward_kind: RewardKind = "binary"
    is_multi_tab: bool = False
    task_metadata: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # task -> columns, for `match`


@dataclass(frozen=True)
class CheckedBackend(Backend):
    """A custom benchmark's preflight function as a Backend."""

    check: Callable[[Sequence[str]], list[str]]

    def problems(self, tasks: Sequence[str]) -> list[str]:
        return [str(problem) for problem in self.check(list(tasks))]


@dataclass(frozen=True)
class CustomBenchmark(Benchmark):
    """A Benchmark whose tasks are the user's: each task name maps to its gym id."""

    gym_ids: Mapping[str, str] = field(default_factory=dict)
    task_classes: Mapping[str, type] = field(default_factory=dict)  # registered by `prepare` in each process
    navigation: NavigationPolicy | Callable[[], NavigationPolicy] = NavigationPolicy(open_web=True)

    def env_id(self, task: str) -> str:
        return self.gym_ids[task]

    def prepare(self) -> None:
        super().prepare()  # imports the user's module: it registers its gym ids
        register_task_classes(self.task_classes, self.gym_ids)

    def navigation_policy(self) -> NavigationPolicy:
        return self.navigation() if callable(self.navigation) else self.navigation


def register_task_classes(classes: Mapping[str, type], gym_ids: Mapping[str, str]) -> None:
    """Register each task class under its gym id, once per process."""
    import gymnasium as gym
    from browsergym.core.registration import register_task

    for task, cls in classes.items():
        if gym_ids[task] not in gym.envs.registry:
            register_task(gym_ids[task].removeprefix(GYM_PREFIX), cls)


def load_object(path: str) -> tuple[str, Any]:
    """(module name, object) at a Python path 'package.module:NAME'."""
    module_name, colon, attribute = path.partition(":")
    if not colon or not module_name or not attribute.isidentifier():
        raise CustomBenchmarkError(f"benchmark module {path!r} is not a Python path; allowed: {PATH_FORMAT}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise CustomBenchmarkError(
            f"benchmark module {path!r}: module {error.name!r} not found (install it, or put its folder on PYTHONPATH)"
        ) from None
    if not hasattr(module, attribute):
        choices = sorted(
            name for name, value in vars(module).items() if isinstance(value, (CustomBenchmarkArgs, Benchmark))
        )
        raise CustomBenchmarkError(
            f"benchmark module {path!r}: {module_name} has no {attribute!r}; allowed: {', '.join(choices) or 'none'}"
        )
    return module_name, getattr(module, attribute)


def task_gym_ids(name: str, path: str, tasks: Sequence[type | str]) -> tuple[dict[str, str], dict[str, type]]:
    """(task name -> gym id, task name -> task class) of a custom benchmark's tasks, checked."""
    import gymnasium as gym
    from browsergym.core.task import AbstractBrowserTask

    gym_ids: dict[str, str] = {}
    classes: dict[str, type] = {}
    for task in tasks:
        if isinstance(task, str):
            if task not in gym.envs.registry:
                raise CustomBenchmarkError(
                    f"benchmark {name} ({path}): task {task!r} is not a registered gym id; allowed: ids its module "
                    f"registers on import (browsergym.core.registration.register_task), or AbstractBrowserTask classes"
                )
            task_name = task.removeprefix(GYM_PREFIX)
            gym_id = task
        elif isinstance(task, type) and issubclass(task, AbstractBrowserTask):
            task_class: Any = task  # an AbstractBrowserTask (BrowserGym has no type information)
            try:
                task_name = str(task_class.get_task_id())
            except NotImplementedError:
                raise CustomBenchmarkError(
                    f"benchmark {name} ({path}): task class {task.__qualname__} does not define get_task_id()"
                ) from None
            gym_id = f"{GYM_PREFIX}custom.{name}.{task_name}"
            classes[task_name] = task
        else:
            raise CustomBenchmarkError(
                f"benchmark {name} ({path}): task {task!r} is a {type(task).__name__}; allowed: an "
                f"AbstractBrowserTask subclass or a registered gym id such as 'browsergym/{name}.my-task'"
            )
        if not TASK_NAME.match(task_name):
            raise CustomBenchmarkError(
                f"benchmark {name} ({path}): task name {task_name!r} is not a folder name; allowed: up to 100 "
                f"letters, digits, '_', '.', '-'"
            )
        if task_name in gym_ids:
            raise CustomBenchmarkError(f"benchmark {name} ({path}): task {task_name!r} is listed twice")
        gym_ids[task_name] = gym_id
    if not gym_ids:
        raise CustomBenchmarkError(f"benchmark {name} ({path}) has no tasks; allowed: a non-empty list")
    return gym_ids, classes


def from_args(name: str, path: str, module_name: str, args: CustomBenchmarkArgs) -> CustomBenchmark:
    """The Benchmark that `args`, found at `path`, describe; its tasks' gym envs are registered here."""
    if not isinstance(args.action_set, ActionSetArgs):
        raise CustomBenchmarkError(
            f"benchmark {name} ({path}): action_set is a {type(args.action_set).__name__}; allowed: an "
            f"agentlab.browser.actions.ActionSetArgs"
        )
    if not (isinstance(args.max_steps, int) and args.max_steps >= 1):
        raise CustomBenchmarkError(f"benchmark {name} ({path}): max_steps {args.max_steps!r}; allowed: an integer >= 1")
    gym_ids, classes = task_gym_ids(name, path, args.tasks)
    register_task_classes(classes, gym_ids)
    return CustomBenchmark(
        name=name,
        env_prefix="",
        task_names=tuple(gym_ids),
        default_max_steps=args.max_steps,
        action_set=args.action_set,
        package=module_name,
        install_hint="install it, or put its folder on PYTHONPATH",
        task_metadata=args.task_metadata,
        default_seeds=tuple(args.seeds),
        backend=CheckedBackend(args.preflight) if args.preflight else None,
        reward_kind=args.reward_kind,
        is_multi_tab=args.is_multi_tab,
        gym_ids=gym_ids,
        task_classes=classes,
        navigation=args.navigation,
    )


def load_custom(name: str, path: str) -> Benchmark:
    """The benchmark named `name` in a study, defined by the object at `path` ('package.module:NAME')."""
    module_name, value = load_object(path)
    if isinstance(value, CustomBenchmarkArgs):
        return from_args(name, path, module_name, value)
    if isinstance(value, Benchmark):
        return dataclasses.replace(value, name=name)
    raise CustomBenchmarkError(
        f"benchmark module {path!r} is a {type(value).__name__}; allowed: an "
        f"agentlab.benchmarks.CustomBenchmarkArgs (or a Benchmark)"
    )
