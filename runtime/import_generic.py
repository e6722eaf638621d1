"""KerasLayer nodes at run time: build them, call them, and record their shapes.

A KerasLayer node keeps a layer the LayerSpec table has no entry for as its
serialization dict. It is rebuilt with `keras.saving.deserialize_keras_object`
in safe mode, so a layer that needs arbitrary code (Lambda) is refused, never run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from kerascanvas.graph.errors import KerasCanvasError
from kerascanvas.graph.spec import get_spec

from .build import GENERIC, call_layer, make_layer
from .keras_env import import_keras


class GenericLayerError(KerasCanvasError):
    """A KerasLayer node could not be rebuilt or called."""


def make_generic_layer(params: Mapping[str, Any], name: str):
    """The Keras object (layer or operation) of a KerasLayer node, named `name`.

    Raises:
        GenericLayerError: the class is unknown here (a custom layer whose code was
            not imported), or it needs unsafe deserialization.
    """
    try:
        return make_layer(GENERIC, name, params)
    except Exception as exc:  # noqa: BLE001 - Keras raises TypeError/ValueError/others
        raise GenericLayerError(
            f"Cannot rebuild layer {name!r} ({params.get('module', 'keras.layers')}."
            f"{params.get('class_name')}): {exc}") from None


def weight_count(layer) -> list[int]:
    """[trainable, non_trainable] parameter counts of a built layer (0 for operations)."""
    trainable = sum(math.prod(w.shape) for w in getattr(layer, "trainable_weights", []))
    frozen = sum(math.prod(w.shape) for w in getattr(layer, "non_trainable_weights", []))
    return [int(trainable), int(frozen)]


def shape_record(input_shapes: Sequence[Sequence], output_shapes: Sequence[Sequence]) -> dict:
    """One `output_shapes` record, in JSON form."""
    return {"inputs": [list(s) for s in input_shapes],
            "outputs": [list(s) for s in output_shapes]}


def infer_generic(node, input_shapes: Sequence[Sequence]) -> dict[str, Any]:
    """Recompute a KerasLayer node's output shapes and count with Keras.

    Args:
        node: a document node of kind KerasLayer.
        input_shapes: its input shapes, batch first.

    Returns:
        The params to set on the node: `output_shapes` (the existing records plus
        one for these inputs) and `count`.

    Raises:
        GenericLayerError: the layer cannot be rebuilt or refuses these inputs.
    """
    keras = import_keras()
    params = node.params
    layer = make_generic_layer(params, node.name)
    tensors = [keras.Input(batch_shape=tuple(s)) for s in input_shapes]
    try:
        outputs = call_layer(get_spec(GENERIC), layer, tensors, params)
    except Exception as exc:  # noqa: BLE001 - any refusal by the layer
        raise GenericLayerError(f"Layer {node.name!r} refuses input shapes "
                                f"{[tuple(s) for s in input_shapes]}: {exc}") from None
    record = shape_record(input_shapes, [tuple(t.shape) for t in outputs])
    records = [r for r in (params.get("output_shapes") or []) if r["inputs"] != record["inputs"]]
    return {"output_shapes": [*records, record], "count": weight_count(layer)}


def keras_layer_problems(doc, analysis) -> list[str]:
    """Why Keras cannot build some KerasLayer node of a valid `doc` as the file records it:
    an unknown class, a config its class refuses, or outputs (count or shapes) other than
    the recorded ones. Each layer is made and called on symbolic inputs of the shapes
    validation found, so no weights are allocated. Nodes left out of the model are not
    made (Keras leaves them out too)."""
    problems, left_out = [], set(analysis.left_out)
    for node in doc.nodes.values():
        result = analysis.results.get(node.id)
        if node.kind != GENERIC or result is None or result.output_shapes is None or \
                node.id in left_out:
            continue
        try:
            record = infer_generic(node, result.input_shapes)["output_shapes"][-1]
        except GenericLayerError as exc:
            problems.append(str(exc))
            continue
        recorded = [list(s) for s in result.output_shapes]
        if record["outputs"] != recorded:
            problems.append(f"{node.name!r} (KerasLayer): the file records output shapes "
                            f"{recorded}, but Keras computes {record['outputs']}")
    return problems
