"""Running one of our reading hosts (agentlab_host.py, cube_harness_host.py) in a foreign framework's interpreter
and taking the one JSON document it prints."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from ..core.errors import ConfigError


def read_with_host(python: Path, host: Path, arguments: list[str], env: dict[str, str], what: str) -> dict[str, Any]:
    """The document `host` prints when run by `python` on `arguments`; ConfigError (its last line of stderr)
    if it fails. `what` names what it reads, for that message."""
    process = subprocess.run(
        [str(python), "-P", str(host), *arguments], capture_output=True, text=True, env=env, cwd="/"
    )
    if process.returncode != 0:
        last = (process.stderr.strip().splitlines() or ["no output"])[-1]
        raise ConfigError(f"reading {what} failed in its framework's environment ({python}): {last}")
    return json.loads(process.stdout.splitlines()[-1])
