"""Exceptions that decide an episode's status (whose fault a failed episode is), and the one-line refusals
of a bad config or an unready backend."""


class AgentError(Exception):
    """The agent could not produce a valid action (e.g. unparseable LLM answers after retries); one that
    answered first raises agents.base.UnusableAnswers, which carries its answers for the trace."""


class InfraError(Exception):
    """The infrastructure failed (browser crash, LLM API outage after retries, timeout)."""


class EvaluationError(Exception):
    """The task's evaluator failed (e.g. WebArena's llm_fuzzy_match could not reach its judge model)."""


class PreflightError(Exception):
    """A benchmark's backend is not ready; the message is one line naming everything missing."""


class ConfigError(ValueError):
    """A study or agent config is invalid; the message is one line naming the value and what is allowed."""
