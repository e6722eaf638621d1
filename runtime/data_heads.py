"""The first samples of the inputs in a data file, read without the rest (the data preview).

A `.npy` array is stored row after row behind its header, in a file of its own or as a
member of a `.npz` zip: its first rows are read from the stream, the rest never is. Arrays
in Fortran order (rows not contiguous) are read whole.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterator, Mapping
from typing import BinaryIO

import numpy as np

from . import datafiles
from .dataset import DataError, checked_header


def read_head(handle: BinaryIO, head: int) -> tuple[np.ndarray, int]:
    """(the first `head` rows of the `.npy` array at `handle`, its number of rows)."""
    version = np.lib.format.read_magic(handle)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
        np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read_header(handle)
    if fortran or not shape:
        handle.seek(0)
        whole = np.load(handle, allow_pickle=False)
        return whole[:head], (len(whole) if shape else 0)
    rows = min(head, shape[0])
    size = rows * math.prod(shape[1:]) * dtype.itemsize
    return np.frombuffer(handle.read(size), dtype).reshape(rows, *shape[1:]).copy(), shape[0]


class NpzHeads(Mapping):
    """The arrays of a `.npz` file by name, each cut to its first `head` rows and read only
    when asked for; `rows[name]` is each read array's number of rows."""

    def __init__(self, path: str, head: int):
        self.path, self.head, self.rows = path, head, {}
        with checked_header():
            self._names = list(datafiles.check_npz(path))

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._names:
            raise KeyError(name)
        try:
            with zipfile.ZipFile(self.path) as archive, archive.open(f"{name}.npy") as handle:
                array, self.rows[name] = read_head(handle, self.head)
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise DataError(f"Could not read {self.path}: {exc}") from exc
        return array

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def npy_head(path: str, head: int) -> tuple[np.ndarray, int]:
    """The first `head` rows of a `.npy` file and its number of rows."""
    with checked_header():
        datafiles.check_npy(path)
    try:
        with open(path, "rb") as handle:
            return read_head(handle, head)
    except (OSError, ValueError) as exc:
        raise DataError(f"Could not read {path}: {exc}") from exc
