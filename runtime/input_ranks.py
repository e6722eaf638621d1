"""Input arrays one trailing axis of size 1 away from their Input's shape, taken as Keras
takes them.

A Keras functional model adds or drops a last axis of size 1 when an input array's rank
differs from its Input's by one (`Functional._adjust_input_rank`): grey images
`(n, 28, 28)` feed `Input(shape=(28, 28, 1))`, and a column `(n, 4, 1)` feeds
`Input(shape=(4,))`. A run gives the arrays that shape when it reads them, so the data
check, the device-resident feed and the executor all see what the model's Input
declares, and a source Keras' own `fit` takes is not refused; the executor's forward
pass does the same to batches fed by hand, as `fit` with Keras' own step would.

>>> import numpy as np
>>> keras_rank((28, 28, 1), np.zeros((5, 28, 28))).shape
(5, 28, 28, 1)
>>> keras_rank((4,), np.zeros((5, 4, 1))).shape
(5, 4)
>>> keras_rank((28, 28, 3), np.zeros((5, 28, 28))).shape  # no size-1 axis: left as it is
(5, 28, 28)
"""

from __future__ import annotations

import numpy as np

from kerascanvas.graph.document import Document
from kerascanvas.graph.spec import INPUT

from .dataset import Dataset


def keras_rank(expected: tuple, arr):
    """`arr` (batch first; a numpy array or a torch tensor) with a last axis of 1 added or
    dropped where Keras would, to the rank of an Input of sample shape `expected`; else
    `arr` itself. The executor's direct forward pass applies it to each batch."""
    if arr.ndim == len(expected) + 2 and arr.shape[-1] == 1:
        return arr.reshape(arr.shape[:-1])
    if arr.ndim == len(expected) and expected and expected[-1] == 1:
        return arr.reshape(*arr.shape, 1)
    return arr


def adapt_input_ranks(doc: Document, data: Dataset) -> Dataset:
    """`data` with each Input's training and validation arrays given its rank by
    `keras_rank` (views, no copies)."""
    for node in doc.nodes.values():
        if node.kind != INPUT:
            continue
        try:
            expected = tuple(node.spec.resolve(node.params)["shape"])
        except (TypeError, ValueError, KeyError):
            continue  # a malformed shape: the analysis reports it, and check_data
        for part in (data.x, data.x_val or {}):
            if isinstance(part.get(node.name), np.ndarray):
                part[node.name] = keras_rank(expected, part[node.name])
    return data
