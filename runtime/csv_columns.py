"""A CSV file read into columns of texts, a chunk of rows at a time, and the checks of one
column: empty cells, numbers, values that are no finite number (`runtime.csv_source` reads
a table's features and target from them).

A million rows make a few hundred arrays, not a million lists: each chunk of CHUNK_ROWS
rows becomes one object array of stripped strings per column.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass

import numpy as np

from . import datafiles
from .data import DataError, checked_header

CHUNK_ROWS = 4096  # rows turned into columns at a time: no list per row outlives its chunk


Texts = list[np.ndarray]  # a column's values: an array of strings per chunk of rows


@dataclass(frozen=True)
class Table:
    """A CSV file's header and its columns of stripped texts ("" where a row is short): per
    column, an object array of strings per chunk of rows. The cyclic collector (which runs
    on the GUI thread while a window is open) walks none of them: arrays and strings are
    no containers it tracks."""

    header: list[str]
    columns: list[Texts]
    rows: int

    def release(self) -> None:
        """Free the texts a chunk at a time: a million strings freed in one call would hold
        the GIL (and so the GUI thread) for a tenth of a second."""
        for column in self.columns:
            while column:
                column.pop()


def read_table(path: str) -> Table:
    """The file's header and columns.

    Raises:
        DataError: the file is missing, not UTF-8 text, not CSV, or has no data row.
    """
    with checked_header():
        datafiles.check_text_file(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return _columns(path, csv.reader(handle))
    except OSError as exc:
        raise DataError(f"Could not read {path}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: expected UTF-8 CSV text. Received bytes that are not UTF-8 "
                        f"at byte {exc.start}") from None
    except csv.Error as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc})") from None


def _columns(path: str, reader) -> Table:
    """The reader's non-blank rows, CHUNK_ROWS at a time, appended to columns."""
    header = next((row for row in reader if row), None)
    columns: list[Texts] = [[] for _ in header or ()]
    rows = 0
    while read := list(itertools.islice(reader, CHUNK_ROWS)):
        chunk = [row for row in read if row]
        rows += len(chunk)
        cells = list(itertools.zip_longest(*chunk, fillvalue=""))
        for column, texts in zip(columns, cells, strict=False):
            column.append(np.fromiter(map(str.strip, texts), dtype=object, count=len(texts)))
        for column in columns[len(cells):]:  # every row of the chunk is shorter
            column.append(np.full(len(chunk), "", dtype=object))
    if header is None or not rows:
        raise DataError(f"{path}: expected a header row and at least one data row. "
                        f"Received {0 if header is None else 1} row(s)")
    return Table([h.strip() for h in header], columns, rows)


def _at(values: Texts, index: int) -> str:
    for part in values:
        if index < len(part):
            return part[index]
        index -= len(part)
    raise IndexError(index)


def convert(function, values: Texts, dtype: str) -> np.ndarray:
    """`function` of every value, a chunk a call (a worker lets the GUI thread run)."""
    return np.concatenate([np.fromiter(map(function, part), dtype=dtype, count=len(part))
                           for part in values])


def column(table: Table, name: str, path: str) -> Texts:
    """The texts of column `name`; an empty cell is refused, naming its row."""
    values = table.columns[table.header.index(name)]
    row = 2
    for part in values:
        if "" in part:
            first = np.flatnonzero(part == "")[0]
            raise DataError(f"{path}, row {row + first}: column {name!r} is empty")
        row += len(part)
    return values


def numbers(values: Texts, name: str, path: str) -> np.ndarray | None:
    """The column's values as numbers, or None when one is no number. A number that is
    not finite ("nan", "inf", "1e999") is refused, naming its row: Python's `float` reads
    it, and one NaN in a batch makes every loss from there on NaN."""
    try:
        found = convert(float, values, "float64")
    except ValueError:
        return None
    bad = np.flatnonzero(~np.isfinite(found))
    if len(bad):
        more = f" ({len(bad)} rows hold no finite number)" if len(bad) > 1 else ""
        raise DataError(f"{path}, row {bad[0] + 2}: column {name!r} holds "
                        f"{_at(values, bad[0])!r}, expected a finite number{more}")
    return found


def not_a_number(values: Texts) -> tuple[int, str]:
    """The row number (as in the file, the header being row 1) and text of the first
    value that is no number."""
    for number, value in enumerate(itertools.chain.from_iterable(values), start=2):
        try:
            float(value)
        except ValueError:
            return number, value
    raise ValueError("every value is a number")


def missing_column(path: str, name: str, header: list[str]) -> str:
    """The header is listed only when it looks like column names: the message must not
    print a line of a file that is not a CSV table (say, /etc/passwd)."""
    text = f"{path} has no column {name!r}"
    if len(header) > 1 and all(h.isprintable() and 0 < len(h) <= 40 for h in header):
        return f"{text}. Columns: {', '.join(header[:30])}"
    return (f"{text}: its first row has {len(header)} comma-separated field(s), "
            "which does not look like a header of column names")
