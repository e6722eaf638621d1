"""One-click fixes for data that does not fit its output, found when a run loads the data.

A run refuses labels that the output cannot take (`runtime.data.check_data`,
`runtime.sources.check_images`). Two of those mistakes have a plain answer in the
graph or the settings:

    set_units_to_labels   class ids beyond the output's units (Dense(1) under sparse
                          cross-entropy with 10 classes), or an image folder with more
                          classes than units: the units the ids need
    use_categorical_loss  one-hot label rows under a sparse loss: categorical
                          cross-entropy, which takes them
    use_sparse_loss       class ids under binary cross-entropy on an output of several
                          units (Dense(2) with softmax, labels 0/1): sparse categorical
                          cross-entropy
    use_regression_loss   fractional labels under a class loss on one unit (a value to
                          predict trained as classes): mean squared error
    set_units_to_label_size  regression (or 0/1) labels of another size than the output
                          (3 targets, Dense(1)): the units of their size
    return_sequences_off  an output with a time axis the labels lack (an LSTM left with
                          return_sequences=True before the classifier): switch it off
    return_sequences_on   labels per time step, an output with none: switch it on
    set_input_to_images   an image folder and an Input of three dimensions that cannot
                          take its images (an unknown height, 2 channels): the Input
                          keeps what it knows and takes the rest from the first image
    set_input_dim_to_data  token ids beyond an Embedding's vocabulary: its input_dim set
                          to the largest id + 1
    set_input_to_data     an input array whose samples have another shape than its Input
                          (flat (784,) for (28, 28) images): the Input takes the data's
    shuffle_before_split  a validation split of data sorted by its labels (its last rows,
                          which Keras holds out, are one class): the samples in a seeded
                          order before the split (a warning, `runtime.split_check`)

The runtime puts what the fix needs in the issue's data ("units"; "layer", the node id
of the recurrent layer), where the fix reads it (`recurrent_source` finds that layer).
Pure.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping

from . import commands as cmd
from .document import Document, output_entry
from .errors import DocumentError
from .recurrent_chain import recurrent_source, return_sequences  # noqa: F401 - public here too
from .spec import INPUT, get_spec
from .training import one_loss, output_name, output_names


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


def set_output_loss(doc: Document, node_id: str, loss, stack: cmd.UndoStack) -> None:
    """Train the output `node_id` with `loss` (a name, or a dict with "name" and options);
    the other outputs keep theirs, a loss with options for every output included."""
    name = output_name(doc, output_entry(node_id, 0))
    training = copy.deepcopy(doc.training or {})
    old = training.get("loss")
    names = output_names(doc)
    per = dict(old) if isinstance(old, dict) and not one_loss(old, names, "loss") else \
        {n: copy.deepcopy(old) for n in names} if old is not None else {}
    per[name] = loss
    training["loss"] = per
    stack.push(cmd.SetTraining(doc, training))


def use_categorical_loss(doc: Document, issue, stack: cmd.UndoStack) -> None:
    """Train the output with categorical cross-entropy, which takes one-hot rows."""
    set_output_loss(doc, issue.node, "categorical_crossentropy", stack)


def use_sparse_loss(doc: Document, issue, stack: cmd.UndoStack) -> None:
    """Train the output with sparse categorical cross-entropy, which takes class ids."""
    set_output_loss(doc, issue.node, "sparse_categorical_crossentropy", stack)


def use_regression_loss(doc: Document, issue, stack: cmd.UndoStack) -> None:
    """Train the output with mean squared error: its labels are values to predict."""
    set_output_loss(doc, issue.node, "mean_squared_error", stack)


def _set_return_sequences(value: bool):
    def fix(doc: Document, issue, stack: cmd.UndoStack) -> None:
        node_id = issue.data.get("layer")
        if not isinstance(node_id, str) or return_sequences(doc, node_id) is None:
            raise DocumentError(f"the issue names no recurrent layer to change "
                                f"(its data: {dict(issue.data)})")
        node = doc.node(node_id)
        layer = node.params.get("layer")
        if isinstance(layer, Mapping):  # a Bidirectional: its inner layer's switch
            inner = copy.deepcopy(dict(layer))
            inner["params"] = {**inner.get("params", {}), "return_sequences": value}
            stack.push(cmd.SetParam(doc, node_id, "layer", inner))
        else:
            stack.push(cmd.SetParam(doc, node_id, "return_sequences", value))
    fix.__doc__ = f"Set return_sequences={value} on the recurrent layer the issue names."
    return fix


def set_input_to_images(doc: Document, issue, stack: cmd.UndoStack) -> None:
    """Give the Input the (height, width, channels) the issue read from the images."""
    shape = [issue.data.get(k) for k in ("height", "width", "channels")]
    if not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape):
        raise DocumentError(f"the issue does not say what shape the images take "
                            f"(its data: {dict(issue.data)})")
    node = doc.nodes.get(issue.node)
    if node is None or node.kind != INPUT:
        raise DocumentError(f"node {issue.node!r} is not an Input")
    stack.push(cmd.SetParam(doc, issue.node, "shape", shape))


def set_input_dim_to_data(doc: Document, issue, stack: cmd.UndoStack) -> None:
    """Give each Embedding the Input feeds directly, whose vocabulary is smaller than the
    ids need, the issue's `input_dim` (the largest id + 1)."""
    need = issue.data.get("input_dim")
    if isinstance(need, bool) or not isinstance(need, int) or need < 1 or \
            issue.node not in doc.nodes:
        raise DocumentError(f"the issue names no Input and vocabulary size (node "
                            f"{issue.node!r}, data: {dict(issue.data)})")
    small = [e.dst for e in doc.out_edges(issue.node) if doc.nodes[e.dst].kind == "Embedding"
             and _int_below(doc.nodes[e.dst].params.get("input_dim"), need)]
    if not small:
        raise DocumentError(f"no Embedding fed by {doc.nodes[issue.node].name!r} has an "
                            f"input_dim below {need}")
    for node_id in dict.fromkeys(small):
        stack.push(cmd.SetParam(doc, node_id, "input_dim", need))


def _int_below(value, limit: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value < limit


def input_dim_label(issue) -> str | None:
    """"Set the Embedding's input_dim to 1000 (the largest id + 1)"; None if unknown."""
    need = issue.data.get("input_dim") if issue is not None else None
    return f"Set the Embedding's input_dim to {need} (the largest id + 1)" \
        if isinstance(need, int) else None


def data_dims(issue) -> list[int] | None:
    """The sample shape the issue's data reads from the input array ("28,28"), or None."""
    text = issue.data.get("dims") if issue is not None else None
    try:
        dims = [int(d) for d in str(text).split(",")]
    except ValueError:
        return None
    return dims if text and all(d > 0 for d in dims) else None


def set_input_to_data(doc: Document, issue, stack: cmd.UndoStack) -> None:
    """Give the Input the sample shape of its data array (the issue's "dims")."""
    dims = data_dims(issue)
    node = doc.nodes.get(issue.node)
    if dims is None or node is None or node.kind != INPUT:
        raise DocumentError(f"the issue names no Input and data shape to give it (node "
                            f"{issue.node!r}, data: {dict(issue.data)})")
    stack.push(cmd.SetParam(doc, issue.node, "shape", dims))


def input_to_data_label(issue) -> str | None:
    """"Make the Input (28, 28), as its data": the data's sample shape; None if unknown."""
    dims = data_dims(issue)
    return f"Make the Input {tuple(dims)}, as its data" if dims else None


def shuffle_before_split(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Hold out the validation split from the samples in a seeded order (the training
    setting `shuffle_before_split`): the data's last rows are one class."""
    stack.push(cmd.SetTraining(doc, {**(doc.training or {}), "shuffle_before_split": True}))
    return []


DATA_FIXES: dict[str, Callable] = {
    "set_units_to_labels": set_units_to_labels,
    "use_categorical_loss": use_categorical_loss,
    "use_sparse_loss": use_sparse_loss,
    "use_regression_loss": use_regression_loss,
    "set_units_to_label_size": set_units_to_labels,
    "return_sequences_off": _set_return_sequences(False),
    "return_sequences_on": _set_return_sequences(True),
    "set_input_to_images": set_input_to_images,
    "set_input_to_data": set_input_to_data,
    "set_input_dim_to_data": set_input_dim_to_data,
    "shuffle_before_split": shuffle_before_split,
}
DATA_LABELS = {
    "set_units_to_labels": "Set units to the number of classes",
    "use_categorical_loss": "Use categorical_crossentropy",
    "use_sparse_loss": "Use sparse_categorical_crossentropy",
    "use_regression_loss": "Use mean_squared_error",
    "set_units_to_label_size": "Set units to the labels' size",
    "return_sequences_off": "Turn off return_sequences",
    "return_sequences_on": "Turn on return_sequences",
    "set_input_to_images": "Shape the Input for the images",
    "set_input_to_data": "Set the Input's shape to the data's",
    "set_input_dim_to_data": "Set the Embedding's input_dim to the ids' range",
    "shuffle_before_split": "Shuffle the samples before the validation split",
}
