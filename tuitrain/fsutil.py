"""Crash-safe file writes (temp file in the same directory, fsync, rename, fsync the directory) and
reads that only ever open regular files.

A FIFO, a device or a socket where a run file, a preset or a data file belongs would make a plain
``open()`` block for ever (a FIFO with no writer) or read without end (``/dev/zero``): every reader of
a file someone else may have put there goes through :func:`open_regular`, which opens without
blocking and refuses anything but a regular file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

TEMP_MARK = ".tmp"
"""Every temporary file of :func:`atomic_path` is named ``.<target name>.<random>.tmp<suffix>``."""
_TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.[A-Za-z0-9_]{8}\.tmp(\.[^.]*)?$")


class NotRegularFile(OSError):
    """A path names a FIFO, a device, a socket or another non-regular file where a file was expected."""


def file_kind(mode: int) -> str:
    """What a ``st_mode`` is, in words ("a folder", "a FIFO (named pipe)", ...)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open ``path`` for binary reading if it is a regular file (symbolic links are followed).

    Raises FileNotFoundError, IsADirectoryError (a folder), :class:`NotRegularFile` (a FIFO, device or
    socket: opened without blocking, then refused) or another OSError (permission denied, a symbolic
    link loop ...). Never blocks.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
        if not stat.S_ISREG(mode):
            raise NotRegularFile(errno.EINVAL, f"is {file_kind(mode)}, not a regular file", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of a regular file (see :func:`open_regular`); at most ``limit`` bytes when given."""
    with open_regular(path) as fh:
        return fh.read() if limit is None else fh.read(limit)


def read_regular_text(path: str | os.PathLike[str], limit: int | None = None) -> str:
    """A regular file's UTF-8 text (UnicodeDecodeError, a ValueError, for a binary file)."""
    return read_regular(path, limit).decode("utf-8")


def os_error_text(exc: OSError) -> str:
    """An OSError in a few words for a one-line message: "permission denied", "is a FIFO ...", ..."""
    if isinstance(exc, NotRegularFile | IsADirectoryError) and exc.strerror:
        return exc.strerror
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "no space left on the disk (free some space, or use another folder)"
    if exc.errno == errno.EFBIG:
        return "the file grew past the size this process may write (free space or raise the limit)"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    return exc.strerror.lower() if exc.strerror else str(exc)


def is_temporary(name: str) -> bool:
    """True for the name of a temporary file :func:`atomic_path` makes (left behind only by a kill)."""
    return _TEMP_NAME.match(name) is not None


def remove_temporaries(directory: Path) -> list[Path]:
    """Delete the temporary files of interrupted atomic writes in ``directory``; return what was removed.

    Only call this when no writer can be at work in ``directory`` (its trainer has ended): a live
    writer's temporary file would be pulled from under it.
    """
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if not is_temporary(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            os.unlink(entry.path)
        except OSError:
            continue  # gone already, or not ours to remove (permissions): it is ignored by readers anyway
        removed.append(Path(entry.path))
    return removed


def fsync_dir(directory: Path) -> None:
    """Persist a rename: without this, a power cut can forget that the new name exists."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success it replaces ``target`` atomically.

    For writers that need a file name rather than bytes (Keras ``model.save``). If the body raises,
    the temporary file is removed and ``target`` keeps its previous content.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        # mkstemp makes the file private (0600); the replaced file should keep the permissions a plain
        # write would give it: the old file's, or the default for a new file under the umask. Set last,
        # so a read-only old file does not stop the writer.
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
        fsync_dir(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    # Linux reports the umask in /proc without changing it; elsewhere set-and-restore is the only way.
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` so readers see the old file or the new one, never half of it."""
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()


def atomic_write_text(target: Path, text: str) -> None:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    atomic_write_bytes(target, text.encode("utf-8"))
