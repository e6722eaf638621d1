"""`model.compile` with a document's training settings: the optimizer and its schedule,
each output's loss and metrics (Keras' names, ours, or the project's custom code) and
the loss weights, packed in the model's output order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.training import output_names

from .data import output_shapes
from .fitplan import packed


def compile_model(model, doc: Document, settings: Mapping[str, Any], steps: int,
                  analysis=None) -> None:
    """Compile with the optimizer and schedule, per-output losses, metrics, loss weights
    (`analysis`: the document's, when the caller holds it)."""
    from .extras import resolve_loss, resolve_metric
    from .optim import make_optimizer
    from .training_code import is_custom, load, make

    names = output_names(doc)
    shapes = output_shapes(doc, analysis)
    units = {name: shapes.get(name, (None,))[-1] for name in names}
    weights = settings.get("loss_weights")
    objects = load(doc)  # the custom losses and metrics: trusted code only

    def loss(name):
        value = settings["loss"][name]
        if is_custom(value, objects):
            return make(value, objects, f"training.loss.{name}")
        return resolve_loss(value)

    def metric(name, value):
        if is_custom(value, objects):
            return make(value, objects, f"training.metrics.{name}")
        return resolve_metric(value, units[name])

    model.compile(
        optimizer=make_optimizer(settings, steps),
        loss=packed({n: loss(n) for n in names}, names),
        metrics=packed({n: [metric(n, m) for m in settings["metrics"][n]] for n in names},
                       names),
        loss_weights=packed(weights, names) if weights else None)
