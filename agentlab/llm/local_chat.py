"""The offline default: a small GGUF model behind the local llama.cpp server, no key needed."""

from __future__ import annotations

import dataclasses
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import ConfigError
from .chat import ChatModel, ChatResponse
from .local_server import ServerSettings, ensure_server, runtime_dir, touch_lease
from .openai_chat import OpenAIChatArgs, OpenAIChatModel


@dataclass
class LocalChatArgs(OpenAIChatArgs):
    model_name: str = "qwen2.5-coder-0.5b-instruct-q4_k_m"
    api_key_env: str | None = None
    server: ServerSettings = field(default_factory=ServerSettings)

    def check(self) -> None:
        if importlib.util.find_spec("xllamacpp") is None:
            raise ConfigError(
                f"model {self.model_name!r} needs xllamacpp; install the LLM extra: pip install -e '.[llm]'"
            )
        if self.server.model_file is None:
            from .local_model import QWEN_05B

            QWEN_05B.chunk_paths()
        elif not Path(self.server.model_file).is_file():
            raise ConfigError(f"model {self.model_name!r}: model_file {self.server.model_file!r} does not exist")

    def local_server(self) -> ServerSettings:
        return self.server

    def make_model(self) -> ChatModel:
        directory = runtime_dir()
        state = ensure_server(self.server, directory)
        args = dataclasses.replace(self, base_url=f"{state.base_url}/v1")
        return LocalChatModel(args, args.client_with_key(state.api_key), "the local llama.cpp server", directory)


class LocalChatModel(OpenAIChatModel):
    """An OpenAI-compatible model that keeps the local server's lease fresh."""

    def __init__(self, args: OpenAIChatArgs, client: Any, where: str, server_dir: Path):
        super().__init__(args, client, where)
        self.server_dir = server_dir

    def chat(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> ChatResponse:
        touch_lease(self.server_dir)
        return super().chat(messages, tools)
