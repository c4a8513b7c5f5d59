"""What the machine's shared servers (warm episode servers, the bridge's fork servers) agree on: which
environment variables tell two apart, and how long an unused one lives."""

from __future__ import annotations

import os

# Environment variables that differ between otherwise identical runs and do not affect episodes.
VOLATILE_ENVIRONMENT = ("OLDPWD", "PWD", "SHLVL", "_", "TERM", "COLUMNS", "LINES")


def idle_timeout_s() -> float:
    """How long an unused server waits before it exits (AGENTLAB_WARM_IDLE_S, default 15 s)."""
    return float(os.environ.get("AGENTLAB_WARM_IDLE_S", "15"))
