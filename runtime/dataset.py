"""The Dataset a data source gives, and DataError, what a source that cannot be read raises."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np

from kerascanvas.graph.errors import KerasCanvasError

from . import datafiles


class DataError(KerasCanvasError):
    """A data source could not be read or does not fit the model.

    `issues` holds the mismatches (graph.validate.Issue records, each naming its node)
    when the data was read but does not fit.
    """

    def __init__(self, message: str, issues=()):
        super().__init__(message)
        self.issues = list(issues)


@dataclass
class Dataset:
    """Arrays keyed by Input node name (`x`) and output node name (`y`)."""

    x: dict[str, np.ndarray]
    y: dict[str, np.ndarray]
    x_val: dict[str, np.ndarray] | None = None
    y_val: dict[str, np.ndarray] | None = None
    num_classes: dict[str, int] = field(default_factory=dict)
    source: str = ""

    @property
    def num_samples(self) -> int:
        first = next(iter(self.x.values()), None)
        return 0 if first is None else len(first)

    @property
    def has_validation(self) -> bool:
        return bool(self.x_val) and bool(self.y_val)


@contextlib.contextmanager
def checked_header():
    """Turn a refusal of `runtime.datafiles` into a DataError."""
    try:
        yield
    except datafiles.DataFileError as exc:
        raise DataError(str(exc)) from None

