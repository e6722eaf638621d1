"""The arguments of `fit` and `evaluate` for a document's data: inputs and outputs
packed as Keras expects, the validation split, class weights, and the epoch's size."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.training import output_names

from .build import input_nodes
from .data import Dataset


@dataclass
class FitPlan:
    """Keyword arguments for `fit` and `evaluate`, and the size of an epoch."""

    fit: dict[str, Any]
    evaluate: dict[str, Any]
    evaluated_on: str
    samples: int
    steps: int
    note: str = ""  # what the run should say of a setting it does not use


def packed(arrays: Mapping[str, Any], names: Sequence[str]):
    """The bare array for one name, else the list in `names` order."""
    # One input or output: the bare array, as hand-written Keras code passes it.
    items = [arrays[n] for n in names]
    return items[0] if len(items) == 1 else items


def split_point(samples: int, fraction: float) -> int:
    """How many of `samples` train when the last `fraction` is held out (Keras' rule)."""
    return int(math.floor(samples * (1.0 - fraction))) if fraction > 0 else samples


def split_validation(data: Dataset, fraction: float, shuffled: bool = False,
                     seed: int | None = None):
    """(train x, train y, val x, val y) dicts; the last `fraction` of samples is held out
    (Keras' rule), of the samples in an order drawn with `seed` first when `shuffled`
    (`shuffle_before_split`: the generated script draws the same order)."""
    if data.has_validation:
        return data.x, data.y, data.x_val, data.y_val
    n = data.num_samples
    cut = split_point(n, fraction)
    if cut in (0, n):
        return data.x, data.y, None, None
    x, y = (shuffled_samples(data.x, data.y, seed) if shuffled else (data.x, data.y))
    head = {k: v[:cut] for k, v in x.items()}, {k: v[:cut] for k, v in y.items()}
    tail = {k: v[cut:] for k, v in x.items()}, {k: v[cut:] for k, v in y.items()}
    return (*head, *tail)


def shuffled_samples(x: dict, y: dict, seed: int | None) -> tuple[dict, dict]:
    """`x` and `y` with their samples in one order drawn with `seed` (0 without one: every
    process of a run, and the generated script, hold out the same samples)."""
    import numpy as np

    samples = len(next(iter(x.values())))
    order = np.random.default_rng(0 if seed is None else seed).permutation(samples)
    return {k: v[order] for k, v in x.items()}, {k: v[order] for k, v in y.items()}


def class_weights(value, labels) -> dict[int, float] | None:
    """Keras' `class_weight` from the setting: None, "balanced" or {class id: weight}.

    "balanced" weighs class c by n / (classes * count(c)), as scikit-learn does.
    """
    import numpy as np

    if value is None:
        return None
    if value != "balanced":
        return {int(k): float(v) for k, v in value.items()}
    labels = np.asarray(labels)
    ids = labels.argmax(-1) if labels.ndim > 1 and labels.shape[-1] > 1 else labels.reshape(-1)
    classes, counts = np.unique(ids.astype("int64"), return_counts=True)
    return {int(c): len(ids) / (len(classes) * int(n))
            for c, n in zip(classes, counts, strict=True)}


def plan_fit(doc: Document, data, settings: Mapping[str, Any]) -> FitPlan:
    """The fit and evaluate arguments for arrays or an image folder."""
    from .sources import ImageFolder

    if isinstance(data, ImageFolder):
        data.train.shuffle = bool(settings["shuffle"])
        held = data.validation or data.train
        plan = FitPlan({"x": data.train, "validation_data": data.validation}, {"x": held},
                       "validation" if data.validation else "training", data.num_samples,
                       len(data.train))
        labels = data.train.labels
    else:
        inputs = [n.name for n in input_nodes(doc)]
        outputs = output_names(doc)
        x, y, xv, yv = split_validation(data, float(settings["validation_split"]),
                                        bool(settings.get("shuffle_before_split")),
                                        settings.get("seed"))
        batch = int(settings["batch_size"])
        held = (x, y) if xv is None else (xv, yv)
        samples = len(next(iter(x.values())))
        plan = FitPlan(
            {"x": packed(x, inputs), "y": packed(y, outputs), "batch_size": batch,
             "shuffle": bool(settings["shuffle"]),
             "validation_data": None if xv is None else (packed(xv, inputs),
                                                         packed(yv, outputs))},
            {"x": packed(held[0], inputs), "y": packed(held[1], outputs),
             "batch_size": batch},
            "training" if xv is None else "validation", samples, math.ceil(samples / batch))
        labels = y[outputs[0]]
    plan.fit["class_weight"] = class_weights(settings["class_weight"], labels)
    plan.note = "\n".join(filter(None, [split_note(data, settings["validation_split"]),
                                        *getattr(data, "notes", [])]))
    return plan


def split_note(data, split) -> str:
    """What to say of a validation split that a source with validation arrays of its own
    leaves unused (Keras' fit takes validation_data over validation_split, silently)."""
    if not getattr(data, "has_validation", False) or not isinstance(split, int | float) \
            or isinstance(split, bool) or split <= 0:
        return ""
    held = len(next(iter(data.x_val.values()))) if data.x_val else "?"
    return (f"validating on the data's own validation arrays ({held} samples): "
            f"training.validation_split {split} is not used")
