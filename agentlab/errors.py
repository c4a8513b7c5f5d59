"""Exceptions that decide an episode's status (whose fault a failed episode is), and the one-line refusals
of a bad config or an unready backend."""

from typing import Any


class AgentError(Exception):
    """The agent could not produce a valid action (e.g. unparseable LLM answers after retries).

    `step` holds what the failed step still tells a reader of the trace (its messages, agent_stats,
    agent_extra), recorded with the step's observation."""

    def __init__(self, message: str, step: dict[str, Any] | None = None):
        super().__init__(message)
        self.step = step or {}


class InfraError(Exception):
    """The infrastructure failed (browser crash, LLM API outage after retries, timeout)."""


class EvaluationError(Exception):
    """The task's evaluator failed (e.g. WebArena's llm_fuzzy_match could not reach its judge model)."""


class PreflightError(Exception):
    """A benchmark's backend is not ready; the message is one line naming everything missing."""


class ConfigError(ValueError):
    """A study or agent config is invalid; the message is one line naming the value and what is allowed."""
