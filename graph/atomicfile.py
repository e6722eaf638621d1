"""Files replaced whole or not at all: project files, generated code, saved models.

A file is written under a partial name in the same folder (a rename is atomic only
within one file system), flushed to disk with fsync, renamed over the target, and
the folder is synced so the rename itself survives a power cut. A process killed
at any point leaves either the old file or the new one, plus perhaps a partial
file; partial names carry the writer's process id (and, off the main thread, its
thread id, so two threads saving one file never share a partial), so the next save
beside the same target removes those whose writer is gone.

>>> partial_path("/data/model.keras", pid=42).name
'.partial-42-model.keras'
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

_PARTIAL = re.compile(r"\.partial-(\d+)(?:\.\d+)?-(.+)")


def partial_path(path: str | os.PathLike, pid: int | None = None) -> Path:
    """Where `path` is written before the rename: same folder, same suffix (Keras checks
    the suffix: `.keras`, `.weights.h5`), a name that starts with a dot."""
    path = Path(path)
    writer = str(os.getpid() if pid is None else pid)
    if pid is None and threading.current_thread() is not threading.main_thread():
        writer += f".{threading.get_native_id()}"
    return path.with_name(f".partial-{writer}-{path.name}")


def fsync_file(path: str | os.PathLike) -> None:
    """Flush a closed file's data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # some file systems cannot sync a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def commit(partial: str | os.PathLike, path: str | os.PathLike) -> None:
    """Sync `partial` to disk, rename it over `path` and sync the folder."""
    fsync_file(partial)
    os.replace(partial, path)
    _fsync_folder(Path(path).parent)


def _alive(pid: int) -> bool:
    return pid == os.getpid() or not process_gone(pid)


def process_gone(pid: int) -> bool:
    """Whether process `pid` can write nothing more: there is none, or it is a zombie (it
    was killed and its parent has not reaped it yet: a rank killed with its torchrun
    agent, whose partial files would otherwise stay until then). Zombies are seen in
    /proc, so on Linux only."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists but belongs to someone else
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def remove_stale_partials(path: str | os.PathLike) -> list[Path]:
    """Delete partial files of `path` left by writers that no longer run; return them."""
    path = Path(path)
    removed = []
    with contextlib.suppress(OSError):
        for entry in path.parent.glob(f".partial-*-{glob.escape(path.name)}"):
            match = _PARTIAL.fullmatch(entry.name)
            if match and match.group(2) == path.name and not _alive(int(match.group(1))):
                with contextlib.suppress(OSError):
                    entry.unlink()
                    removed.append(entry)
    return removed


@contextlib.contextmanager
def replacing(path: str | os.PathLike) -> Iterator[Path]:
    """The partial file to write `path`'s new content to; once the block ends it replaces
    `path` (`commit`). An error in the block leaves `path` as it was, and no partial."""
    remove_stale_partials(path)
    partial = partial_path(path)
    try:
        yield partial
        commit(partial, path)
    finally:
        if partial.exists():
            partial.unlink()


def write_bytes_atomic(path: str | os.PathLike, data: bytes, mode: int | None = None) -> None:
    """Replace `path` with `data` atomically (see the module docstring)."""
    with replacing(path) as partial:
        with open(partial, "wb") as f:
            f.write(data)
        if mode is not None:
            os.chmod(partial, mode)


def commit_unused(partial: str | os.PathLike, names: Iterable[Path]) -> Path:
    """Sync `partial` and give it the first of `names` that no file holds; return it.

    A hard link fails on a name that exists, so a file already there is never replaced,
    two writers never take the same name, and the name appears only once the file is
    whole (a process killed before leaves at most the partial). Where the file system
    has no hard links the name is claimed by creating it exclusively, then replaced.
    `partial` stays; the caller removes it.
    """
    fsync_file(partial)
    for path in names:
        try:
            os.link(partial, path)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            if not _claim(path):
                continue
            os.replace(partial, path)
        _fsync_folder(Path(path).parent)
        return Path(path)
    raise FileExistsError(f"no free name for {partial}")


def _claim(path: Path) -> bool:
    try:
        with open(path, "x"):
            return True
    except FileExistsError:
        return False


def copy_atomic(source: str | os.PathLike, path: str | os.PathLike) -> None:
    """Copy `source` over `path` atomically: a copy cut short leaves `path` as it was."""
    with replacing(path) as partial:
        shutil.copyfile(source, partial)
