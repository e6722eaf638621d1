"""Mixed precision: the generated code builds the model the app trains under the policy.

The reference is the runtime's build path (`runtime.train_model.make_model`): the model
built inside `precision_scope(policy_for(...))` with the output layers in float32
(`output_dtype_overrides`). Executing the generated code must give equal per-layer
`get_config()` (dtype policies included) and `count_params()`, and leave the
global dtype policy as it found it.
"""

from __future__ import annotations

import copy

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.codegen.plan import make_plan  # noqa: E402
from kerascanvas.codegen.precision import float32_layers  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime import build, precision  # noqa: E402
from tests.codegen.helpers import (  # noqa: E402
    add,
    add_input,
    example,
    keras_layer_doc,
    merges_doc,
)
from tests.codegen.test_execute import layer_configs, run_code  # noqa: E402

POLICIES = ("mixed_float16", "mixed_bfloat16")


def block_output_doc(kind: str, params: dict):
    """A block node that is itself the model output (its last sublayer goes float32)."""
    from kerascanvas.graph.document import Document

    doc = Document()
    x = add_input(doc, "image", (None, 8, 8, 4))
    c = add(doc, "Conv2D", "stem", {"filters": 8, "kernel_size": 3}, [x])
    doc.outputs = [add(doc, kind, "blk", params, [c])]
    return doc


def shared_output_doc():
    """A shared Dense whose owner node is an output: one layer object, built in float32."""
    from kerascanvas.graph.document import Document

    doc = Document()
    a, b = add_input(doc, "a", (None, 4)), add_input(doc, "b", (None, 4))
    owner = add(doc, "Dense", "shared", {"units": 3}, [a])
    again = add(doc, "SharedCall", "shared_again", {"layer": owner}, [b])
    doc.outputs = [owner, again]
    return doc


DOCS = {
    "mnist_mlp": lambda: example("mnist_mlp"),
    "small_resnet": lambda: example("small_resnet"),
    "merges": merges_doc,
    "kept_layer": keras_layer_doc,
    "residual_out": lambda: block_output_doc("ResidualBlock", {"filters": 8}),
    "dense_block_out": lambda: block_output_doc("DenseBlock", {"num_layers": 2,
                                                               "growth_rate": 4}),
    "inception_out": lambda: block_output_doc("InceptionModule", {"filters": 2}),
}
CASES = [("functional", "mnist_mlp"), ("sequential", "mnist_mlp"), ("subclass", "mnist_mlp"),
         ("functional", "small_resnet"), ("subclass", "small_resnet"),
         ("functional", "merges"), ("functional", "kept_layer"),
         ("functional", "residual_out"), ("subclass", "residual_out"),
         ("functional", "dense_block_out"), ("functional", "inception_out")]


def with_policy(doc, policy: str):
    doc = copy.deepcopy(doc)
    doc.training = {**(doc.training or {}), "mixed_precision": policy}
    return doc


def runtime_model(doc):
    """The model as `runtime.train_model.make_model` builds it (before compiling)."""
    keras.backend.clear_session(free_memory=False)
    with precision.precision_scope(precision.policy_for(doc)):
        return build.build_model(doc, dtypes=precision.output_dtype_overrides(doc))


def generated_model(doc, style: str, label: str):
    keras.backend.clear_session(free_memory=False)
    before = keras.config.dtype_policy().name
    model = run_code(generate(doc, style=style), label)
    assert keras.config.dtype_policy().name == before  # build_model() restored the policy
    return model


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("style, name", CASES)
def test_generated_model_equals_runtime_model_under_policy(style, name, policy):
    doc = with_policy(DOCS[name](), policy)
    reference = runtime_model(doc)
    model = generated_model(doc, style, f"{name}_{policy}")
    assert layer_configs(model) == layer_configs(reference)
    assert model.count_params() == reference.count_params()
    assert model.dtype_policy.name == reference.dtype_policy.name == policy
    outputs = precision.output_dtype_overrides(doc)
    assert outputs  # the outputs really are kept in float32, not just equal by accident
    for layer in model.layers:
        expected = "float32" if layer.name in outputs else policy
        if not isinstance(layer, keras.layers.InputLayer):
            assert layer.dtype_policy.name == expected, layer.name


@pytest.mark.parametrize("name", sorted(DOCS))
def test_float32_layers_are_the_runtime_overrides(name):
    doc = with_policy(DOCS[name](), "mixed_float16")
    assert float32_layers(doc, analyze(doc).results) == set(
        precision.output_dtype_overrides(doc))


def test_shared_output_layer_is_built_in_float32_once():
    doc = with_policy(shared_output_doc(), "mixed_bfloat16")
    reference = runtime_model(doc)
    model = generated_model(doc, "functional", "shared_output")
    assert layer_configs(model) == layer_configs(reference)
    assert model.get_layer("shared").dtype_policy.name == "float32"


def test_off_writes_no_policy():
    source = generate(example("mnist_mlp"))
    assert "dtype" not in source.lower().replace("'dtype'", "")
    assert not make_plan(example("mnist_mlp")).mixed


@pytest.mark.parametrize("policy", POLICIES)
def test_script_sets_the_policy_before_building(policy):
    source = generate(with_policy(example("mnist_mlp"), policy), script=True)
    main = source.split("def main(")[1]
    assert main.index("keras.config.set_dtype_policy(DTYPE_POLICY)") < main.index(
        "build_model()")
    assert f"DTYPE_POLICY = {policy!r}" in source
