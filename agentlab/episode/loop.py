"""The episode loop: reset the task, ask the agent, step the browser, record every step."""

from __future__ import annotations

import errno
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..agents.base import AgentStep, EpisodeContext, UnusableAnswers
from ..benchmarks.cube.benchmark import CubeBenchmark
from ..browser.navigation import NavigationGuard
from ..browser.settle import take_settle_seconds
from ..core.budget import NO_BUDGET, Budget
from ..core.errors import AgentError, EvaluationError, InfraError
from ..core.records import EpisodeError, EpisodeOutcome, Status, StepAnswer, StepEffect, StepRecord
from ..llm.pricing import use_study_prices
from ..machine.slots import reset_slot
from .spec import EpisodeSpec
from .step_writer import StepWriter

# Called with (phase, step) when the loop enters a phase; the supervisor times phases with it.
PhaseCallback = Callable[[str, int], None]


def _error_record(error: BaseException, default_status: Status) -> tuple[Status, EpisodeError]:
    """Status and error description for an exception raised while `default_status` code ran."""
    status: Status
    if isinstance(error, InfraError) or isinstance(error, OSError) and error.errno == errno.ENOSPC:
        status = "infra_error"  # a full disk is nobody's answer
    elif isinstance(error, AgentError):
        status = "agent_error"
    elif isinstance(error, EvaluationError):
        status = "eval_error"
    else:
        status = default_status
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return status, EpisodeError(type(error).__name__, message, "".join(traceback.format_exception(error)))


def guard_evaluation(env: Any) -> None:
    """Make a failure of the task's evaluator an EvaluationError, told apart from a browser failure.

    BrowserGym calls the task's `validate` inside `env.step`, so an evaluator that cannot reach its
    judge (WebArena's llm_fuzzy_match) would otherwise look like any other error of the step."""
    unwrapped = env.unwrapped
    validate = unwrapped._task_validate

    def checked_validate():
        try:
            return validate()
        except Exception as error:
            raise EvaluationError(f"the task's evaluator failed: {type(error).__name__}: {error}") from error

    unwrapped._task_validate = checked_validate


def preload() -> None:
    """Import what every episode needs (for the warm episode server, before its first episode)."""
    import browsergym.core.action.highlevel  # noqa: F401
    import browsergym.utils.obs  # noqa: F401
    import gymnasium  # noqa: F401
    from PIL import Image  # noqa: F401


def make_env(spec: EpisodeSpec, benchmark: Any, action_set: Any) -> Any:
    """A BrowserGym env for the spec's task, launched through `agentlab.browser.chromium`, with safe actions; for a
    CUBE benchmark, its task in the CUBE host (`benchmarks.cube.client.CubeEnv`)."""
    if isinstance(benchmark, CubeBenchmark):
        return benchmark.make_env(spec.task, spec.seed)
    import gymnasium as gym

    from ..browser import chromium as browser
    from ..browser.actions import SafeActionMapping

    benchmark.prepare()
    browser.install()
    # pre_observation_delay: replaced by waiting for the page to settle, at most that long; an env
    # without a browser (WebLINX's) takes no such argument.
    delay = {"pre_observation_delay": 0} if benchmark.opens_browser else {}
    return gym.make(
        benchmark.env_id(spec.task),
        disable_env_checker=True,
        headless=True,
        action_mapping=SafeActionMapping(action_set, benchmark.navigation_policy(), spec.pre_observation_delay),
        **delay,
    )


def report_refused_navigations(guard: NavigationGuard, obs: dict, record: StepRecord) -> None:
    """Tell the agent (through last_action_error) and the trace which navigations were refused."""
    refused = guard.take_refused()
    if refused:
        message = "; ".join(guard.policy.refusal(url) for url in refused)
        obs["last_action_error"] = "; ".join(filter(None, [obs.get("last_action_error", ""), message]))
        record.refused_navigations = refused


def action_targets_with_boxes(action: str, obs: dict, signatures: dict, multiaction: bool) -> list[dict[str, Any]]:
    """The action's targets (`actions.action_targets`), each element with the properties (bbox...) it
    had in the observation the agent acted on: what the trace viewer draws on the screenshot."""
    from ..browser.actions import action_targets

    properties = obs.get("extra_element_properties") or {}
    return [
        {**target, **properties.get(target["bid"], {})} if "bid" in target else target
        for target in action_targets(action, signatures, multiaction)
    ]


def step_answer(answer: AgentStep) -> StepAnswer:
    """A step record's answer from the agent's (an action, or the failed step of an agent error)."""
    return StepAnswer(answer.action, answer.think, answer.messages, answer.stats, answer.extra)


def step_timings(agent_s: float, env_s: float, info: dict, settle_s: float | None) -> dict[str, Any]:
    """The step's profiling timeline in seconds: agent call, then BrowserGym's phases of the browser
    step (the action, its settle wait, page loading, task validation, observation) where it timed them."""

    def span(start: str, stop: str) -> float | None:
        return (
            info[stop] - info[start]
            if isinstance(info.get(start), float) and isinstance(info.get(stop), float)
            else None
        )

    action_s = span("action_exec_start", "action_exec_stop")
    return {
        "agent_s": agent_s,
        "env_step_s": env_s,
        "action_s": action_s - settle_s if action_s is not None and settle_s is not None else action_s,
        "settle_s": settle_s,
        "page_load_s": span("wait_for_page_loading_start", "wait_for_page_loading_stop"),
        "validation_s": span("validation_start", "validation_stop"),
        "observation_s": span("get_observation_start", "get_observation_stop"),
    }


@contextmanager
def _agent_code(episode: _Episode) -> Iterator[None]:
    """Blame on the agent what the code in this block raises (any other code's failure is the
    infrastructure's): the only place the episode's blame changes."""
    episode.blame = "agent_error"
    yield  # an exception leaves the blame on the agent
    episode.blame = "infra_error"


@dataclass
class _Episode:
    """A running episode: its spec and limits, what it writes into, and its parts as they are made."""

    spec: EpisodeSpec
    budget: Budget
    on_phase: PhaseCallback
    writer: StepWriter
    outcome: EpisodeOutcome = field(default_factory=lambda: EpisodeOutcome(status="failure"))
    timings: dict[str, Any] = field(
        default_factory=lambda: {
            "setup_s": None,
            "reset_wait_s": None,
            "reset_s": None,
            "agent_s": 0.0,
            "env_step_s": 0.0,
        }
    )
    blame: Status = "infra_error"  # who is at fault if the code running now raises (see _agent_code)
    benchmark: Any = None
    agent: Any = None
    env: Any = None
    signatures: dict = field(default_factory=dict)
    guard: NavigationGuard | None = None

    @property
    def cube(self) -> bool:
        return isinstance(self.benchmark, CubeBenchmark)

    def close(self) -> None:
        """Close the step file, then the env and the agent, whatever state they are in."""
        self.writer.close()
        for closable in (self.env, self.agent):
            if closable is not None:
                try:
                    closable.close()
                except Exception:
                    pass


def _set_up(episode: _Episode) -> None:
    """Make the benchmark, the agent (its failures blamed on it) and the env."""
    from ..agents.registry import agent_args_to_dict, load_agent_args
    from ..benchmarks import get_benchmark
    from ..browser.actions import action_signatures
    from .spec import config_hash

    spec, outcome = episode.spec, episode.outcome
    episode.on_phase("setup", 0)
    episode.benchmark = benchmark = get_benchmark(spec.benchmark, spec.benchmark_module, spec.cube)
    agent_args = load_agent_args(spec.agent_config, spec.agent_overrides)
    outcome.agent_args = agent_args_to_dict(agent_args)
    outcome.config_hash = config_hash(spec.benchmark, spec.max_steps, spec.pre_observation_delay, outcome.agent_args)
    context = EpisodeContext(
        spec.benchmark,
        spec.task,
        spec.seed,
        spec.max_steps,
        benchmark.action_set,
        benchmark.is_multi_tab,
        benchmark.tools if isinstance(benchmark, CubeBenchmark) else (),
    )
    with _agent_code(episode):
        use_study_prices(episode.budget.prices)  # before the agent prices its model
        episode.agent = agent_args.make_agent(context)
        outcome.agent_details = episode.agent.details()
        unpriced = episode.budget.unpriced(episode.agent.stats())
        if unpriced:
            raise AgentError(unpriced)
    episode.env = make_env(spec, benchmark, episode.agent.action_set)
    episode.signatures = action_signatures(episode.agent.action_set)
    if not episode.cube:
        guard_evaluation(episode.env)


def _reset(episode: _Episode) -> dict:
    """Reset the task (in turn with other episodes: slots.reset_slot) and guard its navigations; return
    the first observation."""
    timings, outcome, env = episode.timings, episode.outcome, episode.env
    episode.on_phase("reset_queue", 0)
    tic = time.time()
    with reset_slot():
        timings["reset_wait_s"] = time.time() - tic
        episode.on_phase("reset", 0)
        tic = time.time()
        obs, _ = env.reset(seed=episode.spec.seed)
    timings["reset_s"] = time.time() - tic
    outcome.goal = obs.get("goal")
    episode.guard = NavigationGuard(episode.benchmark.navigation_policy())
    if episode.cube:
        outcome.chromium_version = env.chromium_version
        outcome.benchmark_details = env.details
    elif episode.benchmark.opens_browser:
        outcome.chromium_version = env.unwrapped.browser.version
        episode.guard.install(env.unwrapped.context)
    return obs


def _run_steps(episode: _Episode, obs: dict) -> None:
    """Observe, ask the agent, act, record; until the task ends, the agent stops, or a limit is reached."""
    writer, outcome = episode.writer, episode.outcome
    for step in range(episode.spec.max_steps + 1):
        record = writer.observation(step, obs)
        if step == episode.spec.max_steps:
            outcome.truncated = True
            outcome.stop_reason = "max_steps"
            writer.write(record)
            return
        exceeded = episode.budget.episode_exceeded(episode.agent.stats())
        if exceeded:
            outcome.stop_reason = "budget"
            print(f"budget: {exceeded}; the episode ends", flush=True)
            record.budget_exceeded = exceeded
            writer.write(record)
            return
        answer, agent_s = _ask_agent(episode, step, obs, record)
        if answer.action is None:
            outcome.stop_reason = "agent_stopped"
            record.timings = {"agent_s": agent_s}
            writer.write(record)
            return
        obs = _act(episode, step, obs, answer, agent_s, record)
        if outcome.stop_reason is not None:
            writer.write(writer.observation(step + 1, obs))
            return


def _ask_agent(episode: _Episode, step: int, obs: dict, record: StepRecord) -> tuple[AgentStep, float]:
    """The agent's answer to `obs` and the seconds it took; an agent error is recorded (what the agent
    saw and answered) before it ends the episode."""
    episode.on_phase("agent", step)
    tic = time.time()
    with _agent_code(episode):
        try:
            answer = episode.agent.get_action(obs)
        except AgentError as error:
            record.answer = step_answer(error.step) if isinstance(error, UnusableAnswers) else None
            record.timings = {"agent_s": time.time() - tic}
            episode.writer.write(record)
            raise
    agent_s = time.time() - tic
    episode.timings["agent_s"] += agent_s
    record.answer = step_answer(answer)
    return answer, agent_s


def _act(episode: _Episode, step: int, obs: dict, answer: AgentStep, agent_s: float, record: StepRecord) -> dict:
    """Step the env with the answer's action and record what it did; return the next observation (the
    outcome's stop_reason is set if the task ended)."""
    env, outcome, multiaction = episode.env, episode.outcome, episode.agent.action_set.multiaction
    assert answer.action is not None and episode.guard is not None
    record.targets = action_targets_with_boxes(answer.action, obs, episode.signatures, multiaction)
    episode.on_phase("step", step)
    tic = time.time()
    if episode.cube:
        obs, reward, terminated, truncated, info = env.step(
            answer.action, answer.tool_call, episode.signatures, multiaction
        )
        record.tool_calls = info["tool_calls"]
    else:
        obs, reward, terminated, truncated, info = env.step(answer.action)
    env_s = time.time() - tic
    settle_s = None if episode.cube else take_settle_seconds(env.unwrapped.page)
    episode.timings["env_step_s"] += env_s
    report_refused_navigations(episode.guard, obs, record)
    outcome.reward += float(reward)
    outcome.n_steps = step + 1
    last_error = obs.get("last_action_error", "")
    record.effect = StepEffect(float(reward), bool(terminated), bool(truncated), last_error, info.get("task_info"))
    record.timings = step_timings(agent_s, env_s, info, settle_s)
    episode.writer.write(record)
    if terminated or truncated:
        outcome.terminated, outcome.truncated = bool(terminated), bool(truncated)
        outcome.stop_reason = "terminated" if terminated else "truncated"
    return obs


def _score(episode: _Episode) -> None:
    """The episode's reward (a cube's: its evaluation at the end, whatever its steps said) and status."""
    outcome = episode.outcome
    if episode.cube:
        episode.on_phase("evaluate", outcome.n_steps)
        outcome.reward = episode.env.evaluate()
    outcome.success = outcome.reward > 0
    outcome.status = "success" if outcome.success else "failure"


def run_episode(
    spec: EpisodeSpec,
    directory: Path,
    on_phase: PhaseCallback = lambda phase, step: None,
    raise_errors: bool = False,
    budget: Budget = NO_BUDGET,
) -> EpisodeOutcome:
    """Run one episode, writing step records into `directory`; return the outcome for its summary.
    The agent is not asked again once its totals reach `budget`'s per-episode limits."""
    started = time.time()
    episode = _Episode(spec, budget, on_phase, StepWriter(directory))
    outcome = episode.outcome
    try:
        _set_up(episode)
        episode.timings["setup_s"] = time.time() - started
        _run_steps(episode, _reset(episode))
        _score(episode)
    except Exception as error:  # recorded, not raised: an episode's failure is a result
        outcome.status, outcome.error = _error_record(error, episode.blame)
        outcome.stop_reason = "error"
        if raise_errors:
            raise
    finally:
        episode.close()
    outcome.agent_stats = episode.agent.stats() if episode.agent is not None else {}
    episode.timings["total_s"] = time.time() - started
    outcome.timings = episode.timings
    return outcome
