"""Chat through huggingface_hub's InferenceClient: a TGI server or a Hugging Face inference endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .chat import ChatModel, ChatModelArgs, require_env
from .retry import RetryingChatModel, RetryPolicy, TransientError, raise_for_status


@dataclass
class HFChatArgs(ChatModelArgs):
    base_url: str | None = None  # a TGI server or endpoint URL; None = the model id on HF's router
    token_env: str | None = "HF_TOKEN"  # None for servers without tokens

    supports_tools: ClassVar[bool] = True  # TGI's and HF's router's tools API

    def check(self) -> None:
        require_env(self.token_env, f"model {self.model_name!r}")

    def make_model(self) -> ChatModel:
        from huggingface_hub import InferenceClient

        token = require_env(self.token_env, f"model {self.model_name!r}")
        if self.base_url:
            client = InferenceClient(base_url=self.base_url, token=token, timeout=self.timeout_s)
        else:
            client = InferenceClient(model=self.model_name, token=token, timeout=self.timeout_s)
        return HFChatModel(self, client)


class HFChatModel(RetryingChatModel):
    def __init__(self, args: HFChatArgs, client: Any):
        super().__init__(
            args.model_name,
            args.base_url or "Hugging Face",
            RetryPolicy(args.max_retries, args.backoff_s),
            args.base_url,
        )
        self.args = args
        self.client = client

    def _create(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> Any:
        import httpx2
        from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError

        try:
            return self.client.chat_completion(
                messages,
                model=self.model_name if self.args.base_url else None,
                temperature=self.args.temperature,
                max_tokens=self.args.max_new_tokens,
                **({"tools": tools, "tool_choice": self.args.tool_choice} if tools else {}),
            )
        except InferenceTimeoutError as error:
            raise TransientError(f"timeout: {error}") from error
        except HfHubHTTPError as error:
            raise_for_status(
                error.response.status_code,
                error.server_message or str(error),
                error.response.headers.get("retry-after"),
                f"{self.model_name} at {self.where}",
            )
        except httpx2.TransportError as error:
            raise TransientError(f"{type(error).__name__}: {error}") from error
