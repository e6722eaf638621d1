"""Synthetic training data: random inputs and labels shaped for the model and its losses."""

from __future__ import annotations

import copy

import numpy as np

from kerascanvas.graph.document import Document
from kerascanvas.graph.projectfile import from_dict, to_dict
from kerascanvas.graph.spec import INPUT
from kerascanvas.graph.training import model_outputs, resolve_training
from kerascanvas.graph.validate import Analysis, Issue

from .custom_code import carry_context
from .dataset import DataError, Dataset
from .label_forms import label_form, output_shapes

# The code of the refusal of an output whose shape the graph's own errors leave unknown.
UNSHAPED = "synthetic_unshaped"

DEFAULT_SYNTHETIC = 256
# Unknown (None) dimensions of an Input get this length in synthetic data.
SYNTHETIC_LENGTH = 8


def embedding_limit(doc: Document, input_id: str) -> int | None:
    """The smallest `input_dim` among Embedding layers fed directly by an Input."""
    dims = [doc.node(e.dst).spec.resolve(doc.node(e.dst).params)["input_dim"]
            for e in doc.out_edges(input_id) if doc.node(e.dst).kind == "Embedding"]
    return min(dims) if dims else None


def _unknown_input_dims(doc: Document) -> bool:
    return any(None in node.spec.resolve(node.params)["shape"]
               for node in doc.nodes.values() if node.kind == INPUT)


def concrete_doc(doc: Document) -> Document:
    """A copy of `doc` whose Input shapes have no unknown dimension."""
    copied = from_dict(copy.deepcopy(to_dict(doc)))
    for node in copied.nodes.values():
        if node.kind == INPUT:
            shape = node.spec.resolve(node.params)["shape"]
            node.params["shape"] = [SYNTHETIC_LENGTH if d is None else d for d in shape]
    carry_context(doc, copied)  # trusted custom layers answer for the new shapes
    return copied


def synthetic(doc: Document, n: int = DEFAULT_SYNTHETIC, seed: int | None = None,
              analysis: Analysis | None = None) -> Dataset:
    """Random inputs and labels that fit the model of `doc` and its losses (`analysis`:
    the document's, used when its Input shapes are all known).

    The labels and each Input are drawn from streams of their own, spawned from the seed:
    the data preview counts the labels and shows the first samples of an Input without
    drawing the rest (`synthetic_labels`, `synthetic_inputs`)."""
    doc, analysis = _with_known_inputs(doc, analysis)
    return Dataset(_inputs(doc, n, seed), synthetic_labels(doc, n, seed, analysis))


def synthetic_inputs(doc: Document, n: int, seed: int | None = None) -> dict[str, np.ndarray]:
    """The first `n` samples of each Input's synthetic data, as `synthetic` draws them for
    any larger count with the same seed (each Input's stream is drawn in sample order)."""
    return _inputs(_with_known_inputs(doc, None)[0], n, seed)


def synthetic_labels(doc: Document, n: int, seed: int | None = None,
                     analysis: Analysis | None = None) -> dict[str, np.ndarray]:
    """The labels of `synthetic(doc, n, seed)`, drawn without its inputs.

    Raises:
        DataError: an output whose shape is unknown (the graph has errors before it).
    """
    doc, analysis = _with_known_inputs(doc, analysis)
    rng = _streams(doc, seed)[0]
    losses = resolve_training(doc)["loss"]
    shapes = output_shapes(doc, analysis)
    y = {}
    for out in model_outputs(doc):
        name = out.name
        if name not in shapes:
            message = (f"Output {name!r}: its shape is unknown (the graph has an error "
                       "before it), so synthetic labels cannot be shaped for it")
            raise DataError(message, [Issue(out.id, None, "error", message, UNSHAPED)])
        y[name] = _random_labels(rng, label_form(losses[name], shapes[name][-1]), shapes[name], n)
    return y


def _with_known_inputs(doc: Document, analysis: Analysis | None):
    if _unknown_input_dims(doc):  # the copy's shapes differ: it is analysed itself
        return concrete_doc(doc), None
    return doc, analysis


def _streams(doc: Document, seed: int | None) -> list[np.random.Generator]:
    """The labels' generator, then one per Input, in the document's order."""
    count = 1 + sum(node.kind == INPUT for node in doc.nodes.values())
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(count)]


def _inputs(doc: Document, n: int, seed: int | None) -> dict[str, np.ndarray]:
    inputs = [node for node in doc.nodes.values() if node.kind == INPUT]
    streams = _streams(doc, seed)[1:]
    return {node.name: _random_input(rng, doc, node, n)
            for node, rng in zip(inputs, streams, strict=True)}


def np_dtype(name: str) -> np.dtype:
    """The numpy dtype for a Keras dtype name (numpy has no bfloat16: float32 stands in)."""
    return np.dtype("float32" if name == "bfloat16" else name)


def _random_input(rng, doc: Document, node, n: int) -> np.ndarray:
    resolved = node.spec.resolve(node.params)
    shape, dtype = (n, *resolved["shape"]), np_dtype(resolved["dtype"])
    limit = embedding_limit(doc, node.id)
    if limit is not None or dtype.kind in "iu":
        return rng.integers(0, limit or 10, size=shape).astype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    return rng.standard_normal(shape).astype(dtype)


def _random_labels(rng, form: str, out_shape: tuple, n: int) -> np.ndarray:
    shape = (n, *out_shape[1:])
    if form == "sparse":
        return rng.integers(0, out_shape[-1], size=shape[:-1]).astype("int64")
    if form == "onehot":
        ids = rng.integers(0, out_shape[-1], size=shape[:-1])
        return np.eye(out_shape[-1], dtype="float32")[ids]
    if form == "binary":
        return (rng.random(shape) < 0.5).astype("float32")
    return rng.standard_normal(shape).astype("float32")
