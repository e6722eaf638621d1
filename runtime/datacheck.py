"""Whether training data fits the model: sample counts, every Input's shape, dtype and
(for Embedding inputs) value range, and every output's labels against its loss. Each
problem is an `Issue` naming its Input or output node; labels with a plain answer carry
a fix (`graph.data_fixes`)."""

from __future__ import annotations

import numpy as np

from kerascanvas.graph import training_code
from kerascanvas.graph.data_fixes import recurrent_source, return_sequences
from kerascanvas.graph.document import Document
from kerascanvas.graph.shapes import fmt
from kerascanvas.graph.spec import INPUT
from kerascanvas.graph.training import model_outputs, resolve_training
from kerascanvas.graph.validate import Analysis, Issue, analyze

from .dataset import Dataset
from .input_scale import scale_issue
from .label_forms import label_form, loss_name, output_shapes
from .synthetic import embedding_limit, np_dtype


def check_data(doc: Document, data: Dataset, analysis: Analysis | None = None,
               part: str = "training") -> list[Issue]:
    """Issues where `data` does not fit the model of `doc`, each naming its Input or output.

    Checks sample counts, every Input's shape, dtype and (for Embedding inputs) value
    range, and every output's labels against its loss: shape, and class ids within
    the output's units.
    """
    losses = resolve_training(doc)["loss"]
    custom_losses = training_code.defined(training_code.source(doc.training))
    analysis = analysis if analysis is not None else analyze(doc)
    shapes = output_shapes(doc, analysis)
    issues = _check_counts(data)
    recurrent = {out.name: _recurrent(doc, out, analysis.results) for out in model_outputs(doc)}
    dense = {out.name: _dense_input(doc, out, analysis.results) for out in model_outputs(doc)}
    parts = [(part, data.x, data.y)]  # "test" for the test data: its arrays named so
    if data.x_val is not None:
        parts.append(("validation", data.x_val, data.y_val or {}))
    for part, xs, ys in parts:
        for node in doc.nodes.values():
            if node.kind == INPUT:
                found = _check_input(doc, node, xs, part, _origin(data, part, node.name))
                if not found and part == "training":  # fits: is it at a trainable scale?
                    found = [i for i in [scale_issue(doc, node, xs[node.name],
                                                     _origin(data, part, node.name))] if i]
                issues += found
        for out in model_outputs(doc):
            # A loss of the custom code: the labels' form is the user's to choose.
            custom = training_code.reference_name(losses[out.name]) in custom_losses
            shape = None if custom else shapes.get(out.name)
            issues += _check_labels(out, ys, losses[out.name], shape, part,
                                    fixable_labels(doc, out), recurrent[out.name],
                                    dense[out.name], _origin(data, part, out.name))
    return issues


def _origin(data: Dataset, part: str, name: str) -> str:
    """" (column 'species' of t.csv)": where the training array of `name` was read, when
    its source says so (`Dataset.origins`)."""
    origin = data.origins.get(name) if part != "validation" else None
    return f" ({origin})" if origin else ""


def _issue(node, message: str, code: str, fixes: tuple[str, ...] = (),
           data: dict | None = None) -> Issue:
    """An error on `node`; an insert fix acts on its first input port, so the issue is there."""
    port = 0 if any(f.startswith("insert_") for f in fixes) else None
    return Issue(node.id if node is not None else None, port, "error", message, code, fixes,
                 data)


def _check_counts(data: Dataset) -> list[Issue]:
    issues = []
    for part, arrays in (("training", {**data.x, **data.y}),
                         ("validation", {**(data.x_val or {}), **(data.y_val or {})})):
        counts = {name: len(a) for name, a in arrays.items()}
        if len(set(counts.values())) > 1:
            listed = ", ".join(f"{k}: {v}" for k, v in counts.items())
            issues.append(_issue(None, f"Every {part} array needs the same number of "
                                       f"samples. Received: {listed}", "data_count"))
    return issues


def check_split(data, split) -> list[Issue]:
    """The training data's issue with a validation split that holds out every sample,
    which Keras' fit refuses too (test data is not split: its caller skips this)."""
    from .fitplan import split_point

    if not isinstance(data, Dataset):
        return []  # an image folder splits by its own rule
    samples = data.num_samples
    if data.has_validation or not isinstance(split, int | float) or split <= 0 \
            or not samples or split_point(samples, split) > 0:
        return []
    return [_issue(None, "training.validation_split: expected a split that leaves at least "
                         f"one of the {samples} sample(s) to train on (at most "
                         f"{1 - 1 / samples:.4g}; 0 for no validation). Received: {split}",
                   "data_split")]


def _same_shape(expected: tuple, got: tuple) -> bool:
    if len(expected) != len(got):
        return False
    return all(e is None or e == g for e, g in zip(expected, got, strict=True))


def _value_range(arr: np.ndarray) -> str:
    return f"[{arr.min()}, {arr.max()}]" if arr.size else "(none)"


def _integral(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "iub" or bool(np.all(np.mod(arr, 1) == 0))


def _check_input(doc: Document, node, xs: dict, part: str, origin: str = "") -> list[Issue]:
    arr = xs.get(node.name)
    if arr is None:
        return [_issue(node, f"The {part} data has no array for input {node.name!r}. "
                             f"Arrays: {', '.join(sorted(xs)) or '(none)'}", "data_missing")]
    resolved = node.spec.resolve(node.params)
    expected, got = tuple(resolved["shape"]), tuple(arr.shape[1:])
    if not _same_shape(expected, got):
        return [_issue(node, f"Input {node.name!r} expects samples of shape {fmt(expected)}, "
                             f"but the {part} array{origin} has samples of shape {fmt(got)} "
                             f"(array shape {fmt(arr.shape)})", "data_shape",
                       ("set_input_to_data",) if got else (),
                       {"dims": ",".join(map(str, got))} if got else None)]
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        return [_issue(node, f"The {part} array{origin} for input {node.name!r} holds NaN or "
                             f"infinite values", "data_nan")]
    if np_dtype(resolved["dtype"]).kind in "iu" and not _integral(arr):
        return [_issue(node, f"Input {node.name!r} has dtype {resolved['dtype']}, but the "
                             f"{part} array{origin} holds fractional values ({arr.dtype})",
                       "data_dtype")]
    limit = embedding_limit(doc, node.id)
    if limit is not None and arr.size and (not _integral(arr) or arr.min() < 0
                                           or arr.max() >= limit):
        ids = _integral(arr) and arr.min() >= 0  # ids beyond the vocabulary: widen it
        return [_issue(node, f"Input {node.name!r} feeds an Embedding with input_dim={limit}, "
                             f"so its values must be integers in [0, {limit}). The {part} "
                             f"array{origin} holds values in {_value_range(arr)}", "data_range",
                       ("set_input_dim_to_data",) if ids else (),
                       {"input_dim": int(arr.max()) + 1} if ids else None)]
    return []


def fixable_labels(doc: Document, out) -> frozenset[str]:
    """The label fixes that can apply to output `out`: its node's first port, and for
    the units, a node with a `units` param."""
    if out.port != 0:
        return frozenset()
    sized = any(p.name == "units" for p in doc.nodes[out.id].spec.params)
    return frozenset({"use_categorical_loss", "use_sparse_loss", "use_regression_loss",
                      *(("set_units_to_labels",) if sized else ())})


def _recurrent(doc: Document, out, results) -> tuple | None:
    """(node id, name, input steps, return_sequences) of the recurrent layer that feeds
    output `out` through rank-keeping layers (`data_fixes.recurrent_source`), or None."""
    found = recurrent_source(doc, out.id, results) if out.port == 0 else None
    if found is None:
        return None
    node_id, steps = found
    return node_id, doc.nodes[node_id].name, steps, return_sequences(doc, node_id)


def _dense_input(doc: Document, out, results) -> tuple[str, tuple] | None:
    """(name, input shape) of output `out` when it is a Dense fed a tensor of rank 3 or
    more: Dense acts on the last axis only, so the other axes reach the output."""
    node, result = doc.nodes[out.id], results.get(out.id)
    if out.port or node.kind != "Dense" or result is None or not result.input_shapes:
        return None
    shape = result.input_shapes[0]
    return (node.name, shape) if shape is not None and len(shape) >= 3 else None


def _flatten_fix(out: tuple, got: tuple, sparse: bool, dense) -> tuple[tuple, dict, str]:
    """(fixes, data, advice) when the labels fit the output once the Dense's input is
    flattened or pooled to a vector: image features fed straight to the classifier."""
    if dense is None or not _takes((out[0], out[-1]), got, sparse):
        return (), {}, ""
    name, shape = dense
    pool = {3: ("insert_gap1d",), 4: ("insert_gap2d",)}.get(len(shape), ())
    return ("insert_flatten", *pool), {}, (
        f". {name!r} (Dense) receives {fmt(shape)} and acts on its last axis only, so the "
        "other axes reach the output: flatten or pool its input first")


def _label_fix(out: tuple, got: tuple, sparse: bool, source, dense) -> tuple[tuple, dict, str]:
    """The recurrent layer's switch if it fits the labels, else a Flatten or pooling."""
    found = _time_axis_fix(out, got, sparse, source)
    return found if found[0] else _flatten_fix(out, got, sparse, dense)


def _takes(shape: tuple, got: tuple, sparse: bool) -> bool:
    """Whether an output of `shape` takes labels of shape `got` per sample."""
    if sparse:
        ids = tuple(shape[1:-1])
        return _same_shape(ids, got) or _same_shape((*ids, 1), got)
    return _same_shape(tuple(shape[1:]), got) or \
        (shape[-1] == 1 and _same_shape(tuple(shape[1:-1]), got))


def _time_axis_fix(out: tuple, got: tuple, sparse: bool, source) -> tuple[tuple, dict, str]:
    """(fixes, data, advice) when switching `return_sequences` on the recurrent layer
    `source` gives the output the labels' shape: an LSTM left returning every step
    before the classifier, or labels per step with an LSTM returning its last."""
    if source is None:
        return (), {}, ""
    node_id, name, steps, on = source
    if on:
        new, advice = (out[0], *out[2:]), (
            f". The time axis comes from {name!r}, which returns every step "
            f"(return_sequences=True)")
    elif steps is not None:
        new, advice = (out[0], steps, *out[1:]), (
            f". These labels have one per time step, and {name!r} returns its last step "
            f"only (return_sequences=False)")
    else:
        return (), {}, ""
    if not _takes(new, got, sparse):
        return (), {}, ""
    code = "return_sequences_off" if on else "return_sequences_on"
    return (code,), {"layer": node_id}, advice


def _check_labels(node, ys: dict, loss, out: tuple | None, part: str,
                  fixable: frozenset[str] = frozenset(), source=None,
                  dense=None, origin: str = "") -> list[Issue]:
    labels = ys.get(node.name)
    if labels is None:
        return [_issue(node, f"The {part} data has no labels for output {node.name!r}. "
                             f"Arrays: {', '.join(sorted(ys)) or '(none)'}", "data_missing")]
    if out is None:
        return []  # the graph's own issues say why the output has no shape
    form = label_form(loss, out[-1])
    loss = loss_name(loss)
    got = tuple(labels.shape[1:])
    ids_shape = tuple(out[1:-1])
    if form == "sparse" or (form == "onehot" and _same_shape(ids_shape, got)):
        return _check_class_ids(node, labels, loss, out, part, fixable, source, dense,
                                origin)
    if not _takes(out, got, sparse=False):
        want = "one-hot rows" if form == "onehot" else "labels"
        fixes, data, advice = _label_fix(out, got, False, source, dense)
        if not fixes:
            fixes, data, advice = _form_fix(out, labels, form, fixable)
        return [_issue(node, f"Output {node.name!r} gives shape {fmt(out)}, so {loss} needs "
                             f"{want} of shape {fmt(out[1:])} per sample. The {part} "
                             f"labels{origin} have shape {fmt(got)} per sample{advice}",
                       "label_shape", fixes, data)]
    if form == "binary" and labels.size and (labels.min() < 0 or labels.max() > 1):
        return [_issue(node, f"{loss} on output {node.name!r} needs labels in [0, 1]. "
                             f"The {part} labels{origin} hold values in {_value_range(labels)}",
                       "label_range")]
    return []


def _form_fix(out: tuple, labels: np.ndarray, form: str,
              fixable: frozenset[str]) -> tuple[tuple, dict, str]:
    """(fixes, data, advice) for labels of a plain other form than the output gives:

    * class ids under binary cross-entropy on an output of several units (Dense(2) with
      softmax, labels 0/1): sparse categorical cross-entropy, which takes them;
    * regression or 0/1 labels of another size than the output's last axis (3 targets,
      Dense(1)), or one-hot rows of another number of classes than its units under
      categorical cross-entropy: the units of the labels' size.
    """
    got = tuple(labels.shape[1:])
    units = out[-1]
    if form == "binary" and "use_sparse_loss" in fixable and units and units >= 2 and \
            _takes(out, got, sparse=True) and labels.size and _integral(labels) and \
            labels.min() >= 0 and labels.max() < units:
        return ("use_sparse_loss",), {}, (
            f". These are class ids, which sparse_categorical_crossentropy takes over the "
            f"{units} units")
    fits = "set_units_to_labels" in fixable and len(got) == len(out) - 1 and got and \
        _same_shape(tuple(out[1:-1]), got[:-1])
    if form in ("binary", "regression") and fits:
        return ("set_units_to_label_size",), {"units": int(got[-1])}, (
            f"; the output needs {got[-1]} units for these labels")
    if form == "onehot" and fits and labels.size and _one_hot(labels):
        return ("set_units_to_label_size",), {"units": int(got[-1])}, (
            f": one-hot rows of {got[-1]} classes, which need {got[-1]} units")
    return (), {}, ""


def _check_class_ids(node, labels: np.ndarray, loss, out: tuple, part: str,
                     fixable: frozenset[str], source=None, dense=None,
                     origin: str = "") -> list[Issue]:
    got, ids_shape = tuple(labels.shape[1:]), tuple(out[1:-1])
    if not _takes(out, got, sparse=True):
        onehot = "use_categorical_loss" in fixable and \
            _same_shape((*ids_shape, out[-1]), got) and _one_hot(labels)
        fixes, data, advice = _label_fix(out, got, True, source, dense)
        return [_issue(node, f"Output {node.name!r} gives shape {fmt(out)}, so {loss} needs "
                             f"class ids of shape {fmt(ids_shape)} per sample. The {part} "
                             f"labels{origin} have shape {fmt(got)} per sample"
                             + (" (one-hot rows, which categorical_crossentropy takes)"
                                if onehot else advice), "label_shape",
                       ("use_categorical_loss",) if onehot else fixes, {} if onehot else data)]
    units = out[-1]
    if not _integral(labels):
        # one unit and fractional labels: numbers to predict, not classes
        numbers = units == 1 and "use_regression_loss" in fixable
        return [_issue(node, f"{loss} on output {node.name!r} needs integer class ids. The "
                             f"{part} labels{origin} are fractional ({labels.dtype})"
                             + ("; on one unit they read as values to predict, which a "
                                "regression loss trains on" if numbers else ""),
                       "label_dtype", ("use_regression_loss",) if numbers else ())]
    if units is None or not labels.size or (labels.min() >= 0 and labels.max() < units):
        return []
    classes, needed = len(np.unique(labels)), int(labels.max()) + 1
    if labels.min() < 0:
        advice, data = "; class ids start at 0", {}
    else:  # `needed` units take these ids: the fix sets them
        advice, data = (f". One unit suits binary_crossentropy with a sigmoid; these labels "
                        f"need Dense({needed}) with softmax" if units == 1 else
                        f"; the output needs {needed} units for these labels"), {"units": needed}
        if labels.min() == 1 and needed == units + 1:  # counted from 1, as people count
            advice += (f" (class 0 then gets a unit no sample teaches), or the labels "
                       f"counted from 0 (each id - 1) fit the {units} units")
    fixes = ("set_units_to_labels",) if "set_units_to_labels" in fixable and data else ()
    return [_issue(node, f"Output {node.name!r} has {units} unit(s), so {loss} needs class "
                         f"ids in [0, {units}). The {part} labels{origin} hold {classes} classes, "
                         f"values in {_value_range(labels)}{advice}", "label_range", fixes,
                   data)]


def _one_hot(labels: np.ndarray) -> bool:
    """Rows of 0s and one 1 each (one-hot class labels)."""
    return bool(labels.size) and bool(np.isin(labels, (0, 1)).all()) and \
        bool(np.all(labels.sum(axis=-1) == 1))
