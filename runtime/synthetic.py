"""Synthetic training data: random inputs and labels shaped for the model and its losses."""

from __future__ import annotations

import copy

import numpy as np

from kerascanvas.graph.document import Document
from kerascanvas.graph.projectfile import from_dict, to_dict
from kerascanvas.graph.spec import INPUT
from kerascanvas.graph.training import output_names, resolve_training
from kerascanvas.graph.validate import Analysis

from .custom_code import carry_context
from .dataset import Dataset
from .label_forms import label_form, output_shapes

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
    the document's, used when its Input shapes are all known)."""
    rng = np.random.default_rng(seed)
    if _unknown_input_dims(doc):  # the copy's shapes differ: it is analysed itself
        doc, analysis = concrete_doc(doc), None
    x = {}
    for node in doc.nodes.values():
        if node.kind == INPUT:
            x[node.name] = _random_input(rng, doc, node, n)
    losses = resolve_training(doc)["loss"]
    shapes = output_shapes(doc, analysis)
    y = {}
    for name in output_names(doc):
        y[name] = _random_labels(rng, label_form(losses[name], shapes[name][-1]), shapes[name], n)
    return Dataset(x, y)


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
