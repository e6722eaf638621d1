"""Checks on data files made from their headers, before anything is allocated.

A `.npy` header declares the dtype and shape of the array, so its size is known
before reading: an array larger than this machine's memory, one the file is too
short to hold (a truncated file), strings or objects, or an array without samples
is refused with a `DataError` that names the file and the array. A `.npz` is a zip
of `.npy` members, checked member by member the same way. CSV files are checked
for binary content. Messages say what was expected and what the header declared;
they never quote the file's contents.
"""

from __future__ import annotations

import os
import zipfile
from typing import BinaryIO

import numpy as np

from kerascanvas.graph.errors import KerasCanvasError

MAX_SYNTHETIC_SAMPLES = 10_000_000


class DataFileError(KerasCanvasError):
    """A data file was refused from its header; callers turn it into their DataError."""


def memory_bytes() -> int:
    """This machine's physical memory, the bound on any one array read from a file."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 64 * 2**30


def _gib(size: int) -> str:
    if size >= 2**40:
        return f"{size / 2**40:,.1f} TiB"
    return f"{size / 2**30:,.1f} GiB"


def _header(handle: BinaryIO, where: str) -> tuple[tuple, bool, np.dtype]:
    try:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(handle)
        return np.lib.format.read_array_header_2_0(handle)
    except (ValueError, OSError, SyntaxError) as exc:
        reason = "the file ends early" if isinstance(exc, OSError) or "EOF" in str(exc) \
            else "its header is not a NumPy array header"
        raise DataFileError(f"{where}: not a readable .npy array ({reason})") from None


def check_array_header(handle: BinaryIO, size: int, where: str) -> tuple:
    """Read one `.npy` header from `handle` (`size` bytes in all) and refuse what cannot be
    training data. Returns the declared shape."""
    shape, _, dtype = _header(handle, where)
    if dtype.hasobject or dtype.kind in "OUSVMmc":
        note = " (complex numbers: training would drop their imaginary part)" \
            if dtype.kind == "c" else ""
        raise DataFileError(f"{where}: expected an array of real numbers or booleans. "
                            f"Received an array of dtype {dtype.str!r}{note}")
    if dtype.kind == "u" and dtype.itemsize == 8:  # Keras' torch backend refuses it too
        raise DataFileError(f"{where}: expected an array of a dtype torch holds; uint64 is "
                            f"not one (save it as int64). Received an array of dtype "
                            f"{dtype.str!r}")
    if not shape:
        raise DataFileError(f"{where}: expected an array with one row per sample. Received a "
                            "single value (shape ())")
    if shape[0] == 0:
        raise DataFileError(f"{where}: the array holds no samples (shape {shape})")
    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if nbytes > memory_bytes():
        raise DataFileError(f"{where}: the header declares {_gib(nbytes)} (shape {shape}, "
                            f"dtype {dtype.str!r}), more than this machine's "
                            f"{_gib(memory_bytes())} of memory")
    if nbytes > size - handle.tell():
        raise DataFileError(f"{where}: the file is truncated: its header declares {nbytes:,} "
                            f"bytes of data (shape {shape}) but {size - handle.tell():,} follow")
    return shape


def check_npy(path: str | os.PathLike) -> tuple:
    """Check a `.npy` file from its header; returns the declared shape."""
    try:
        with open(path, "rb") as handle:
            return check_array_header(handle, os.fstat(handle.fileno()).st_size, str(path))
    except OSError as exc:
        raise DataFileError(f"Could not read {path}: {exc.strerror}") from None


def check_npz(path: str | os.PathLike) -> dict[str, tuple]:
    """Check every member of a `.npz` file from its header; returns name -> shape."""
    shapes = {}
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if m.filename.endswith(".npy")]
            if not members:
                raise DataFileError(f"{path}: the archive holds no arrays")
            for member in members:
                name = member.filename[:-4]
                with archive.open(member) as handle:
                    shapes[name] = check_array_header(
                        _Counted(handle), member.file_size, f"{path}, array {name!r}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise DataFileError(f"{path}: not a readable .npz archive "
                            f"({type(exc).__name__})") from None
    except RuntimeError:  # zipfile's error for an encrypted member
        raise DataFileError(f"{path}: an array in the archive is encrypted") from None
    except OSError as exc:
        raise DataFileError(f"Could not read {path}: {exc.strerror or exc}") from None
    return shapes


class _Counted:
    """A zip member stream that knows how many bytes were read (zip streams do not seek)."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle, self._read = handle, 0

    def read(self, n: int = -1) -> bytes:
        data = self._handle.read(n)
        self._read += len(data)
        return data

    def tell(self) -> int:
        return self._read


def check_text_file(path: str | os.PathLike) -> None:
    """Refuse a file that is not text (a NUL byte, or not UTF-8, in its first 64 KiB)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(65536)
    except OSError as exc:
        raise DataFileError(f"Could not read {path}: {exc.strerror}") from None
    if b"\0" in head:
        raise DataFileError(f"{path}: expected a CSV text file. Received binary data")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the 64 KiB mark
            raise DataFileError(f"{path}: expected UTF-8 CSV text. Received bytes that are "
                                f"not UTF-8 at byte {exc.start}") from None


def check_synthetic_count(count: int) -> None:
    if count > MAX_SYNTHETIC_SAMPLES:
        raise DataFileError(f"Expected at most {MAX_SYNTHETIC_SAMPLES:,} synthetic samples. "
                            f"Received: synthetic:{count}")
