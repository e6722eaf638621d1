"""Checks on a model archive or model JSON before anything is extracted or parsed.

A `.keras` file is a zip archive. Its central directory declares every member's
sizes, compression and encryption, so the archive is judged from it: an encrypted
member, a compression method Python cannot read, more members than a model has,
members that would unpack beyond `max_unpacked_bytes()` (this machine's memory,
at most 32 GiB) or that unpack more than `MAX_RATIO` times their stored size (a
zip bomb) are refused before a byte is inflated. The model config (config.json,
or a model JSON file) is refused above `MAX_CONFIG_BYTES`, nested deeper than
`MAX_CONFIG_NESTING`, or with more than `MAX_LAYERS` layers, before Keras builds
anything from it.
"""

from __future__ import annotations

import os
import zipfile
from typing import Any

from kerascanvas.graph import limits
from kerascanvas.graph.errors import KerasCanvasError, ProjectFileError

MAX_MEMBERS = 10_000
MAX_RATIO = 200  # deflate reaches about 1,000x on zeros; weights compress 1-3x
MAX_CONFIG_BYTES = 64 * 2**20
MAX_CONFIG_NESTING = 100
MAX_LAYERS = 20_000
_READABLE = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


class ArchiveError(KerasCanvasError):
    """An archive or config was refused; the importer reports it as its own error."""


def max_unpacked_bytes() -> int:
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        memory = 32 * 2**30
    return min(memory, 32 * 2**30)


def _gib(size: int) -> str:
    return f"{size / 2**30:,.2f} GiB"


def incomplete(path: str | os.PathLike) -> str | None:
    """Why the file at `path` cannot be a whole `.keras` archive, or None.

    A save or copy that was cut short (a process killed, a full disk) leaves an empty
    file, or a zip archive without its end (the central directory comes last): these
    say so, and a file that is no zip archive at all says that.
    """
    try:
        size = os.path.getsize(path)
        if size == 0:
            return ("the file is empty (0 bytes): a save or copy that was interrupted leaves "
                    "this; it holds no model")
        if zipfile.is_zipfile(path):
            return None
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    if head == b"PK\x03\x04":
        return (f"the file is truncated ({size:,} bytes, the end of its zip archive is "
                "missing): a save or copy that was interrupted leaves this; it cannot be "
                "opened")
    return "not a .keras file (expected a zip archive)"


def check_members(archive: zipfile.ZipFile, where: str) -> None:
    """Refuse the archive from its directory: encryption, compression, count, sizes."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ArchiveError(f"{where}: {len(members):,} members; a model archive has at most "
                           f"{MAX_MEMBERS:,}")
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise ArchiveError(f"{where}: member {info.filename!r} is encrypted")
        if info.compress_type not in _READABLE:
            raise ArchiveError(f"{where}: member {info.filename!r} uses compression method "
                               f"{info.compress_type}, which cannot be read (expected stored, "
                               "deflate, bzip2 or lzma)")
        if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ArchiveError(
                f"{where}: member {info.filename!r} would unpack {info.file_size:,} bytes "
                f"from {info.compress_size:,} ({info.file_size // max(info.compress_size, 1):,}"
                f"x, more than {MAX_RATIO}x): refused as a zip bomb")
        total += info.file_size
    if total > max_unpacked_bytes():
        raise ArchiveError(f"{where}: the members would unpack to {_gib(total)}, more than the "
                           f"bound of {_gib(max_unpacked_bytes())}")


def read_config_member(archive: zipfile.ZipFile, name: str, where: str) -> bytes:
    """The bytes of `name` in a checked archive, refused above `MAX_CONFIG_BYTES`."""
    info = archive.getinfo(name)  # KeyError when absent
    if info.file_size > MAX_CONFIG_BYTES:
        raise ArchiveError(f"{where}: {name} declares {info.file_size:,} bytes; a model config "
                           f"is at most {MAX_CONFIG_BYTES:,}")
    return archive.read(info)


def check_config_size(size: int, where: str) -> None:
    if size > MAX_CONFIG_BYTES:
        raise ArchiveError(f"{where}: {size:,} bytes; a model config is at most "
                           f"{MAX_CONFIG_BYTES:,}")


def _count_layers(config: Any) -> int:
    """Layers listed in a serialized model, nested models included (no recursion)."""
    count, stack = 0, [config]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            layers = value.get("layers")
            if isinstance(layers, list):
                count += len(layers)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return count


def check_config(config: Any, where: str) -> None:
    """Refuse a parsed model config nested too deep or with too many layers."""
    try:
        limits.check_values(config, MAX_CONFIG_NESTING)
    except ProjectFileError as exc:
        raise ArchiveError(f"{where}: {exc}") from None
    layers = _count_layers(config)
    if layers > MAX_LAYERS:
        raise ArchiveError(f"{where}: {layers:,} layers; at most {MAX_LAYERS:,} can be "
                           "imported")
