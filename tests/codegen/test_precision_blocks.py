"""Under mixed precision a user block instance that gives a model output builds the
layers it returns float32 (Keras' mixed-precision rule for output layers), in the
model the app trains, the functional code and the subclass code alike: the model's
outputs are float32, every layer has the same policy in the three, and they compute
the same outputs. Before, the block's layers followed the policy (float16 outputs)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.codegen import generate
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document
from kerascanvas.graph.userblock_commands import make_block
from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.precision import output_dtype_overrides, policy_for, precision_scope
from tests.codegen.helpers import add, add_input
from tests.codegen.test_subclass_blocks import residual_inside, two_way
from tests.roundtrip import copy_weights, sample_inputs


def residual_last() -> Document:
    """A block that ends in a built-in block (a residual block), giving the model output."""
    doc = Document()
    x = add_input(doc, "image", (None, 8, 8, 3))
    conv = add(doc, "Conv2D", "conv", {"filters": 4, "kernel_size": [3, 3],
                                       "padding": "same"}, [x])
    res = add(doc, "ResidualBlock", "res", {"filters": 4}, [conv])
    doc.outputs = [res]
    make_block(doc, UndoStack(), [conv, res], "stem", {})
    return doc


CASES = {"two_outputs": two_way, "nested": residual_inside, "built_in_last": residual_last}


def _mixed(doc: Document, policy: str) -> Document:
    doc.training = {**doc.training, "mixed_precision": policy}
    return doc


def _models(doc: Document) -> dict:
    with precision_scope(policy_for(doc)):  # as a run builds it
        models = {"build": build_model(doc, dtypes=output_dtype_overrides(doc))}
    for style in ("functional", "subclass"):
        namespace: dict = {}
        exec(generate(doc, style=style), namespace)  # noqa: S102
        models[style] = namespace["build_model"]()
    return models


def _policies(model) -> dict[str, str]:
    return {layer.name: layer.dtype_policy.name
            for layer in model._flatten_layers(include_self=False)
            if not isinstance(layer, keras.layers.InputLayer | keras.Model)}


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_block_giving_a_model_output_returns_float32(name, policy):
    models = _models(_mixed(CASES[name](), policy))
    built = models["build"]
    data = sample_inputs(built)
    data = data[0] if len(data) == 1 else data
    want = [keras.ops.convert_to_numpy(o) for o in keras.tree.flatten(built(data))]
    mine = _policies(built)
    assert policy in mine.values() and "float32" in mine.values()
    for style, model in models.items():
        outputs = keras.tree.flatten(model(data))
        assert [keras.backend.standardize_dtype(o.dtype) for o in outputs] == \
            ["float32"] * len(outputs), style
        assert _policies(model) == mine, style
        if style != "build":
            copy_weights(built, model)
            for have, expected in zip(keras.tree.flatten(model(data)), want, strict=True):
                np.testing.assert_allclose(keras.ops.convert_to_numpy(have), expected,
                                           rtol=1e-3, atol=1e-3, err_msg=style)
