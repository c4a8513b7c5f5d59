"""Chat through the `openai` client: OpenAI, Azure OpenAI, OpenRouter and OpenAI-compatible servers
(vLLM, TGI, llama.cpp, Ollama: set `base_url`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .chat import ChatModel, ChatModelArgs, require_env
from .retry import RetryingChatModel, RetryPolicy, TransientError, raise_for_status


@dataclass
class OpenAIChatArgs(ChatModelArgs):
    base_url: str | None = None  # None = OpenAI's API; e.g. http://localhost:8000/v1 for vLLM
    api_key_env: str | None = "OPENAI_API_KEY"  # None for servers without keys
    extra_body: dict[str, Any] = field(default_factory=dict)  # server-specific request fields

    supports_tools: ClassVar[bool] = True

    def check(self) -> None:
        require_env(self.api_key_env, f"model {self.model_name!r}")

    def make_client(self) -> Any:
        return self.client_with_key(require_env(self.api_key_env, f"model {self.model_name!r}") or "no-key")

    def client_with_key(self, api_key: str) -> Any:
        """An OpenAI client of `base_url` sending `api_key` (a server's own key, e.g. the local server's)."""
        from openai import OpenAI

        return OpenAI(base_url=self.base_url, api_key=api_key, timeout=self.timeout_s, max_retries=0)

    def make_model(self) -> ChatModel:
        return OpenAIChatModel(self, self.make_client(), self.base_url or "OpenAI")


@dataclass
class AzureChatArgs(OpenAIChatArgs):
    """Azure OpenAI: `model_name` is the deployment; set `price_as` to the model it deploys."""

    api_key_env: str | None = "AZURE_OPENAI_API_KEY"
    endpoint_env: str = "AZURE_OPENAI_ENDPOINT"
    api_version: str = "2024-10-21"

    def check(self) -> None:
        super().check()
        require_env(self.endpoint_env, f"Azure deployment {self.model_name!r}")

    def make_client(self) -> Any:
        from openai import AzureOpenAI

        return AzureOpenAI(
            azure_endpoint=require_env(self.endpoint_env, f"Azure deployment {self.model_name!r}"),
            azure_deployment=self.model_name,
            api_version=self.api_version,
            api_key=require_env(self.api_key_env, f"Azure deployment {self.model_name!r}"),
            timeout=self.timeout_s,
            max_retries=0,
        )


class OpenAIChatModel(RetryingChatModel):
    def __init__(self, args: OpenAIChatArgs, client: Any, where: str):
        super().__init__(args.model_name, where, RetryPolicy(args.max_retries, args.backoff_s), str(client.base_url))
        self.args = args
        self.client = client

    def _create(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> Any:
        import openai

        with_tools = {"tools": tools, "tool_choice": self.args.tool_choice} if tools else {}
        try:
            return self.client.chat.completions.create(
                model=self.args.model_name,
                messages=messages,
                temperature=self.args.temperature,
                max_tokens=self.args.max_new_tokens,
                extra_body=self.args.extra_body or None,
                **with_tools,
            )
        except openai.APIStatusError as error:
            raise_for_status(
                error.status_code,
                error.response.text or str(error),
                error.response.headers.get("retry-after"),
                f"{self.model_name} at {self.where}",
            )
        except openai.APIConnectionError as error:  # includes timeouts
            raise TransientError(f"{type(error).__name__}: {error}") from error

    def close(self) -> None:
        self.client.close()
