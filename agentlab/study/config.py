"""A study config, validated and expanded into episodes: benchmarks × tasks × agents × seeds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.budget import NO_BUDGET, Budget
from ..core.errors import ConfigError
from ..core.layout import RESULTS_DIR, EpisodeKey, episode_grid, summary_path_text
from .sweep import expand_agents

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schema.yaml"  # package data; config/schema.yaml links to it


def schema_error_line(error: Exception) -> str:
    """One line naming the offending value, where it is, and what is allowed."""
    where = ".".join(str(part) for part in getattr(error, "absolute_path", [])) or "top level"
    message = getattr(error, "message", str(error))
    schema = getattr(error, "schema", {})
    validator, instance = getattr(error, "validator", None), getattr(error, "instance", None)
    value = repr(instance) if len(repr(instance)) <= 60 else repr(instance)[:56] + "...'"
    if validator == "additionalProperties" and "properties" in schema:
        message += f"; allowed: {', '.join(schema['properties'])}"
    elif validator == "pattern":  # the pattern as written, not repr'd: one backslash before Z
        message = f"{value} does not match {schema['pattern']}"
    elif validator == "maxLength" and isinstance(instance, str):
        message = f"{value} has {len(instance)} characters; allowed: at most {schema['maxLength']}"
    return f"config error at {where}: {message}"


MAX_CONFIG_VALUES = 1_000_000  # keys and values of a config, counted as often as YAML aliases repeat them
MAX_CONFIG_DEPTH = 50


def check_config_size(config: Any) -> None:
    """ConfigError (one line) if `config` holds more than MAX_CONFIG_VALUES values once its YAML aliases
    are expanded (an alias bomb: a few lines that validation would walk as billions), refers to itself
    or nests deeper than MAX_CONFIG_DEPTH. Counts each shared list or mapping once: linear in the file."""
    sizes: dict[int, int] = {}

    def size(value: Any, where: str, depth: int) -> int:
        if not isinstance(value, (dict, list)):
            return 1
        if depth > MAX_CONFIG_DEPTH:
            raise ConfigError(f"config error at {where or 'top level'}: nested deeper than {MAX_CONFIG_DEPTH} levels")
        known = sizes.get(id(value))
        if known == -1:
            raise ConfigError(f"config error at {where or 'top level'}: contains itself (an alias inside its anchor)")
        if known is None:
            sizes[id(value)] = -1
            items = value.items() if isinstance(value, dict) else enumerate(value)
            known = 1 + sum(1 + size(item, f"{where}.{key}".lstrip("."), depth + 1) for key, item in items)
            sizes[id(value)] = known
            if known > MAX_CONFIG_VALUES:
                raise ConfigError(
                    f"config error at {where or 'top level'}: {known:,} values once its YAML aliases are "
                    f"expanded; allowed: at most {MAX_CONFIG_VALUES:,} (fewer '*' aliases)"
                )
        return known

    size(config, "", 0)


def validate_config(config: dict) -> None:
    """Validate `config` against the study schema with Snakemake's validator (fills defaults)."""
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    try:
        validate(config, str(SCHEMA_PATH))
    except WorkflowError as error:
        # Snakemake folds the jsonschema error into its message; the error itself is the context.
        raise ConfigError(schema_error_line(error.__cause__ or error.__context__ or error)) from None


@dataclass(frozen=True)
class BenchmarkPlan:
    name: str
    episodes: tuple[tuple[str, int], ...]  # (task, seed), in task order
    max_steps: int
    pre_observation_delay: float
    ignore_dependencies: bool = False  # run its tasks in any order, not after the tasks they depend on
    reward_kind: str = "binary"  # the benchmark's: binary rewards score as success rate, continuous as mean reward
    repeats: tuple[tuple[str, int, int], ...] = ()  # (task, seed, n): pairs its default seeds draw n > 1 times
    module: str = ""  # Python path of a custom benchmark ('package.module:NAME'); '' for a built-in one
    cube: str = ""  # the cube it runs (a known cube's name or 'pkg.mod:Config'); '' for a BrowserGym benchmark

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(task for task, _ in self.episodes))

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(sorted({seed for _, seed in self.episodes}))

    def task_seeds(self) -> dict[str, list[int]]:
        """Each task's seeds, for a curriculum whose tasks do not all have the same seeds."""
        seeds: dict[str, list[int]] = {task: [] for task in self.tasks}
        for task, seed in self.episodes:
            seeds[task].append(seed)
        return seeds

    def is_product(self) -> bool:
        """Whether every task runs with every seed."""
        return len(self.episodes) == len(self.tasks) * len(self.seeds)


@dataclass(frozen=True)
class AgentPlan:
    name: str
    config: str
    overrides: dict[str, Any]
    args: dict[str, Any]  # resolved AgentArgs, as agent_args_to_dict gives them
    llm_server: Any = None  # the local LLM server settings it needs, or None
    swept: dict[str, Any] = field(default_factory=dict)  # the sweep values among its overrides ({} if not swept)
    sweep_of: str | None = None  # the config entry whose sweep it is a variant of


@dataclass
class Study:
    """A validated study config, expanded. Not frozen: it keeps three caches (the fields below its settings)
    of what Snakemake asks for again for every episode while it plans."""

    name: str
    benchmarks: dict[str, BenchmarkPlan]
    agents: dict[str, AgentPlan]
    retries: int
    step_timeout_s: int
    episode_timeout_s: int
    workers: str  # 'warm' or 'cold'
    budget: Budget = NO_BUDGET
    max_concurrent_requests: dict[str, int] = field(default_factory=dict)  # LLM endpoint -> requests at once
    max_concurrent_resets: int | None = None  # episode resets at once on a machine; None: its CPUs
    strict_provenance: bool = False  # no episodes from a dirty workflow tree
    _config_hashes: dict[tuple[str, str], str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _spec_fields: dict[tuple[str, str], dict[str, Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _summary_paths: list[str] | None = field(default=None, init=False, repr=False, compare=False)

    def spec(self, benchmark: str, agent: str, task: str, seed: int):
        """The EpisodeSpec of one episode of this study."""
        from ..episode.spec import EpisodeSpec

        plan, agent_plan = self.benchmarks[benchmark], self.agents[agent]
        return EpisodeSpec(
            study=self.name,
            benchmark=benchmark,
            task=task,
            seed=seed,
            agent_name=agent,
            agent_config=agent_plan.config,
            agent_overrides=agent_plan.overrides,
            max_steps=plan.max_steps,
            pre_observation_delay=plan.pre_observation_delay,
            config_hash=self.config_hash(benchmark, agent),
            benchmark_module=plan.module,
            cube=plan.cube,
        )

    def spec_json(self, benchmark: str, agent: str, task: str, seed: int) -> str:
        """spec(...).to_json(), the same text, at a fraction of its cost: Snakemake asks for it once per
        episode when it plans (the fields shared by a benchmark's episodes of an agent are made once)."""
        import json

        key = (benchmark, agent)
        if key not in self._spec_fields:
            self._spec_fields[key] = json.loads(self.spec(benchmark, agent, "", 0).to_json())
        return json.dumps({**self._spec_fields[key], "task": task, "seed": seed}, sort_keys=True)

    def config_hash(self, benchmark: str, agent: str) -> str:
        """Hash of the resolved config shared by this benchmark's episodes of this agent (computed once)."""
        from ..episode.spec import config_hash

        key = (benchmark, agent)
        if key not in self._config_hashes:
            plan = self.benchmarks[benchmark]
            self._config_hashes[key] = config_hash(
                benchmark, plan.max_steps, plan.pre_observation_delay, self.agents[agent].args
            )
        return self._config_hashes[key]

    def local_llm_server(self) -> Any:
        """The local LLM server settings the study's agents need (one server per run), or None."""
        settings = {plan.llm_server for plan in self.agents.values() if plan.llm_server is not None}
        return settings.pop() if settings else None

    def llm_slots(self, agent: str) -> int:
        """1 for an agent that runs on the local LLM server: the `llm` resource caps such episodes."""
        return int(self.agents[agent].llm_server is not None)

    def episode_keys(self) -> Iterator[EpisodeKey]:
        """Every episode of the study, in a stable order."""
        return episode_grid({name: plan.episodes for name, plan in self.benchmarks.items()}, self.agents)

    def summary_path(self, benchmark: str, agent: str, task: str, seed: int) -> str:
        return summary_path_text(f"{RESULTS_DIR}/{self.name}", EpisodeKey(benchmark, agent, task, seed))

    def summary_paths(self) -> list[str]:
        """Every episode's summary.json, in episode_keys order (made once: the workflow asks for it
        more than once while it plans)."""
        if self._summary_paths is None:
            study_dir = f"{RESULTS_DIR}/{self.name}"
            self._summary_paths = [summary_path_text(study_dir, key) for key in self.episode_keys()]
        return self._summary_paths

    def manifest(self) -> dict[str, Any]:
        """What the aggregation needs to know about the study: the expected episodes and configs."""
        return {
            "study": self.name,
            "benchmarks": {name: self._benchmark_manifest(plan) for name, plan in self.benchmarks.items()},
            "agents": {name: self._agent_manifest(plan) for name, plan in self.agents.items()},
            "n_episodes": sum(len(p.episodes) for p in self.benchmarks.values()) * len(self.agents),
        }

    def _agent_manifest(self, plan: AgentPlan) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "config": plan.config,
            "overrides": plan.overrides,
            "config_hash": {b: self.config_hash(b, plan.name) for b in self.benchmarks},
        }
        if plan.sweep_of is not None:
            entry.update(sweep_of=plan.sweep_of, swept=plan.swept)
        return entry

    @staticmethod
    def _benchmark_manifest(plan: BenchmarkPlan) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "tasks": list(plan.tasks),
            "seeds": list(plan.seeds),
            "max_steps": plan.max_steps,
            "reward_kind": plan.reward_kind,
        }
        if not plan.is_product():  # a curriculum: the episodes are not every task with every seed
            entry["task_seeds"] = plan.task_seeds()
        if plan.module:
            entry["module"] = plan.module
        if plan.cube:
            entry["cube"] = plan.cube
        if plan.repeats:  # AgentLab runs these (task, seed) draws n times; its averages weigh them so
            entry["repeats"] = [list(repeat) for repeat in plan.repeats]
        return entry


def load_study(config: dict) -> Study:
    """Validate a study config and resolve its benchmarks, tasks and agents; raise ConfigError."""
    from ..agents.registry import agent_args_to_dict, load_agent_args
    from ..benchmarks import CustomBenchmarkError, TaskSelectionError, UnknownBenchmarkError, get_benchmark

    check_config_size(config)
    validate_config(config)
    benchmarks = {}
    for name, settings in config["benchmarks"].items():
        try:
            benchmark = get_benchmark(name, settings.get("module", ""), settings.get("cube", ""))
            episodes = benchmark.episodes(benchmark.select_tasks(settings["tasks"]), settings.get("seeds"))
        except (UnknownBenchmarkError, CustomBenchmarkError, TaskSelectionError) as error:
            raise ConfigError(f"config error at benchmarks.{name}: {error}") from None
        repeats = benchmark.curriculum_repeats() if settings.get("seeds") is None else {}
        chosen = set(episodes)
        benchmarks[name] = BenchmarkPlan(
            name=name,
            episodes=tuple(episodes),
            max_steps=settings.get("max_steps") or benchmark.default_max_steps,
            pre_observation_delay=settings["pre_observation_delay"],
            ignore_dependencies=settings["ignore_dependencies"],
            reward_kind=benchmark.reward_kind,
            repeats=tuple((task, seed, n) for (task, seed), n in repeats.items() if (task, seed) in chosen),
            module=settings.get("module", ""),
            cube=settings.get("cube", ""),
        )
    agents = {}
    for name, entry in expand_agents(config["agents"]).items():
        try:
            args = load_agent_args(entry.config, entry.overrides)
            args.check()
        except ConfigError as error:
            where = name if entry.sweep_of is None else f"{entry.sweep_of} (sweep variant {name})"
            raise ConfigError(f"config error at agents.{where}: {error}") from None
        agents[name] = AgentPlan(
            name,
            entry.config,
            entry.overrides,
            agent_args_to_dict(args),
            args.local_llm_server(),
            entry.swept,
            entry.sweep_of,
        )
    servers = {plan.llm_server for plan in agents.values() if plan.llm_server is not None}
    if len(servers) > 1:
        raise ConfigError(
            f"config error at agents: local LLM agents need one server per run, but their server "
            f"settings differ: {', '.join(sorted(map(str, servers)))}"
        )
    episode = config["episode"]
    return Study(
        name=config["study"],
        benchmarks=benchmarks,
        agents=agents,
        retries=episode["retries"],
        step_timeout_s=episode["step_timeout_s"],
        episode_timeout_s=episode["episode_timeout_s"],
        workers=episode["workers"],
        budget=Budget(**config["budget"], prices=config["prices"]),
        max_concurrent_requests=episode["max_concurrent_requests"],
        max_concurrent_resets=episode["max_concurrent_resets"],
        strict_provenance=episode["strict_provenance"],
    )


def load_study_file(path: str | Path) -> Study:
    """The study of a YAML config file; ConfigError (one line) if it is missing or not YAML."""
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            config = yaml.safe_load(handle)
    except OSError as error:
        raise ConfigError(f"study config {str(path)!r}: {error.strerror}; allowed: a YAML study file") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"study config {str(path)!r} is not YAML: {' '.join(str(error).split())}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"study config {str(path)!r} is not a mapping of study, benchmarks, agents")
    return load_study(config)
