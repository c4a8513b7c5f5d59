"""This user's private runtime folders (slots, warm servers' sockets, the bridge's fork servers) and the
checks that keep another local user out: without XDG_RUNTIME_DIR they live in the shared /tmp, where
another user could create them first, plant symlinks, or listen where we connect.

Every folder is made 0700 and, if it already exists, refused unless it is a real folder of this user
that nobody else can write into; every Unix socket checks its peer's uid (the client the server's, the
server the client's); logs are opened without following symlinks.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import struct
from pathlib import Path
from typing import BinaryIO

from ..core.errors import InfraError


class UnsafeRuntimeFolder(InfraError):
    """A runtime folder, socket or log another local user could have prepared: refused, in one line."""


def runtime_base() -> Path:
    """Where this user's runtime folder lives: $XDG_RUNTIME_DIR (private already), else the shared /tmp."""
    return Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp")


def runtime_root() -> Path:
    """This user's runtime folder (not made; see `private_dir`)."""
    return runtime_base() / f"agentlab-{os.getuid()}"


def user_runtime_dir(*names: str) -> Path:
    """The folder `names` inside this user's runtime folder, each level made or checked by `private_dir`."""
    path = private_dir(runtime_root())
    for name in names:
        path = private_dir(path / name)
    return path


def private_dir(path: Path) -> Path:
    """`path` as a folder only this user can use: made 0700 if missing; an existing one is refused if it is
    a symlink, not a folder, another user's, or writable by group or others (others' read and search bits,
    left by older versions, are dropped: nobody else could have put anything in it)."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        _refuse(path, "is a symlink")
    if not stat.S_ISDIR(info.st_mode):
        _refuse(path, "is not a folder")
    if info.st_uid != os.getuid():
        _refuse(path, f"belongs to uid {info.st_uid}, not to you (uid {os.getuid()})")
    if info.st_mode & 0o022:
        _refuse(path, f"is writable by other users (mode {stat.S_IMODE(info.st_mode):04o})")
    if info.st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


def _refuse(path: Path, problem: str) -> None:
    raise UnsafeRuntimeFolder(
        f"runtime folder {path} {problem}: another local user may have prepared it, so it is not used; "
        "remove it, or set XDG_RUNTIME_DIR to a folder only you can write (e.g. mkdir -m 700 ~/.agentlab-run)"
    )


def peer_uid(connection: socket.socket) -> int:
    """The uid of the process at the other end of the Unix socket `connection` (SO_PEERCRED)."""
    _, uid, _ = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    return int(uid)


def is_own_peer(connection: socket.socket) -> bool:
    """Whether the other end of `connection` runs as this user (a server refuses other clients)."""
    return peer_uid(connection) == os.getuid()


def connect_own(path: Path, what: str) -> socket.socket:
    """A connection to the Unix socket `path`, refused (UnsafeRuntimeFolder) unless `what` listening there
    runs as this user; connect's own errors (FileNotFoundError, ConnectionRefusedError) pass through."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(str(path))
        uid = peer_uid(connection)
    except OSError:
        connection.close()
        raise
    if uid != os.getuid():
        connection.close()
        raise UnsafeRuntimeFolder(
            f"the {what} at {path} runs as uid {uid}, not as you (uid {os.getuid()}): not used, "
            "another local user may be listening there"
        )
    return connection


def open_log(path: Path, truncate: bool = False) -> BinaryIO:
    """`path` opened for writing (appending unless `truncate`), 0600 if new, never through a symlink."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_TRUNC if truncate else os.O_APPEND)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnsafeRuntimeFolder(
                f"log {path} is a symlink: not followed, another local user may have put it there"
            ) from None
        raise
    return os.fdopen(fd, "wb" if truncate else "ab")
