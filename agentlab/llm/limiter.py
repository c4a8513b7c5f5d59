"""A per-endpoint cap on LLM requests in flight, shared by every process of a run on one machine.

Many episodes run at once, each in its own process; a provider's rate limit is per endpoint. The
study's `episode.max_concurrent_requests` ({base URL: N}) reaches every episode process through
the environment variable below; a request to a capped endpoint first takes one of its N slots
(agentlab/machine/slots.py) for the time of the request.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator

from ..core.errors import ConfigError
from ..machine.slots import held_slot

LIMITS_ENV = "AGENTLAB_MAX_CONCURRENT_REQUESTS"  # JSON {base URL: most requests at once}


def normalize(url: str) -> str:
    """An endpoint's key: its base URL without a trailing slash, scheme and host in lower case."""
    scheme, sep, rest = url.strip().rstrip("/").partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}{sep}{host.lower()}{slash}{path}"


def configured_limits() -> dict[str, int]:
    """The caps in force ({normalized base URL: N}); ConfigError (one line) if the variable is malformed."""
    text = os.environ.get(LIMITS_ENV, "")
    if not text:
        return {}
    try:
        limits = json.loads(text)
    except json.JSONDecodeError:
        limits = None
    if not isinstance(limits, dict) or not all(isinstance(n, int) and n >= 1 for n in limits.values()):
        raise ConfigError(f"{LIMITS_ENV}={text[:80]!r}; allowed: a JSON object of base URL -> integer >= 1")
    return {normalize(url): n for url, n in limits.items()}


@contextlib.contextmanager
def request_slot(endpoint: str | None) -> Iterator[None]:
    """Hold one of `endpoint`'s slots for the duration (no wait if the endpoint is not capped)."""
    key = normalize(endpoint) if endpoint else None
    limit = configured_limits().get(key) if key else None
    if key is None or limit is None:
        yield
        return
    with held_slot("requests", key, limit):
        yield
