"""The preflight: before a study's episodes start, check that its benchmark's package and backend are there.

Every problem found goes into one line, so a user without the backend learns everything missing at
once and no episode is spent on it.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from ..core.errors import PreflightError
from .base import Benchmark

PROBE_TIMEOUT_S = 10.0  # as BrowserGym's own instance checks


def missing_env(names: Sequence[str]) -> list[str]:
    """The environment variables among `names` that are unset or empty."""
    return [name for name in names if not os.environ.get(name)]


def fetch(url: str, timeout_s: float = PROBE_TIMEOUT_S) -> tuple[int, str]:
    """(HTTP status, body text) of a GET of `url`; raises OSError when nothing answers.

    A new opener per call: urlopen's global one keeps the proxy settings of its first call."""
    try:
        with urllib.request.build_opener().open(url, timeout=timeout_s) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:  # the server answered, with an error status
        with error:
            return error.code, error.read().decode("utf-8", "replace")
    except (ValueError, http.client.HTTPException) as error:  # not a URL, or not an HTTP server
        raise OSError(f"{type(error).__name__}: {error}") from None


def probe(name: str, url: str, timeout_s: float = PROBE_TIMEOUT_S) -> tuple[str | None, str]:
    """(None, body) when the server of `url` answers, else (a phrase naming `name` and why, '')."""
    try:
        return None, fetch(url, timeout_s)[1]
    except OSError as error:
        return f"{name} ({url}) unreachable: {getattr(error, 'reason', error)}", ""


def unreachable(urls: Mapping[str, str], timeout_s: float = PROBE_TIMEOUT_S) -> list[str]:
    """One phrase per URL of `urls` (name -> URL) whose server does not answer."""
    return [problem for name, url in urls.items() if (problem := probe(name, url, timeout_s)[0])]


def run_preflight(benchmark: Benchmark, tasks: Sequence[str]) -> dict[str, Any]:
    """Check `benchmark`'s package and backend for `tasks`; return a record, or raise PreflightError."""
    problems = [problem for problem in [benchmark.missing_package()] if problem]
    if benchmark.backend is not None:
        problems += benchmark.backend.problems(tasks)
    if problems:
        raise PreflightError(f"preflight {benchmark.name} failed: {'; '.join(problems)}")
    return {
        "benchmark": benchmark.name,
        "backend": type(benchmark.backend).__name__ if benchmark.backend else None,
        "n_tasks": len(tasks),
        "checked_at": dt.datetime.now(dt.UTC).isoformat(),
        "host": socket.gethostname(),
    }
