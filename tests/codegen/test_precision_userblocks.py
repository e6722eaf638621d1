"""Mixed precision with a model output that leaves a user block instance.

Under "mixed_float16" the layer that computes each model output is built with
dtype="float32", also where that layer sits inside a user block (`f"{instance}_{inner}"`)
or inside a block nested in one (`f"{outer}_{inner}_{leaf}"`). Checked against Keras:
the built model's output tensors are float32 and that layer's `dtype_policy.name` is
"float32" in the runtime build (as the training path builds it) and in the code of each
style; every other layer follows the policy; forward outputs agree after a weight copy.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.graph import userblock_commands as ubc  # noqa: E402
from kerascanvas.graph.commands import UndoStack  # noqa: E402
from kerascanvas.graph.document import Document, Edge, output_entry  # noqa: E402
from kerascanvas.runtime import build, precision  # noqa: E402
from tests.codegen.helpers import add, add_input  # noqa: E402
from tests.codegen.test_subclass_blocks import two_way  # noqa: E402
from tests.graph.test_block_outputs import ENCODER  # noqa: E402 - two outputs, Functional
from tests.graph.test_nested import TOWER  # noqa: E402 - a nested Sequential model

POLICY = "mixed_float16"


def block_is_output() -> Document:
    """x -> [dense -> head] as block `mlp`: the instance itself is the model output."""
    doc = Document()
    x = add_input(doc, "x", (None, 6))
    dense = add(doc, "Dense", "dense", {"units": 5, "activation": "relu"}, [x])
    head = add(doc, "Dense", "head", {"units": 3}, [dense])
    doc.outputs = [head]
    ubc.make_block(doc, UndoStack(), [dense, head], "mlp", {})
    return doc


def nested_blocks() -> Document:
    """Block `outer` = Dense then block `inner` (Dense, Dense); the outer instance is the
    model output, so its layer is `outer_inner_last`; a plain Dense is a second output."""
    doc = Document()
    x = add_input(doc, "x", (None, 6))
    pre = add(doc, "Dense", "pre", {"units": 6}, [x])
    first = add(doc, "Dense", "first", {"units": 8, "activation": "relu"}, [pre])
    mid = add(doc, "Dense", "mid", {"units": 4}, [first])
    last = add(doc, "Dense", "last", {"units": 2}, [mid])
    skip = add(doc, "Dense", "skip", {"units": 2}, [pre])
    doc.outputs = [last, skip]
    stack = UndoStack()
    inner = ubc.make_block(doc, stack, [mid, last], "inner", {})
    ubc.make_block(doc, stack, [first, inner.id], "outer", {})
    return doc


def block_twice() -> Document:
    """Two instances of one block: the first feeds the second, only the second is an
    output (the first one's layers stay in the policy)."""
    doc = block_is_output()
    (first,) = [n.id for n in doc.nodes.values() if n.kind == "UserBlock"]
    second = add(doc, "UserBlock", "second", {"block": "mlp"}, [])
    doc.nodes[second].params = {"block": "mlp"}
    doc.connect(Edge(first, 0, second, 0))
    doc.outputs = [second]
    return doc


def residual_inside() -> Document:
    """A built-in ResidualBlock as the layer that leaves a user block."""
    doc = Document()
    x = add_input(doc, "image", (None, 8, 8, 4))
    stem = add(doc, "Conv2D", "stem", {"filters": 8, "kernel_size": 3, "padding": "same"},
               [x])
    res = add(doc, "ResidualBlock", "res", {"filters": 8}, [stem])
    doc.outputs = [res]
    ubc.make_block(doc, UndoStack(), [stem, res], "stem_res", {})
    return doc


def nested_model(definition: dict, block: str, port: int = 0) -> Document:
    """a -> pre -> instance of a nested-model block; its output `port` is a model output,
    its other port (if any) feeds a Dense `other`, the second model output."""
    doc = Document()
    doc.blocks[block] = copy.deepcopy(definition)
    pre = add(doc, "Dense", "pre", {"units": 4}, [add_input(doc, "a", (None, 4))])
    instance = add(doc, "UserBlock", block, {"block": block}, [pre])
    other = add(doc, "Dense", "other", {"units": 2}, [])
    doc.connect(Edge(instance, 1 - port if "outputs" in definition else 0, other, 0))
    doc.outputs = [output_entry(instance, port), output_entry(other, 0)]
    return doc


def nested_alone() -> Document:
    """a -> tower, the model output: a chain, so also written in the sequential style."""
    doc = Document()
    doc.blocks["tower"] = copy.deepcopy(TOWER)
    doc.outputs = [add(doc, "UserBlock", "tower", {"block": "tower"},
                       [add_input(doc, "a", (None, 4))])]
    return doc


def operation_leaves() -> Document:
    """x -> [dense -> ops.square] as block `blk`: an operation leaves the block as the model
    output (it has no layer to build in float32: its result is cast, `blk_sq_float32`)."""
    doc = Document()
    x = add_input(doc, "x", (None, 6))
    dense = add(doc, "Dense", "dense", {"units": 5}, [x])
    square = add(doc, "ops.square", "sq", {}, [dense])
    doc.outputs = [square]
    ubc.make_block(doc, UndoStack(), [dense, square], "blk", {})
    return doc


SQUARER = {  # a nested Functional model whose output is an operation's
    "nodes": [{"id": "h", "kind": "Dense", "name": "dense", "params": {"units": 5}},
              {"id": "o", "kind": "ops.square", "name": "sq", "params": {}}],
    "edges": [{"src": "h", "src_port": 0, "dst": "o", "dst_port": 0}],
    "inputs": [[{"node": "h", "port": 0}]],
    "output": {"node": "o", "port": 0},
    "model": {"class": "Functional", "inputs": [{"name": "sq_in", "batch_shape": [None, 4]}]},
}


def site_output(nested_owner: bool) -> Document:
    """A layer (a Dense, or the nested model `tower`) called on `a` and again on `b` by a
    SharedCall: the call site is a model output, the owner's own call feeds `other`. A call
    site makes no layer; its owner's is built in float32 (it stayed in the policy)."""
    doc = Document()
    if nested_owner:
        doc.blocks["tower"] = copy.deepcopy(TOWER)
    a, b = add_input(doc, "a", (None, 4)), add_input(doc, "b", (None, 4))
    owner = add(doc, "UserBlock", "tower", {"block": "tower"}, [a]) if nested_owner \
        else add(doc, "Dense", "shared", {"units": 3}, [a])
    again = add(doc, "SharedCall", "again", {"layer": owner}, [b])
    doc.outputs = [again, add(doc, "Dense", "other", {"units": 2}, [owner])]
    return doc


def output_on_input() -> Document:
    """A float32 output layer fed by the Input itself: the subclassed model cast its inputs
    to float16 before call() (a Functional model does not), off by 5e-4."""
    doc = Document()
    doc.outputs = [add(doc, "Dense", "head", {"units": 3}, [add_input(doc, "x", (None, 6))])]
    return doc


DOCS = {"block_is_output": block_is_output, "operation_leaves": operation_leaves,
        "output_on_input": output_on_input,
        "shared_site_output": lambda: site_output(False),
        "nested_site_output": lambda: site_output(True),
        "nested_operation": lambda: nested_model(SQUARER, "squarer"), "two_outputs": two_way,
        "nested_blocks": nested_blocks, "block_twice": block_twice,
        "residual_inside": residual_inside,
        "nested_sequential": lambda: nested_model(TOWER, "tower"),
        "nested_functional": lambda: nested_model(ENCODER, "encoder"),
        "nested_second_port": lambda: nested_model(ENCODER, "encoder", 1),
        "nested_alone": nested_alone}
# the Keras layer that computes each model output, `model/layer` inside a nested model
EXPECTED = {"block_is_output": {"mlp_head"}, "operation_leaves": {"blk_sq_float32"},
            "nested_operation": {"squarer/sq_float32", "other"},
            "shared_site_output": {"shared", "other"}, "output_on_input": {"head"},
            "nested_site_output": {"tower/embedding", "other"},
            "two_outputs": {"head", "two_way_prod"},
            "nested_blocks": {"outer_inner_last", "skip"}, "block_twice": {"second_head"},
            "residual_inside": {"stem_res_res_out"},
            "nested_sequential": {"tower/embedding", "other"},
            "nested_functional": {"encoder/features", "other"},
            "nested_second_port": {"encoder/skip", "other"},
            "nested_alone": {"tower/embedding"}}
STYLES = ("functional", "subclass", "script")
CASES = [(name, style) for name in sorted(DOCS) for style in STYLES] + [
    ("nested_alone", "sequential")]  # the one chain: a nested model is one layer


def mixed(doc: Document) -> Document:
    doc = copy.deepcopy(doc)
    doc.training = {**(doc.training or {}), "mixed_precision": POLICY}
    return doc


def runtime_model(doc):
    """As `runtime.train_model.make_model` builds it, before compiling."""
    keras.backend.clear_session(free_memory=False)
    with precision.precision_scope(precision.policy_for(doc)):
        return build.build_model(doc, dtypes=precision.output_dtype_overrides(doc))


def code_model(doc, style: str):
    keras.backend.clear_session(free_memory=False)
    source = generate(doc, script=True) if style == "script" else generate(doc, style=style)
    namespace: dict = {"__name__": "generated"}  # a script's main() is not run
    exec(compile(source, f"<{style}>", "exec"), namespace)  # noqa: S102
    return namespace["build_model"]()


def output_layers(model) -> set[str]:
    """Names of the layers whose call produced the model's output tensors (Keras' own
    record of each symbolic tensor's origin), `model/layer` inside a nested model."""
    return {producer(t) for t in model.outputs}


def producer(tensor) -> str:
    history = tensor._keras_history
    layer = history.operation
    if isinstance(layer, keras.Model):
        return f"{layer.name}/{producer(layer.outputs[history.tensor_index])}"
    return layer.name


def layer_policies(model, prefix: str = "") -> dict[str, str]:
    """Each layer's dtype policy, by name (`model/layer` inside a nested model)."""
    found = {}
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.update(layer_policies(layer, f"{prefix}{layer.name}/"))
        elif not isinstance(layer, keras.layers.InputLayer):
            found[prefix + layer.name] = layer.dtype_policy.name
    return found


def inputs_for(model) -> list:
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(3, *t.shape[1:])).astype("float32") for t in model.inputs]
    return arrays[0] if len(arrays) == 1 else arrays


@pytest.mark.parametrize("name", sorted(DOCS))
def test_the_expected_layers_are_those_keras_says_compute_the_outputs(name):
    assert output_layers(runtime_model(mixed(DOCS[name]()))) == EXPECTED[name]


@pytest.mark.parametrize("name, style", [(name, "build") for name in sorted(DOCS)] + CASES)
def test_output_layers_compute_in_float32(name, style):
    doc = mixed(DOCS[name]())
    data = inputs_for(runtime_model(doc))
    model = runtime_model(doc) if style == "build" else code_model(doc, style)
    dtypes = [keras.backend.standardize_dtype(t.dtype) for t in outputs_of(model(data))]
    assert dtypes == ["float32"] * len(doc.outputs)
    for layer, policy in layer_policies(model).items():
        assert policy == ("float32" if layer in EXPECTED[name] else POLICY), layer


@pytest.mark.parametrize("name, style", CASES)
def test_code_computes_what_the_build_computes(name, style):
    doc = mixed(DOCS[name]())
    reference = runtime_model(doc)
    data = inputs_for(reference)
    model = code_model(doc, style)
    model(data)  # a subclassed model makes its weights on its first call
    assert layer_policies(model) == layer_policies(reference)
    for layer in reference.layers[len(reference.inputs):]:  # weights go across by name
        model.get_layer(layer.name).set_weights(layer.get_weights())
    for want, have in zip(outputs_of(reference(data)), outputs_of(model(data)), strict=True):
        assert keras.backend.standardize_dtype(have.dtype) == "float32"
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(have),
                                      keras.ops.convert_to_numpy(want))


def outputs_of(result) -> list:
    return list(result) if isinstance(result, list | tuple) else [result]
