"""Generated code runs, and builds the very model the app trains.

For every example, hand-made graph and LayerSpec sample, the model from the code
and the model from `runtime.build.build_model(doc)` must have the same layers with
equal `get_config()` (names included) and equal `count_params()`; and the shapes
our inference gives each node must be the shapes of the executed model.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.codegen import STYLES, CodegenError, generate  # noqa: E402
from kerascanvas.codegen.plan import make_plan  # noqa: E402
from kerascanvas.codegen.sequential import chain_problem  # noqa: E402
from kerascanvas.graph.blocks import trace_block  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime import build
from tests.codegen.helpers import (  # noqa: E402
    EXAMPLES,
    GRAPHS,
    INVALID_SAMPLE_CASES,
    SAMPLE_CASES,
    example,
    operations_doc,
    sample_doc,
)
from tests.keras_ref import eager_scores_shape


def run_code(source: str, label: str):
    namespace = {"__name__": f"generated_{label}"}
    exec(compile(source, f"<generated {label}>", "exec"), namespace)
    return namespace["build_model"]()


def layer_configs(model) -> dict:
    return {layer.name: layer.get_config() for layer in model.layers
            if not isinstance(layer, keras.layers.InputLayer)}


def io_signature(tensors) -> list:
    return [(t.name, tuple(t.shape), t.dtype) for t in tensors]


def assert_same_model(doc, style: str, label: str):
    # Fresh name counters for each build: nested keras.applications models name some
    # inner layers automatically (input_layer, input_layer_1, ...). No gc.collect() each
    # time (free_memory=False): over the whole suite's heap it took most of the test.
    # The same global seed for both builds: unseeded layers (RandomCrop) draw their own.
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    model = run_code(generate(doc, style=style), label)
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    reference = build.build_model(doc)
    assert layer_configs(model) == layer_configs(reference)
    assert model.count_params() == reference.count_params()
    if style != "subclass":
        assert io_signature(model.inputs) == io_signature(reference.inputs)
        assert [tuple(t.shape) for t in model.outputs] == [
            tuple(t.shape) for t in reference.outputs]
    return model


def _shapes(tensors) -> list:
    tensors = tensors if isinstance(tensors, list | tuple) else [tensors]
    return [tuple(t.shape) for t in tensors]


def assert_inferred_shapes(doc, model):
    """Our inferred output shape of each node equals the executed layer's output shape."""
    analysis = analyze(doc)
    names = {layer.name for layer in model.layers}
    for nid, node in doc.nodes.items():
        result = analysis.results[nid]
        if node.spec.is_block:
            expansion, subs = trace_block(node.kind, result.params, result.input_shapes)
            for sub in expansion.layers:
                layer = model.get_layer(f"{node.name}_{sub.name}")
                assert _shapes(layer.output) == [subs[sub.name].output_shape], sub.name
        elif node.name in names:
            got = _shapes(model.get_layer(node.name).output)
            if node.kind == "MultiHeadAttention" and len(got) == 2:
                # Keras 3.15's symbolic scores are (batch, heads, T, T) whatever the
                # inputs; the scores it computes are what our inference must give.
                got[1] = eager_scores_shape(node.spec, result.params, result.input_shapes)
            assert got == list(result.output_shapes), node.name


def _styles(doc) -> list[str]:
    fits = chain_problem(make_plan(doc)) is None
    return [s for s in STYLES if s != "sequential" or fits]


EXAMPLE_CASES = [(n, s) for n in EXAMPLES for s in _styles(example(n))]
GRAPH_CASES = [(n, s) for n, make in GRAPHS.items() for s in _styles(make())]


@pytest.mark.parametrize(("name", "style"), EXAMPLE_CASES)
def test_examples_build_the_same_model(name, style):
    doc = example(name)
    model = assert_same_model(doc, style, f"{name}_{style}")
    if style == "functional":
        assert_inferred_shapes(doc, model)


@pytest.mark.parametrize(("name", "style"), GRAPH_CASES)
def test_graphs_build_the_same_model(name, style):
    doc = GRAPHS[name]()
    model = assert_same_model(doc, style, f"{name}_{style}")
    if style == "functional":
        assert_inferred_shapes(doc, model)


@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_operations_compute_what_the_built_model_computes(style):
    """The operations' code (unstack's wrapped unpacking, the conv, resize and pool with
    their channels_last left out) computes what the graph's own build computes."""
    doc = operations_doc()
    model = assert_same_model(doc, style, f"operations_{style}")
    reference = build.build_model(doc)
    rng = np.random.default_rng(0)
    data = [rng.random((2, 8, 8, 3)).astype("float32"),
            rng.random((3, 3, 3, 5)).astype("float32")]
    expected, got = reference(data), model(data)
    assert len(got) == len(expected) == 3
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(have),
                                   keras.ops.convert_to_numpy(want), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("kind", "index"), SAMPLE_CASES, ids=lambda v: str(v))
def test_every_spec_sample_builds_the_same_model(kind, index):
    doc = sample_doc(kind, index)
    model = assert_same_model(doc, "functional", f"{kind}_{index}")
    assert_inferred_shapes(doc, model)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "index"), [c for c in SAMPLE_CASES if c.values[0] != "Input"],
                         ids=lambda v: str(v))
def test_every_spec_sample_as_subclass(kind, index):
    # The examples and GRAPHS already cover every call form in this style; this is the sweep.
    assert_same_model(sample_doc(kind, index), "subclass", f"{kind}_{index}_subclass")


@pytest.mark.parametrize(("kind", "index"), INVALID_SAMPLE_CASES, ids=lambda v: str(v))
def test_invalid_documents_are_refused(kind, index):
    doc = sample_doc(kind, index)
    node = doc.node(doc.outputs[0])
    with pytest.raises(CodegenError, match="error") as info:
        generate(doc)
    assert node.name in str(info.value)
