"""Chat through LiteLLM (the `providers` extra): one call shape for Anthropic, Gemini, Bedrock, Vertex, Azure,
Mistral, OpenRouter and vLLM models, named `provider/model` (e.g. `anthropic/claude-sonnet-4-5-20250929`).

LiteLLM never retries here (num_retries=0, max_retries=0): our RetryingChatModel does, one request slot
per attempt. Keys come from the environment only, under the names LiteLLM reads for each provider."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, ClassVar

from ..core.errors import ConfigError
from .chat import ChatModel, ChatModelArgs, require_env
from .retry import RetryingChatModel, RetryPolicy, TransientError, raise_for_status


def import_litellm() -> Any:
    """litellm, offline: its bundled price map (no fetch at import) and its bundled tiktoken files."""
    try:
        tokenizers = metadata.distribution("litellm").locate_file("litellm/litellm_core_utils/tokenizers")
    except metadata.PackageNotFoundError:
        raise ConfigError("LiteLLMChatArgs needs litellm; install the extra: pip install -e '.[providers]'") from None
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(tokenizers))
    import litellm

    return litellm


# Variables LiteLLM's validate_environment lists together as missing but accepts either of
EITHER_OF = (frozenset({"GOOGLE_API_KEY", "GEMINI_API_KEY"}),)


def unset_variables(missing: list[str]) -> str:
    """What a provider lacks, from LiteLLM's missing keys: all of them are needed (Bedrock's AWS pair, Azure's
    base, version and key) except LiteLLM's alternatives (Gemini's two names for one key)."""
    if len(missing) == 1 or frozenset(missing) in EITHER_OF:
        return f"environment variable {' or '.join(missing)} is not set; export it before running"
    return f"environment variables {' and '.join(missing)} are not set; export them before running"


@dataclass
class LiteLLMChatArgs(ChatModelArgs):
    """`model_name` as LiteLLM names it (`anthropic/...`, `gemini/...`, `openrouter/...`, `hosted_vllm/...`)."""

    api_base: str | None = None  # None = the provider's API; e.g. http://localhost:8000/v1 for hosted_vllm
    api_key_env: str | None = None  # None = the variable LiteLLM reads for the provider (ANTHROPIC_API_KEY...)
    extra_body: dict[str, Any] = field(default_factory=dict)  # provider-specific request fields

    supports_tools: ClassVar[bool] = True

    def check(self) -> None:
        if self.api_key_env is not None:
            require_env(self.api_key_env, f"model {self.model_name!r}")
            return
        missing = import_litellm().validate_environment(self.model_name, api_base=self.api_base)["missing_keys"]
        if missing:
            raise ConfigError(f"model {self.model_name!r}: {unset_variables(missing)}")

    def make_model(self) -> ChatModel:
        self.check()
        return LiteLLMChatModel(self, import_litellm())


class LiteLLMChatModel(RetryingChatModel):
    def __init__(self, args: LiteLLMChatArgs, litellm: Any):
        where = args.api_base or args.model_name.partition("/")[0]
        super().__init__(args.model_name, where, RetryPolicy(args.max_retries, args.backoff_s), where)
        self.args = args
        self.litellm = litellm

    def _create(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> Any:
        import openai  # LiteLLM's exceptions subclass the openai client's, with the HTTP status

        with_tools = {"tools": tools, "tool_choice": self.args.tool_choice} if tools else {}
        try:
            return self.litellm.completion(
                model=self.args.model_name,
                messages=messages,
                temperature=self.args.temperature,
                max_tokens=self.args.max_new_tokens,
                timeout=self.args.timeout_s,
                api_base=self.args.api_base,
                api_key=require_env(self.args.api_key_env, f"model {self.model_name!r}"),
                num_retries=0,
                max_retries=0,
                extra_body=self.args.extra_body or None,
                **with_tools,
            )
        except openai.APIConnectionError as error:  # includes timeouts
            raise TransientError(f"{type(error).__name__}: {error}") from error
        except openai.APIError as error:
            status = int(getattr(error, "status_code", None) or 500)
            response = getattr(error, "response", None)
            headers = getattr(response, "headers", None) or {}
            raise_for_status(status, str(error), headers.get("retry-after"), f"{self.model_name} at {self.where}")
