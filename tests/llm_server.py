"""A real OpenAI-compatible chat server on 127.0.0.1 that answers from a script, for tests.

    with ScriptedLLMServer(["<action>click('12')</action>", Fail(429), HANG], then=Fail(500)) as server:
        ... OpenAIChatArgs(base_url=server.base_url, api_key_env=None, ...)

Each request takes the next reply of the script; when the script runs out, `then` answers every
request (e.g. Fail(500) for a server that fails forever). A reply is the answer text, Calls(...)
for an answer with tool calls in OpenAI's format (`Calls([("click", {"bid": "12"})], text="...")`),
a function of the request body returning either, Fail(status) for an HTTP error, or HANG: accept
the request and never answer (until the server is closed). Usage counts are deterministic: 4 characters a
token, and cached tokens are the common prefix with the previous request, as a prefix cache does.
GET .../models lists no models (OpenRouter's price list, empty). The same script answers Anthropic's
Messages API too (POST .../v1/messages: `content` blocks, `tool_use`, usage with `cache_read_input_tokens`),
for clients of that API pointed at `root_url`.

A provider's latency and rate limit: `delay_s` (seconds, or a function of the request number
returning them) before each answer, and `max_concurrent`: a request arriving while that many are
in flight gets HTTP 429 (counted in `rejected`); `peak_concurrent` is the most ever in flight.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG = "<hang>"


@dataclass(frozen=True)
class Fail:
    status: int
    retry_after: float | None = None
    echo_key: bool = False  # the error message repeats the request's Authorization header, as some proxies do


@dataclass(frozen=True)
class Calls:
    """An answer with tool calls: (name, arguments) pairs, arguments an object or JSON text (sent as is)."""

    calls: Iterable[tuple[str, Any]]
    text: str = ""


Reply = str | Calls | Callable[[dict], str | Calls] | Fail


def _texts(body: dict) -> str:
    parts = []
    for message in body.get("messages", []):
        content = message.get("content") or ""
        if isinstance(content, str):
            parts.append(content)
        else:
            parts.extend(part.get("text", "") for part in content if part.get("type") == "text")
    return "\n".join(parts)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class ScriptedLLMServer:
    def __init__(
        self,
        script: Iterable[Reply] = (),
        then: Reply | None = None,
        delay_s: float | Callable[[int], float] = 0.0,
        max_concurrent: int | None = None,
    ):
        self.script = list(script)
        self.then = then
        self.delay_s = delay_s
        self.max_concurrent = max_concurrent
        self.in_flight = 0
        self.peak_concurrent = 0
        self.rejected = 0  # requests answered 429 for exceeding max_concurrent
        self.requests: list[dict[str, Any]] = []  # bodies of every chat request, in arrival order
        self.authorizations: list[str | None] = []  # their Authorization headers
        self.paths: list[str] = []  # their URL paths (which API was spoken)
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self._previous = ""
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The OpenAI API root, e.g. http://127.0.0.1:PORT/v1."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def root_url(self) -> str:
        """The server's root, e.g. http://127.0.0.1:PORT (Anthropic's clients add /v1/messages)."""
        return self.base_url.removesuffix("/v1")

    def __enter__(self) -> ScriptedLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()  # releases hanging handlers
        self._httpd.shutdown()
        self._httpd.server_close()

    def _enter(self) -> int | None:
        """Count a request in flight; its number, or None if it exceeds max_concurrent (then 429)."""
        with self._lock:
            if self.max_concurrent is not None and self.in_flight >= self.max_concurrent:
                self.rejected += 1
                return None
            self.in_flight += 1
            self.peak_concurrent = max(self.peak_concurrent, self.in_flight)
            return len(self.requests)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _next(self, body: dict) -> tuple[Reply | None, dict[str, int]]:
        with self._lock:
            self.requests.append(body)
            reply = self.script.pop(0) if self.script else self.then
            text = _texts(body)
            usage = {"prompt_tokens": len(text) // 4 + 1, "cached_tokens": _common_prefix(text, self._previous) // 4}
            self._previous = text
        return reply, usage

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.endswith("/models"):  # OpenAI's (and OpenRouter's) model list: none priced
                    self._send(200, {"object": "list", "data": []})
                    return
                self._send(200, {"status": "ok"})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if not self.path.endswith(("/chat/completions", "/messages")):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                number = server._enter()
                if number is None:
                    self._send(429, {"error": {"message": f"more than {server.max_concurrent} requests at once"}})
                    return
                try:
                    delay = server.delay_s(number) if callable(server.delay_s) else server.delay_s
                    server.closing.wait(delay)
                    self._answer(body)
                finally:
                    server._leave()

            def _answer(self, body: dict) -> None:
                server.authorizations.append(self.headers.get("Authorization"))
                server.paths.append(self.path)
                reply, usage = server._next(body)
                if reply is None:
                    self._send(500, {"error": {"message": "the test script has no more replies"}})
                elif reply == HANG:
                    server.closing.wait()
                elif isinstance(reply, Fail):
                    headers = {"Retry-After": str(reply.retry_after)} if reply.retry_after is not None else {}
                    message = f"scripted HTTP {reply.status}"
                    if reply.echo_key:
                        message += f"; Incorrect API key provided: {self.headers.get('Authorization')}"
                    self._send(reply.status, {"error": {"message": message}}, headers)
                else:
                    answer = reply(body) if callable(reply) else reply
                    if self.path.endswith("/messages"):
                        self._send(200, _anthropic_message(answer, len(server.requests), body, usage))
                        return
                    message, finish = _message(answer, len(server.requests))
                    written = len(message["content"] or "") + len(
                        json.dumps(message["tool_calls"]) if finish == "tool_calls" else ""
                    )
                    self._send(
                        200,
                        {
                            "id": f"chatcmpl-{len(server.requests)}",
                            "object": "chat.completion",
                            "created": 0,
                            "model": body.get("model", ""),
                            "choices": [{"index": 0, "finish_reason": finish, "message": message}],
                            "usage": {
                                "prompt_tokens": usage["prompt_tokens"],
                                "completion_tokens": written // 4 + 1,
                                "total_tokens": usage["prompt_tokens"] + written // 4 + 1,
                                "prompt_tokens_details": {"cached_tokens": usage["cached_tokens"]},
                            },
                        },
                    )

        return Handler


def _message(answer: str | Calls, number: int) -> tuple[dict[str, Any], str]:
    """The assistant message of an answer and its finish reason, as OpenAI's API writes them."""
    if isinstance(answer, str):
        return {"role": "assistant", "content": answer}, "stop"
    calls = [
        {
            "id": f"call_{number}_{index}",
            "type": "function",
            "function": {"name": name, "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)},
        }
        for index, (name, arguments) in enumerate(answer.calls)
    ]
    return {"role": "assistant", "content": answer.text or None, "tool_calls": calls}, "tool_calls"


def _anthropic_message(answer: str | Calls, number: int, body: dict, usage: dict[str, int]) -> dict[str, Any]:
    """An answer as Anthropic's Messages API writes it; its input_tokens exclude the cache reads."""
    content: list[dict[str, Any]] = [{"type": "text", "text": answer if isinstance(answer, str) else answer.text}]
    if isinstance(answer, Calls):
        content = [block for block in content if block["text"]] + [
            {
                "type": "tool_use",
                "id": f"toolu_{number}_{index}",
                "name": name,
                "input": json.loads(arguments) if isinstance(arguments, str) else arguments,
            }
            for index, (name, arguments) in enumerate(answer.calls)
        ]
    written = len(json.dumps(content))
    return {
        "id": f"msg_{number}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", ""),
        "content": content,
        "stop_reason": "tool_use" if isinstance(answer, Calls) else "end_turn",
        "usage": {
            "input_tokens": usage["prompt_tokens"] - usage["cached_tokens"],
            "output_tokens": written // 4 + 1,
            "cache_read_input_tokens": usage["cached_tokens"],
            "cache_creation_input_tokens": 0,
        },
    }
