"""Helpers shared by several test files (test files import no other test file): a real local HTTP server,
waiting for a condition, a replay trace, and the mark for tests that need ServiceNow AgentLab's environment."""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path

import pytest

from agentlab.agents.bridge import AgentLabEnvironment

needs_agentlab = pytest.mark.skipif(
    not AgentLabEnvironment.configured().installed(),
    reason="ServiceNow AgentLab's environment is not installed (make bridge)",
)


class Server:
    """A real HTTP server on 127.0.0.1 answering GET `path` with `routes[path]`: (status, body), or
    a list of them served one after the other (the last one repeats); anything else: 200 'ok'."""

    def __init__(self, routes=None):
        self.routes = {
            path: list(answers) if isinstance(answers, list) else [answers] for path, answers in (routes or {}).items()
        }
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                answers = server.routes.get(self.path, [(200, "ok")])
                status, body = answers.pop(0) if len(answers) > 1 else answers[0]
                self.send_response(status)
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def wait_for(condition, timeout_s=60.0, what="condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def trace_file(root: Path, *actions: str) -> str:
    path = root / "trace.jsonl"
    path.write_text("".join(json.dumps({"action": a}) + "\n" for a in actions))
    return str(path)
