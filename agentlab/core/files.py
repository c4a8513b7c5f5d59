"""Atomic writes of result files (a reader sees the old file or the new one, never a part), and safe
reads of result folders that may come from someone else (regular files inside the folder, size-capped)."""

from __future__ import annotations

import dataclasses
import errno
import functools
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

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


MAX_JSON_BYTES = 256 * 2**20


def read_json(path: str | os.PathLike) -> Any:
    """The JSON file at `path`, read under open_inside's rules (RefusedFile, a ValueError, if refused)."""
    folder, name = os.path.split(path)
    return json.loads(read_inside(folder, name, MAX_JSON_BYTES).decode("utf-8"))


class RefusedFile(ValueError):
    """A result file not read: a link, not a regular file (a FIFO, a device), outside its folder or too large."""


def open_inside(folder: str | os.PathLike, name: str, max_bytes: int) -> BinaryIO:
    """`folder/name` open for reading if it is a regular file inside `folder` (links resolved) of at
    most `max_bytes`: a results folder from someone else cannot make a reader embed the reader's own
    files, hang on a FIFO or read /dev/zero. FileNotFoundError if it is missing; RefusedFile else."""
    fd, _ = _open_checked(folder, name, max_bytes)
    return os.fdopen(fd, "rb")


def read_inside(folder: str | os.PathLike, name: str, max_bytes: int) -> bytes:
    """The bytes of `folder/name` under open_inside's rules (as large as it was when opened)."""
    fd, size = _open_checked(folder, name, max_bytes)
    try:
        chunks = []
        while size > 0 and (chunk := os.read(fd, size)):
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _open_checked(folder: str | os.PathLike, name: str, max_bytes: int) -> tuple[int, int]:
    """The descriptor and size of `folder/name` once open_inside's checks pass."""
    path = os.path.join(folder, name)
    try:  # O_NONBLOCK: opening a FIFO does not wait for a writer
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise RefusedFile(f"{name!r} is a symbolic link") from None
        raise
    info = os.fstat(fd)
    if not _opened_path(fd, path).startswith(_real_folder(os.fspath(folder))):
        problem = "outside its folder"
    elif not stat.S_ISREG(info.st_mode):
        problem = "not a regular file"
    elif info.st_size > max_bytes:
        problem = f"{info.st_size} bytes, more than {max_bytes}"
    else:
        return fd, info.st_size
    os.close(fd)
    raise RefusedFile(f"{name!r} is {problem}")


def _opened_path(fd: int, path: str) -> str:
    """The real path of the file open as `fd` (one readlink on Linux, where realpath would take one
    lstat per folder of the path)."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return os.path.realpath(path)


@functools.lru_cache(maxsize=64)
def _real_folder(folder: str) -> str:
    """The real path of `folder` with a final separator (a study's, asked once per file it holds)."""
    return os.path.join(os.path.realpath(folder), "")


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
