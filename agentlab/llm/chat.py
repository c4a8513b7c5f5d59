"""The chat interface every backend implements: messages (and tools, for a tool call) in, text, tool calls
and usage out."""

from __future__ import annotations

import base64
import os
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, overload

from ..core.errors import AgentError, ConfigError, InfraError
from ..core.records import ADDED_LATER

ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")  # upper case: a mixed-case token is never echoed as a name


class LLMUnavailable(InfraError):
    """The LLM backend failed (rate limits, 5xx, timeouts) after the bounded retries, or refused access."""


class LLMRequestRejected(AgentError):
    """The backend rejected the request the agent built (HTTP 400/413/422, e.g. a prompt too long)."""


TOOL_CHOICES = ("required", "auto")  # the OpenAI API's, bar "none": asked with tools, the model must or may call one


@dataclass(frozen=True)
class ChatToolCall:
    """A function call as the model wrote it (OpenAI's `tool_calls`): unchecked, arguments as JSON text."""

    name: str
    arguments: str
    id: str | None = None


@dataclass
class ChatResponse:
    """One answer of a chat model, with what it cost."""

    text: str
    input_tokens: int
    output_tokens: int
    cached_tokens: int  # input tokens served from the server's prompt cache
    latency_s: float  # wall time of the call, retries and backoff included
    retries: int  # failed attempts before this answer
    tool_calls: tuple[ChatToolCall, ...] = ()  # the calls the model made, when asked with tools


class ChatModel(ABC):
    """A chat LLM: `chat(messages)` with OpenAI-format messages (text or text+image parts)."""

    model_name: str

    @abstractmethod
    def chat(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> ChatResponse:
        """The model's answer; with `tools` (OpenAI's shape) through the tools API, its calls in `tool_calls`.
        LLMUnavailable (InfraError) or LLMRequestRejected (AgentError) on failure."""

    def close(self) -> None:
        """Release connections."""


@dataclass
class ChatModelArgs(ABC):
    """A model and how to call it. Plain fields only: these are written to every summary.json, so
    keys never go here, only the names of the environment variables that hold them."""

    model_name: str = ""
    temperature: float = 0.0
    max_new_tokens: int = 512
    max_input_tokens: int = 16_000  # the prompt's token budget (the agent shrinks prompts to fit)
    vision: bool = False  # the model accepts images
    timeout_s: float = 120.0  # one HTTP attempt
    max_retries: int = 4  # extra attempts after a rate limit, 5xx, timeout or connection error
    backoff_s: float = 2.0  # first wait between attempts; doubles each time, capped at 60 s
    price_as: str | None = None  # price table entry, when model_name is a deployment or alias
    # asked with tools: "required" makes the model call one (where the server can force it), "auto" lets it
    tool_choice: str = field(default="required", metadata=ADDED_LATER)

    supports_tools: ClassVar[bool] = False  # the backend speaks the OpenAI tools API

    @abstractmethod
    def make_model(self) -> ChatModel:
        """A client for this model."""

    def check(self) -> None:
        """Raise ConfigError (one line) if this backend cannot be used here, before any episode starts."""

    def check_tools(self) -> None:
        """Raise ConfigError (one line) unless this backend can be asked with tools as configured."""
        if not self.supports_tools:
            raise ConfigError(
                f"model {self.model_name!r}: {type(self).__name__} cannot call tools; allowed: a backend with "
                "the OpenAI tools API (OpenAIChatArgs, AzureChatArgs, LiteLLMChatArgs, LocalChatArgs, HFChatArgs)"
            )
        if self.tool_choice not in TOOL_CHOICES:
            raise ConfigError(
                f"model {self.model_name!r}: tool_choice {self.tool_choice!r} is not allowed; "
                f"allowed: {', '.join(TOOL_CHOICES)}"
            )

    def local_server(self) -> Any:
        """The local server settings this model needs started by the workflow, or None."""
        return None

    @property
    def pricing_name(self) -> str:
        return self.price_as or self.model_name


@overload
def require_env(variable: str, purpose: str) -> str: ...
@overload
def require_env(variable: None, purpose: str) -> None: ...
@overload
def require_env(variable: str | None, purpose: str) -> str | None: ...
def require_env(variable: str | None, purpose: str) -> str | None:
    """The value of `variable` (a name such as OPENAI_API_KEY); ConfigError if it is unset or not a name."""
    if variable is None:
        return None
    if not ENV_NAME.match(variable):
        raise ConfigError(
            f"{purpose}: the value given is not an environment variable name; put the secret in an "
            f"environment variable and give its name (e.g. OPENAI_API_KEY)"
        )
    value = os.environ.get(variable)
    if not value:
        raise ConfigError(f"{purpose}: environment variable {variable} is not set; export it before running")
    return value


def png_data_url(png: bytes) -> str:
    """An image part's URL for OpenAI-format messages."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
