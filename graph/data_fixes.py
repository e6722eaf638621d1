"""One-click fixes for data that does not fit its output, found when a run loads the data.

A run refuses labels that the output cannot take (`runtime.data.check_data`,
`runtime.sources.check_images`). Two of those mistakes have a plain answer in the
graph or the settings:

    set_units_to_labels   class ids beyond the output's units (Dense(1) under sparse
                          cross-entropy with 10 classes), or an image folder with more
                          classes than units: the units the ids need
    use_categorical_loss  one-hot label rows under a sparse loss: categorical
                          cross-entropy, which takes them

The runtime puts the units the labels need in the issue's data ("units"), where the
fix reads them. Pure.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from . import commands as cmd
from .document import Document, output_entry
from .errors import DocumentError
from .spec import get_spec
from .training import output_name, output_names


def has_units(doc: Document, node_id: str) -> bool:
    node = doc.nodes.get(node_id)
    return node is not None and any(p.name == "units" for p in get_spec(node.kind).params)


def set_units_to_labels(doc: Document, issue, stack: cmd.UndoStack) -> None:
    """Give the output layer as many units as the class ids need."""
    units = issue.data.get("units")
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise DocumentError(f"the issue does not say how many units the labels need "
                            f"(its data: {dict(issue.data)})")
    if not has_units(doc, issue.node):
        raise DocumentError(f"node {issue.node!r} has no units to set")
    stack.push(cmd.SetParam(doc, issue.node, "units", units))


def use_categorical_loss(doc: Document, issue, stack: cmd.UndoStack) -> None:
    """Train the output with categorical cross-entropy, which takes one-hot rows."""
    name = output_name(doc, output_entry(issue.node, 0))
    training = copy.deepcopy(doc.training or {})
    loss = training.get("loss")
    per = dict(loss) if isinstance(loss, dict) else \
        {n: copy.deepcopy(loss) for n in output_names(doc)} if loss is not None else {}
    per[name] = "categorical_crossentropy"
    training["loss"] = per
    stack.push(cmd.SetTraining(doc, training))


DATA_FIXES: dict[str, Callable] = {
    "set_units_to_labels": set_units_to_labels,
    "use_categorical_loss": use_categorical_loss,
}
DATA_LABELS = {
    "set_units_to_labels": "Set units to the number of classes",
    "use_categorical_loss": "Use categorical_crossentropy",
}
