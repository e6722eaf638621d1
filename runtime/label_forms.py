"""The labels each model output expects: their form (by its loss), the output shapes, and
class ids made one-hot where the loss wants rows."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from kerascanvas.graph import loss_names, validate
from kerascanvas.graph.document import Document
from kerascanvas.graph.training import model_outputs, output_names, resolve_training
from kerascanvas.graph.validate import Analysis

from .dataset import Dataset


def adapt_labels(doc: Document, data: Dataset, analysis: Analysis | None = None) -> Dataset:
    """Count classes, and one-hot class ids for outputs trained with categorical CE."""
    losses = resolve_training(doc)["loss"]
    shapes = output_shapes(doc, analysis)
    for name in output_names(doc):
        for part in (data.y, data.y_val or {}):
            labels = part.get(name)
            if labels is None or not _is_class_ids(labels):
                continue
            data.num_classes.setdefault(name, int(labels.max()) + 1 if labels.size else 0)
            out = shapes.get(name)
            fits = out and labels.ndim == len(out) - 1 and labels.max(initial=0) < out[-1]
            if fits and label_form(losses[name], out[-1]) == "onehot":
                part[name] = np.eye(out[-1], dtype="float32")[labels.astype("int64")]
    return data


def _is_class_ids(labels: np.ndarray) -> bool:
    return labels.dtype.kind in "iu" and (labels.size == 0 or labels.min() >= 0)


def loss_name(loss) -> str:
    """The name of a loss setting: "mse", or the "name" of `{"name": "focal_loss", ...}`."""
    if isinstance(loss, Mapping):
        return str(loss.get("name", ""))
    return loss if isinstance(loss, str) else str(loss)


def label_form(loss, units: int | None = None) -> str:
    """What labels a loss expects: "sparse" ids, "onehot" rows, "binary" 0/1, "regression".

    Args:
        loss: a loss name or `{"name": ..., **options}`.
        units: the output's last dimension, where known. Our focal loss reads a
            one-unit output as binary and several units as classes; it takes ids
            or one-hot rows, and class ids are made one-hot like categorical CE's.

    >>> label_form("focal_loss", 1), label_form({"name": "focal_loss"}, 5)
    ('binary', 'onehot')
    """
    name = loss_names.canonical(loss) or loss_name(loss)
    if name == "focal_loss":
        return "binary" if units == 1 else "onehot"
    if name.startswith("sparse_categorical"):
        return "sparse"
    if name in ("categorical_crossentropy", "categorical_focal_crossentropy", "kl_divergence",
                "categorical_hinge"):
        return "onehot"
    if name in ("binary_crossentropy", "binary_focal_crossentropy", "hinge", "squared_hinge"):
        return "binary"
    return "regression"


def output_shapes(doc: Document, analysis: Analysis | None = None) -> dict[str, tuple]:
    """Inferred shape of each model output (its node's port), keyed by output name (where
    known).

    `analysis` is the document's analysis when the caller holds it (a run's, a Project's):
    the graph is then not analysed again. Only node results are read, so the analysis of
    a document before its training overrides (`train.with_overrides`) serves its copy.
    """
    results = (analysis if analysis is not None else validate.analyze(doc)).results
    shapes = {}
    for out in model_outputs(doc):
        known = results[out.id].output_shapes if out.id in results else None
        if known and out.port < len(known):
            shapes[out.name] = tuple(known[out.port])
    return shapes
