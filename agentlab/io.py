"""Atomic writes of result files: a reader sees the old file or the new one, never a part."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigError

T = TypeVar("T")


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, flush it to disk, then rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_dir(staging: str | os.PathLike, target: str | os.PathLike) -> None:
    """Put the complete folder `staging` in place of `target`: readers see the old folder or the new one
    (or, between two renames, none), never a half-written one."""
    staging, target = Path(staging), Path(target)
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    if old.exists():
        shutil.rmtree(old)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def to_json(obj: Any) -> str:
    """Stable, readable JSON used for every result file."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    write_text_atomic(path, to_json(obj))


def read_json(path: str | os.PathLike) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def remove_stale_temporaries(directory: str | os.PathLike) -> None:
    """Delete temporary files a killed writer left in `directory` (never a finished file)."""
    for leftover in Path(directory).glob(".*.tmp"):
        leftover.unlink(missing_ok=True)


def dataclass_from_json(cls: type[T], text: str, what: str) -> T:
    """The dataclass `cls` from a JSON object given as an argument; ConfigError (one line) naming
    `what` when it is not JSON, not an object, or has fields `cls` does not."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{what} is not JSON ({error.msg}): {text[:80]!r}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{what} is a JSON {type(data).__name__}; allowed: an object of {cls.__name__} fields")
    names = [field.name for field in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ConfigError(f"{what} has unknown fields {', '.join(unknown)}; allowed: {', '.join(names)}")
    try:
        return cls(**data)
    except TypeError as error:
        raise ConfigError(f"{what}: {error}") from None
