"""How the runs index (`runs_index`) lies on disk: one entry a line, so that a writer
adding or replacing one entry neither parses nor encodes the others again.

    {"runs": [
    {"uid": "3f2a…", "number": 1, "settings": {…}, "status": "finished", …},
    {"uid": "9c41…", "number": 2, …}
    ]}

It is one JSON document as before, which every reader parses whole (`read_index`). Each
entry's line begins with its uid and its number, read from the line's first characters
(`read_rows`); the line of an entry a writer keeps is copied as it is. Only a line that
lists a run as running is parsed, to be judged (`runs_index.judged`): `"status":
"running"` with its quotes as written can stand nowhere else in a line, since quotes
inside a JSON string are escaped (a nested "status" key costs a parse, nothing more). An
index laid out otherwise (written by an earlier version, or by hand) is parsed whole,
and written back in this layout.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INDEX = "runs.json"
HEAD, TAIL = b'{"runs": [', b"]}"
RUNNING = b'"status": "running"'  # as json.dumps writes it, outside any string
_START = re.compile(rb'\{"uid": ("(?:[^"\\]|\\.)*"), "number": (\d+)[,}]')


@dataclass
class Row:
    """One entry of the index: its uid and number, and its line as on disk (`line`) or
    its dict (`entry`, to be encoded); a parsed line has both until it is changed."""

    uid: str
    number: int
    line: bytes | None = None
    entry: dict[str, Any] | None = None

    def parsed(self) -> dict[str, Any]:
        """The entry's dict (its line parsed once)."""
        if self.entry is None:
            self.entry = json.loads(self.line)
        return self.entry

    def encoded(self) -> bytes:
        """The entry's line: as on disk, or its dict encoded."""
        return self.line if self.line is not None else entry_line(self.entry)


def entry_uid(entry: dict[str, Any]) -> str:
    """What identifies an index entry: its uid, else (older entries) its number."""
    return str(entry.get("uid") or f"run-{entry.get('number')}")


def read_index(folder: str | os.PathLike) -> list[dict[str, Any]]:
    """The entries of `folder`'s runs index ([] when there is none).

    Raises:
        ValueError: the index exists but is not a runs index (the message names it).
    """
    index = Path(folder) / INDEX
    if not index.exists():
        return []
    try:
        runs = json.loads(index.read_text(encoding="utf-8"))["runs"]
        if not isinstance(runs, list) or not all(isinstance(r, dict) and
                                                 isinstance(r.get("number"), int)
                                                 for r in runs):
            raise ValueError("'runs' is not a list of numbered runs")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"Could not read the runs in {index}: {exc}") from None
    return runs


def finite_json(value: Any) -> Any:
    """`value` with every NaN or infinity made None: the index is strict JSON, and a run
    can end with a NaN validation metric while its training loss stays finite."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    return value


def entry_line(entry: dict[str, Any]) -> bytes:
    """`entry` as its line: uid and number first, strict JSON (NaN and infinity are
    written as null, `runs_index.finite_json`), no line break (JSON escapes those)."""
    ordered = {"uid": entry_uid(entry), "number": entry["number"], **entry}
    return json.dumps(finite_json(ordered), allow_nan=False).encode("utf-8")


def rows_of(data: bytes) -> list[Row] | None:
    """The rows of an index in this layout, each with its line; None for any other."""
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    if len(lines) < 2 or lines[0] != HEAD or lines[-1] != TAIL:
        return None
    body, rows = lines[1:-1], []
    for i, line in enumerate(body):
        if i < len(body) - 1:  # every line but the last ends with the comma
            if not line.endswith(b"},"):
                return None
            line = line[:-1]
        start = _START.match(line)
        if start is None or not line.endswith(b"}"):
            return None
        rows.append(Row(json.loads(start.group(1)), int(start.group(2)), line))
    return rows


def read_rows(folder: Path) -> list[Row]:
    """The rows of `folder`'s index ([] when there is none), lines kept as they are in
    this layout, entries parsed in any other.

    Raises:
        ValueError: the index is neither (the message names it, `read_index`).
    """
    try:
        data = (folder / INDEX).read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ValueError(f"Could not read the runs in {folder / INDEX}: {exc}") from None
    rows = rows_of(data)
    if rows is not None:
        return rows
    return [Row(entry_uid(e), e["number"], None, e) for e in read_index(folder)]


def index_bytes(rows: list[Row]) -> bytes:
    """The index holding `rows`, in their order."""
    if not rows:
        return HEAD + b"\n" + TAIL + b"\n"
    return b"\n".join([HEAD, b",\n".join(row.encoded() for row in rows), TAIL]) + b"\n"
