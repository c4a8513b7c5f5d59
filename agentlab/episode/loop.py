"""The episode loop: reset the task, ask the agent, step the browser, record every step."""

from __future__ import annotations

import errno
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..agents.base import AgentStep, EpisodeContext
from ..benchmarks.cube.benchmark import CubeBenchmark
from ..budget import NO_BUDGET, Budget
from ..errors import AgentError, EvaluationError, InfraError
from ..llm.pricing import use_study_prices
from ..navigation import NavigationGuard
from ..records import EpisodeError, EpisodeOutcome, Status, StepWriter
from ..settle import take_settle_seconds
from ..slots import reset_slot
from .spec import EpisodeSpec

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
    """A BrowserGym env for the spec's task, launched through `agentlab.browser`, with safe actions; for a
    CUBE benchmark, its task in the CUBE host (`benchmarks.cube.client.CubeEnv`)."""
    if isinstance(benchmark, CubeBenchmark):
        return benchmark.make_env(spec.task, spec.seed)
    import gymnasium as gym

    from .. import browser
    from ..actions import SafeActionMapping

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


def report_refused_navigations(guard: NavigationGuard, obs: dict, record: dict) -> None:
    """Tell the agent (through last_action_error) and the trace which navigations were refused."""
    refused = guard.take_refused()
    if refused:
        message = "; ".join(guard.policy.refusal(url) for url in refused)
        obs["last_action_error"] = "; ".join(filter(None, [obs.get("last_action_error", ""), message]))
        record["refused_navigations"] = refused


def action_targets_with_boxes(action: str, obs: dict, signatures: dict, multiaction: bool) -> list[dict[str, Any]]:
    """The action's targets (`actions.action_targets`), each element with the properties (bbox...) it
    had in the observation the agent acted on: what the trace viewer draws on the screenshot."""
    from ..actions import action_targets

    properties = obs.get("extra_element_properties") or {}
    return [
        {**target, **properties.get(target["bid"], {})} if "bid" in target else target
        for target in action_targets(action, signatures, multiaction)
    ]


def answer_fields(answer: AgentStep) -> dict[str, Any]:
    """A step record's fields from the agent's answer (an action, or the failed step of an agent error)."""
    return {
        "action": answer.action,
        "think": answer.think,
        "messages": answer.messages,
        "agent_stats": answer.stats,
        "agent_extra": answer.extra,
    }


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


def run_episode(
    spec: EpisodeSpec,
    directory: Path,
    on_phase: PhaseCallback = lambda phase, step: None,
    raise_errors: bool = False,
    budget: Budget = NO_BUDGET,
) -> EpisodeOutcome:
    """Run one episode, writing step records into `directory`; return the outcome for its summary.
    The agent is not asked again once its totals reach `budget`'s per-episode limits."""
    from ..actions import action_signatures
    from ..agents.registry import agent_args_to_dict, load_agent_args
    from ..benchmarks import get_benchmark
    from .spec import config_hash

    started = time.time()
    writer = StepWriter(directory)
    outcome = EpisodeOutcome(status="failure")
    timings: dict[str, Any] = {
        "setup_s": None,
        "reset_wait_s": None,
        "reset_s": None,
        "agent_s": 0.0,
        "env_step_s": 0.0,
    }
    env = agent = None
    blame: Status = "infra_error"  # who is at fault if the code running now raises
    try:
        on_phase("setup", 0)
        benchmark = get_benchmark(spec.benchmark, spec.benchmark_module, spec.cube)
        cube = isinstance(benchmark, CubeBenchmark)
        agent_args = load_agent_args(spec.agent_config, spec.agent_overrides)
        outcome.agent_args = agent_args_to_dict(agent_args)
        outcome.config_hash = config_hash(
            spec.benchmark, spec.max_steps, spec.pre_observation_delay, outcome.agent_args
        )
        context = EpisodeContext(
            spec.benchmark,
            spec.task,
            spec.seed,
            spec.max_steps,
            benchmark.action_set,
            benchmark.is_multi_tab,
            benchmark.tools if isinstance(benchmark, CubeBenchmark) else (),
        )
        blame = "agent_error"
        use_study_prices(budget.prices)  # before the agent prices its model
        agent = agent_args.make_agent(context)
        outcome.agent_details = agent.details()
        unpriced = budget.unpriced(agent.stats())
        if unpriced:
            raise AgentError(unpriced)
        blame = "infra_error"
        env = make_env(spec, benchmark, agent.action_set)
        signatures = action_signatures(agent.action_set)
        if not cube:
            guard_evaluation(env)
        timings["setup_s"] = time.time() - started

        on_phase("reset_queue", 0)
        tic = time.time()
        with reset_slot():
            timings["reset_wait_s"] = time.time() - tic
            on_phase("reset", 0)
            tic = time.time()
            obs, _ = env.reset(seed=spec.seed)
        timings["reset_s"] = time.time() - tic
        outcome.goal = obs.get("goal")
        guard = NavigationGuard(benchmark.navigation_policy())
        if cube:
            outcome.chromium_version = env.chromium_version
            outcome.benchmark_details = env.details
        elif benchmark.opens_browser:
            outcome.chromium_version = env.unwrapped.browser.version
            guard.install(env.unwrapped.context)

        for step in range(spec.max_steps + 1):
            record = writer.observation(step, obs)
            if step == spec.max_steps:
                outcome.truncated = True
                outcome.stop_reason = "max_steps"
                writer.write({**record, "action": None})
                break
            exceeded = budget.episode_exceeded(agent.stats())
            if exceeded:
                outcome.stop_reason = "budget"
                print(f"budget: {exceeded}; the episode ends", flush=True)
                writer.write({**record, "action": None, "budget_exceeded": exceeded})
                break

            on_phase("agent", step)
            blame = "agent_error"
            tic = time.time()
            try:
                answer = agent.get_action(obs)
            except AgentError as error:  # the trace keeps what the agent saw and answered
                failed = answer_fields(error.step) if error.step else {"action": None}
                writer.write({**record, **failed, "timings": {"agent_s": time.time() - tic}})
                raise
            agent_s = time.time() - tic
            blame = "infra_error"
            timings["agent_s"] += agent_s
            record.update(answer_fields(answer))
            if answer.action is None:
                outcome.stop_reason = "agent_stopped"
                writer.write({**record, "timings": {"agent_s": agent_s}})
                break

            record["targets"] = action_targets_with_boxes(answer.action, obs, signatures, agent.action_set.multiaction)
            on_phase("step", step)
            tic = time.time()
            if cube:
                answer_calls = (answer.action, answer.tool_call, signatures, agent.action_set.multiaction)
                obs, reward, terminated, truncated, info = env.step(*answer_calls)
                record["tool_calls"] = info["tool_calls"]
            else:
                obs, reward, terminated, truncated, info = env.step(answer.action)
            env_s = time.time() - tic
            settle_s = None if cube else take_settle_seconds(env.unwrapped.page)
            timings["env_step_s"] += env_s
            report_refused_navigations(guard, obs, record)
            outcome.reward += float(reward)
            outcome.n_steps = step + 1
            record.update(
                reward=float(reward),
                terminated=bool(terminated),
                truncated=bool(truncated),
                last_action_error=obs.get("last_action_error", ""),
                task_info=info.get("task_info"),
                timings=step_timings(agent_s, env_s, info, settle_s),
            )
            writer.write(record)
            if terminated or truncated:
                outcome.terminated, outcome.truncated = bool(terminated), bool(truncated)
                outcome.stop_reason = "terminated" if terminated else "truncated"
                writer.write({**writer.observation(step + 1, obs), "action": None})
                break
        if cube:  # the cube's score is its evaluation at the end, whatever its steps said
            on_phase("evaluate", outcome.n_steps)
            outcome.reward = env.evaluate()
        outcome.success = outcome.reward > 0
        outcome.status = "success" if outcome.success else "failure"
    except Exception as error:  # recorded, not raised: an episode's failure is a result
        outcome.status, outcome.error = _error_record(error, blame)
        outcome.stop_reason = "error"
        if raise_errors:
            raise
    finally:
        writer.close()
        for closable in (env, agent):
            if closable is not None:
                try:
                    closable.close()
                except Exception:
                    pass
    outcome.agent_stats = agent.stats() if agent is not None else {}
    timings["total_s"] = time.time() - started
    outcome.timings = timings
    return outcome
