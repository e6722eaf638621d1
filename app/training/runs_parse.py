"""A project's runs index parsed into arrays, in a child process (no Qt here).

`json` holds the interpreter lock for the whole parse of a file, so a large runs
index parsed in a thread of the window still froze it for as long. `parse_index`
runs in a child process (see `runs_reader`) and returns the index's entries with
each curve as a pair of float64 arrays, which come back pickled in milliseconds.
"""

from __future__ import annotations

import numpy as np

from ...runtime import run_record


def parse_index(folder: str) -> list[dict]:
    """`run_record.read_index(folder)`, each stored curve as (x, y) float64 arrays.

    Raises:
        ValueError: the index exists but is not a runs index (the message names it).
    """
    entries = run_record.read_index(folder)
    for entry in entries:
        curves = entry.get("curves")
        if not isinstance(curves, dict):
            continue
        for name in ("batch_loss", "lr"):
            if name in curves:
                curves[name] = as_arrays(curves[name])
        epochs = curves.get("epochs")
        if isinstance(epochs, dict):
            for name in epochs:
                epochs[name] = as_arrays(epochs[name])
    return entries


def as_arrays(pair):
    """The (x, y) float64 arrays of a stored [x values, y values] pair (null is NaN); the
    pair itself when it is not one, so that the record's reader reports it."""
    try:
        x, y = pair
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        return pair
