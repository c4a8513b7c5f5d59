"""The JSON codec of our foreign hosts (ServiceNow AgentLab's bridge host, the CUBE host): observations and
answers cross the process boundary as JSON, large arrays as `.npy` files, never pickled.

Standard library only at the top: the hosts load this file by path inside interpreters of their own.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

INLINE_ARRAY_SIZE = 64  # larger arrays (the screenshot) go through .npy files

_files = itertools.count()


def encode(value: Any, array_dir: Path) -> Any:
    """`value` as JSON: tuples, numpy arrays and numpy scalars tagged, large arrays saved as .npy files."""
    kind = type(value).__module__
    if isinstance(value, tuple):
        return {"__tuple__": [encode(item, array_dir) for item in value]}
    if isinstance(value, list):
        return [encode(item, array_dir) for item in value]
    if isinstance(value, dict):
        return {str(key): encode(item, array_dir) for key, item in value.items()}
    if kind == "numpy" and hasattr(value, "shape") and value.shape != ():
        if value.size <= INLINE_ARRAY_SIZE:
            return {"__ndarray__": value.tolist(), "dtype": str(value.dtype)}
        import numpy as np

        path = array_dir / f"array-{os.getpid()}-{next(_files)}.npy"
        np.save(path, value, allow_pickle=False)
        return {"__npy__": str(path)}
    if kind == "numpy" and hasattr(value, "item"):
        return {"__numpy_scalar__": value.item(), "dtype": str(value.dtype)}
    return value


def decode(value: Any) -> Any:
    """The value `encode` wrote (its .npy files are read and deleted)."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(decode(item) for item in value["__tuple__"])
    if "__ndarray__" in value or "__npy__" in value or "__numpy_scalar__" in value:
        import numpy as np

        if "__ndarray__" in value:
            return np.asarray(value["__ndarray__"], dtype=value["dtype"])
        if "__numpy_scalar__" in value:
            return np.dtype(value["dtype"]).type(value["__numpy_scalar__"])
        path = Path(value["__npy__"])
        array = np.load(path, allow_pickle=False)
        path.unlink(missing_ok=True)
        return array
    return {key: decode(item) for key, item in value.items()}


def jsonable(value: Any) -> Any:
    """`value` in plain JSON types, for the record (an agent's info may hold any object)."""
    return json.loads(json.dumps(value, default=lambda item: item.tolist() if hasattr(item, "tolist") else str(item)))


def error_answer(error: BaseException, **flags: bool) -> dict[str, Any]:
    """A host's answer to a request that failed: the exception's type, first line and traceback, and `flags`
    saying whose fault it is (infra, evaluation), which our end maps to the episode's status."""
    return {
        "kind": "error",
        "type": type(error).__name__,
        "message": (str(error).strip().splitlines() or [type(error).__name__])[0],
        "traceback": "".join(traceback.format_exception(error)),
        **flags,
    }


def print_document(produce: Callable[[], Any]) -> None:
    """Print what `produce()` returns as one JSON line, the whole of stdout: whatever the foreign code
    prints meanwhile (to Python's stdout or to file descriptor 1) goes to stderr."""
    saved = os.dup(1)
    with contextlib.redirect_stdout(sys.stderr):
        os.dup2(2, 1)
        try:
            document = produce()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    sys.stdout.write(json.dumps(document) + "\n")
