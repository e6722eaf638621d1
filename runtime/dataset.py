"""The Dataset a data source gives, DataError, what a source that cannot be read raises, and
the model's one Input and output that a source of one input and one target feeds."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np

from kerascanvas.graph.document import Document
from kerascanvas.graph.errors import KerasCanvasError
from kerascanvas.graph.spec import INPUT
from kerascanvas.graph.training import model_outputs

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
    # Where a training array was read, by input or output name, for the data check's
    # messages: {"species": "column 'species' of iris.csv"}.
    origins: dict[str, str] = field(default_factory=dict)
    # What the data check warns of without refusing (an input far from unit scale).
    notes: list[str] = field(default_factory=list)

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


def single_pair(doc: Document, source: str) -> tuple:
    """(Input node, model output) of a model with one of each, which `source` feeds."""
    inputs = [n for n in doc.nodes.values() if n.kind == INPUT]
    if len(inputs) != 1 or len(doc.outputs) != 1:
        raise DataError(f"{source} gives one input and one target, so the model needs one "
                        f"Input and one output. Received: {len(inputs)} input(s), "
                        f"{len(doc.outputs)} output(s)")
    return inputs[0], model_outputs(doc)[0]
