"""The project file's `training` section: defaults and per-output normal form. Pure.

Contract (fields may be added):

    {"optimizer": {"name": "adam", "learning_rate": 0.001},
     "loss": "sparse_categorical_crossentropy" | {output_name: loss},
             (a loss: a name, or {"name": "SparseCategoricalCrossentropy", **options}
              such as "from_logits": true; `graph.loss_names`)
     "loss_weights": {output_name: w},
     "metrics": ["accuracy"] | {output_name: [...]},
     "batch_size": 32, "epochs": 10, "validation_split": 0.2,
     "shuffle": true, "seed": null, "data": "synthetic",
     "test_data": null}

`test_data` is a data spec the trained model is evaluated on after training (the
validation data when it is null).

`resolve_training` returns every field filled in, with `loss`, `metrics` and
`loss_weights` keyed by output name, in the document's output order.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .document import Document
from .spec import get_spec

DEFAULTS: dict[str, Any] = {
    "optimizer": {"name": "adam", "learning_rate": 0.001},
    "loss": None,
    "loss_weights": None,
    "metrics": [],
    "batch_size": 32,
    "epochs": 10,
    "validation_split": 0.2,
    "shuffle": True,
    "seed": None,
    "data": "synthetic",
    "test_data": None,
}

CLASSIFICATION_LOSSES = {
    "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
    "binary_focal_crossentropy", "categorical_focal_crossentropy",
}


def output_name(doc: Document, entry: str) -> str:
    """The name losses, metrics and labels give a model output (`Document.output_name`):
    its node's name, `<node>_<port>` for a further port of the node (an RNN state,
    attention scores), or `<node>_output_<port>` where another node has that name."""
    return doc.output_name(entry)


def output_names(doc: Document) -> list[str]:
    return [output_name(doc, entry) for entry in doc.outputs]


def port_output_names(doc: Document) -> list[str] | None:
    """The output names a built model must be given, or None where Keras' own fit: with an
    output on a further port, Keras would name it after its layer, so an LSTM's two states
    would both log as "<layer>_loss" (these are the names losses and labels are keyed by)."""
    if not any(port for _, port in doc.output_refs()):
        return None
    return output_names(doc)


@dataclass(frozen=True)
class ModelOutput:
    """One model output: its node (`id`, which issues point at), port, and name."""

    id: str
    port: int
    name: str


def model_outputs(doc: Document) -> list[ModelOutput]:
    return [ModelOutput(*doc.output_ref(entry), output_name(doc, entry))
            for entry in doc.outputs]


def default_loss(doc: Document, node_id: str, port: int = 0) -> str:
    """A loss that fits the output's final activation: softmax, sigmoid, else MSE (for
    a further port, which no final activation makes)."""
    node = doc.node(node_id)
    if port:
        return "mean_squared_error"
    try:
        act = get_spec(node.kind).final_activation(node.params)
    except KeyError:  # an unknown kind: validation reports it
        act = None
    if act == "softmax":
        return "sparse_categorical_crossentropy"
    if act == "sigmoid":
        return "binary_crossentropy"
    return "mean_squared_error"


def _per_output(value: Any, names: list[str], field: str) -> dict[str, Any]:
    if isinstance(value, dict) and not one_loss(value, names, field):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"training.{field} names {unknown[0]!r}, which is no model output. "
                             f"Outputs: {', '.join(names)}")
        return {n: value[n] for n in names if n in value}
    return {n: copy.deepcopy(value) for n in names}


def one_loss(value: dict, names: list[str], field: str) -> bool:
    """`{"name": "SparseCategoricalCrossentropy", "from_logits": true}` as the loss: one
    loss with options for every output (unless an output is called "name")."""
    return field == "loss" and isinstance(value.get("name"), str) and "name" not in names


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _check_forms(out: dict[str, Any]) -> None:
    """Raise ValueError naming the field whose value has a form the settings cannot take
    (an optimizer that is a number, metrics given as one string)."""
    optimizer = out["optimizer"]
    if not isinstance(optimizer, str | dict):
        raise ValueError("training.optimizer: expected an optimizer name or an object with a "
                         f"'name'. Received: {_shown(optimizer)}")
    loss = out["loss"]
    losses = loss.items() if isinstance(loss, dict) and not isinstance(loss.get("name"), str) \
        else [(None, loss)]
    for key, value in losses:
        if value is not None and not isinstance(value, str | dict):
            field = "training.loss" + (f".{key}" if key is not None else "")
            raise ValueError(f"{field}: expected a loss name or an object with a 'name'"
                             f"{'' if key is not None else ' (or one per output)'}. "
                             f"Received: {_shown(value)}")
    metrics = out["metrics"]
    lists = metrics.items() if isinstance(metrics, dict) else [(None, metrics)]
    for key, value in lists:
        if value is not None and not isinstance(value, list):
            field = "training.metrics" + (f".{key}" if key is not None else "")
            raise ValueError(f"{field}: expected a list of metrics"
                             f"{'' if key is not None else ' (or one list per output)'}. "
                             f"Received: {_shown(value)}")
    weights = out["loss_weights"]
    for key, value in (weights.items() if isinstance(weights, dict) else [(None, weights)]):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            field = "training.loss_weights" + (f".{key}" if key is not None else "")
            raise ValueError(f"{field}: expected a number (or one per output). "
                             f"Received: {_shown(value)}")


def resolve_training(doc: Document) -> dict[str, Any]:
    """All training settings with defaults, per-output fields keyed by output name.

    Raises ValueError naming the field when a per-output dict names no output, or when a
    field's value has a form the settings cannot take.
    """
    raw = doc.training or {}
    if not isinstance(raw, dict):
        raise ValueError(f"training: expected an object. Received: {_shown(raw)}")
    out = copy.deepcopy(DEFAULTS)
    out.update(copy.deepcopy(raw))
    _check_forms(out)
    optimizer = out["optimizer"]
    if isinstance(optimizer, str):
        optimizer = {"name": optimizer}
    out["optimizer"] = {**DEFAULTS["optimizer"], **optimizer}
    names = output_names(doc)
    losses = _per_output(out["loss"], names, "loss") if out["loss"] is not None else {}
    out["loss"] = {name: losses.get(name) or default_loss(doc, nid, port)
                   for name, (nid, port) in zip(names, doc.output_refs(), strict=True)}
    metrics = _per_output(out["metrics"] or [], names, "metrics")
    out["metrics"] = {n: list(metrics.get(n, [])) for n in names}
    if out["loss_weights"] is not None:
        weights = _per_output(out["loss_weights"], names, "loss_weights")
        out["loss_weights"] = {n: float(weights.get(n, 1.0)) for n in names}
    return out
