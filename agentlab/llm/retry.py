"""Bounded retries with exponential backoff for transient LLM failures (429, 5xx, timeouts)."""

from __future__ import annotations

import json
import random
import time
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from .chat import ChatModel, ChatResponse, ChatToolCall, LLMRequestRejected, LLMUnavailable
from .limiter import request_slot

T = TypeVar("T")
MAX_BACKOFF_S = 60.0


class TransientError(Exception):
    """A failure worth another attempt; `retry_after_s` is the server's Retry-After, if it sent one."""

    def __init__(self, message: str, retry_after_s: float | None = None):
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4
    backoff_s: float = 2.0  # the first wait; doubled after each failure, with ±25 % jitter

    def delay(self, failures: int, retry_after_s: float | None) -> float:
        if retry_after_s is not None:
            return min(max(retry_after_s, 0.0), MAX_BACKOFF_S)
        return min(self.backoff_s * 2 ** (failures - 1) * random.uniform(0.75, 1.25), MAX_BACKOFF_S)


def call_with_retries(attempt: Callable[[], T], policy: RetryPolicy, what: str) -> tuple[T, int]:
    """`attempt()`'s result and the number of failed attempts before it.

    TransientError is retried up to `policy.max_retries` times, then becomes LLMUnavailable.
    """
    failures = 0
    while True:
        try:
            return attempt(), failures
        except TransientError as error:
            failures += 1
            if failures > policy.max_retries:
                raise LLMUnavailable(f"{what}: {error} (gave up after {failures} attempts)") from error
            time.sleep(policy.delay(failures, error.retry_after_s))


def raise_for_status(status: int, message: str, retry_after: str | None, what: str) -> NoReturn:
    """Turn an HTTP error of an LLM backend into TransientError, LLMRequestRejected or LLMUnavailable."""
    message = " ".join(message.split())[:300]
    if status in (408, 409, 425, 429) or status >= 500:
        raise TransientError(f"HTTP {status}: {message}", _seconds(retry_after))
    if status in (400, 413, 422):
        raise LLMRequestRejected(f"{what} rejected the request (HTTP {status}): {message}")
    raise LLMUnavailable(f"{what} refused the request (HTTP {status}): {message}")


def _seconds(retry_after: str | None) -> float | None:
    try:
        return float(retry_after) if retry_after is not None else None
    except ValueError:  # an HTTP date: use our own backoff
        return None


class RetryingChatModel(ChatModel):
    """A chat model whose single attempt (`_create`) is retried; answers come in OpenAI's format.
    Each attempt holds a slot of `endpoint` (its base URL: `episode.max_concurrent_requests`), never a backoff."""

    def __init__(self, model_name: str, where: str, policy: RetryPolicy, endpoint: str | None = None):
        self.model_name = model_name
        self.where = where
        self.policy = policy
        self.endpoint = endpoint

    def _attempt(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> Any:
        with request_slot(self.endpoint):
            return self._create(messages, tools)

    @abstractmethod
    def _create(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> Any:
        """One request (through the tools API when `tools` are given): an OpenAI-format completion, or
        TransientError / LLMUnavailable / LLMRequestRejected."""

    def chat(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> ChatResponse:
        started = time.monotonic()
        completion, retries = call_with_retries(
            lambda: self._attempt(messages, tools), self.policy, f"{self.model_name} at {self.where}"
        )
        usage = completion.usage
        details = getattr(usage, "prompt_tokens_details", None) if usage else None
        message = completion.choices[0].message if completion.choices else None
        return ChatResponse(
            text=(message.content if message else None) or "",
            input_tokens=(usage.prompt_tokens or 0) if usage else 0,
            output_tokens=(usage.completion_tokens or 0) if usage else 0,
            cached_tokens=(getattr(details, "cached_tokens", None) or 0) if details else 0,
            latency_s=time.monotonic() - started,
            retries=retries,
            tool_calls=tuple(tool_call(call) for call in (getattr(message, "tool_calls", None) or ())),
        )


def tool_call(call: Any) -> ChatToolCall:
    """A completion's tool call; arguments as JSON text (TGI may give them as an object)."""
    arguments = call.function.arguments
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return ChatToolCall(str(call.function.name), text, getattr(call, "id", None))
