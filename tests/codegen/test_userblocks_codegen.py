"""User blocks in generated code: one helper per block, and the model the app builds."""

from __future__ import annotations

import math

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.graph import userblock_commands as ubc  # noqa: E402
from kerascanvas.graph.commands import UndoStack  # noqa: E402
from kerascanvas.graph.document import Document  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from tests.codegen.helpers import add, add_input  # noqa: E402


def two_instances() -> Document:
    """image -> conv_bn(filters=8) -> conv_bn(filters=4) -> pool -> head."""
    doc = Document()
    x = add_input(doc, "image", (None, 12, 12, 3))
    conv = add(doc, "Conv2D", "conv", {"filters": 8, "kernel_size": [3, 3], "padding": "same"},
               [x])
    bn = add(doc, "BatchNormalization", "bn", {}, [conv])
    relu = add(doc, "ReLU", "relu", {}, [bn])
    pool = add(doc, "GlobalAveragePooling2D", "pool", {}, [relu])
    doc.outputs = [add(doc, "Dense", "head", {"units": 2}, [pool])]
    first = ubc.make_block(doc, UndoStack(), [conv, bn, relu], "conv_bn",
                          {"filters": (conv, "filters")})
    second = add(doc, "UserBlock", "second", {"block": "conv_bn", "filters": 4}, [first.id])
    doc.disconnect(doc.in_edges(pool)[0])
    doc.connect(type(doc.edges[0])(second, 0, pool, 0))
    return doc


def nested_two_inputs() -> Document:
    """A block that adds its two inputs, inside a block that also applies a Dense."""
    doc = Document()
    a = add_input(doc, "a", (None, 6))
    b = add_input(doc, "b", (None, 6))
    dense = add(doc, "Dense", "proj", {"units": 6}, [b])
    total = add(doc, "Add", "sum", {}, [a, dense])
    doc.outputs = [add(doc, "Dense", "head", {"units": 1}, [total])]
    stack = UndoStack()
    inner = ubc.make_block(doc, stack, [dense, total], "project_add", {"units": (dense, "units")})
    ubc.make_block(doc, stack, [inner.id], "wrapper", {})
    return doc


def _run(source: str):
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102
    return namespace["build_model"]()


def _configs(model) -> dict:
    return {la.name: la.get_config() for la in model.layers
            if not isinstance(la, keras.layers.InputLayer)}


@pytest.mark.parametrize("make", [two_instances, nested_two_inputs])
def test_generated_code_builds_the_model_the_app_builds(make):
    doc = make()
    source = generate(doc)
    ours = build_model(doc)
    theirs = _run(source)
    assert _configs(ours) == _configs(theirs)
    assert ours.count_params() == theirs.count_params()
    trainable = sum(math.prod(w.shape) for w in ours.trainable_weights)
    assert (trainable, ours.count_params() - trainable) == analyze(doc).total_params


def test_one_helper_per_block_and_one_call_per_instance():
    source = generate(two_instances())
    assert source.count("def conv_bn(x, filters=8, name=None):") == 1
    assert "conv_bn(image, name='conv_bn')" in source
    assert "filters=4, name='second')" in source


def test_layer_names_are_instance_then_inner_name():
    names = {la.name for la in build_model(nested_two_inputs()).layers}
    assert {"wrapper_project_add_proj", "wrapper_project_add_sum"} <= names
