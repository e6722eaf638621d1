"""Nested models' code calls the module's helpers, as the model's own code does.

A nested model is written as a `make_<block>()` function, a user block as a function of
its own. The helpers they need (a block kind's `residual_block`, a family of KerasLayer
nodes' `layer_scale`) are defined once at the module's top level and called from those
functions, in every style; the code passes
ruff, and the model it builds is the one the app builds (`runtime.build`) or the one
imported: every layer's get_config at every depth, count_params, and equal outputs once
the weights are copied.
"""

from __future__ import annotations

import re

import pytest

keras = pytest.importorskip("keras")

from keras.src.applications.convnext import LayerScale  # noqa: E402

from kerascanvas.codegen import CodegenError, generate  # noqa: E402
from kerascanvas.codegen.blocks import HELPERS  # noqa: E402
from kerascanvas.graph import userblock_commands as ubc  # noqa: E402
from kerascanvas.graph.commands import UndoStack  # noqa: E402
from kerascanvas.runtime.build import BuildError, build_model  # noqa: E402
from kerascanvas.runtime.importer import import_model_report  # noqa: E402
from tests.codegen.helpers import EXAMPLES, example  # noqa: E402
from tests.codegen.test_code_lint import ruff_problems  # noqa: E402
from tests.roundtrip import assert_rebuild_equal, assert_subclass_rebuild_equal  # noqa: E402
from tests.runtime.test_roundtrip_nested import (  # noqa: E402
    backbone_with_application,
    encoder_decoder,
    seq2seq_models,
    shared_inside,
)

DESERIALIZE = "keras.saving.deserialize_keras_object("
VARIANTS = {"functional": {"style": "functional"}, "subclass": {"style": "subclass"},
            "script": {"script": True}}

layers = keras.layers


def wrapped_example(name: str, nested: bool):
    """The example's layers as one user block under its Inputs; with `nested`, a nested
    Functional model, as a base model sits in a transfer-learning model (its Inputs named
    after the example's). The training settings are left out: they name the old outputs."""
    doc = example(name)
    inputs = [n.name for n in doc.nodes.values() if n.kind == "Input"]
    ids = [n.id for n in doc.nodes.values() if n.kind != "Input"]
    ubc.make_block(doc, UndoStack(), ids, "body", {})
    if nested:
        doc.blocks["body"]["model"] = {"class": "Functional",
                                       "inputs": [{"name": f"body_{n}"} for n in inputs]}
    doc.training = {}
    return doc


def _linted_and_built(doc, variant: str, tmp_path, model_name: str | None = None):
    """(code, the model its build_model() returns), once ruff passed on the code."""
    code = generate(doc, model_name=model_name, **VARIANTS[variant])
    path = tmp_path / f"{variant}.py"
    path.write_text(code, encoding="utf-8")
    assert ruff_problems(path) == ""
    namespace: dict = {"__name__": "generated"}  # a script's main() is not run
    exec(compile(code, str(path), "exec"), namespace)  # noqa: S102
    return code, namespace["build_model"]()


def _assert_equal(reference, rebuilt, variant: str) -> None:
    if variant == "subclass":
        assert_subclass_rebuild_equal(reference, rebuilt)
    else:
        assert_rebuild_equal(reference, rebuilt)


def _block_calls(code: str) -> dict[str, int]:
    return {func: code.count(f"{func}(") for func, _ in HELPERS.values()}


# The subclass style writes no plain block (a helper making new layers at each call),
# nor does any style a plain block holding an LSTM that gives its states (the code says so).
STATES = frozenset({"attention_states", "seq2seq"})
CASES = [(name, nested, variant) for name in EXAMPLES for nested in (True, False)
         for variant in VARIANTS if nested or (variant != "subclass" and name not in STATES)]


@pytest.mark.parametrize("name,nested,variant", CASES, ids=[
    f"{name}-{'nested' if nested else 'block'}-{variant}" for name, nested, variant in CASES])
def test_an_example_in_a_block_calls_the_same_block_helpers(name, nested, variant, tmp_path):
    doc = wrapped_example(name, nested)
    code, rebuilt = _linted_and_built(doc, variant, tmp_path)
    flat = generate(example(name))
    for func, _ in HELPERS.values():
        assert code.count(f"def {func}(") == flat.count(f"def {func}("), func  # once, if used
    assert _block_calls(code) == _block_calls(flat)
    keras.utils.set_random_seed(0)
    _assert_equal(build_model(doc), rebuilt, variant)


def _scales(width: int, names: tuple[str, ...]):
    """LayerScale layers alike but for the name, as ConvNeXt's stages hold them."""
    return [LayerScale(1e-6, width, name=name) for name in names]


def scales_in_a_sub_model():
    """LayerScale layers in a sub-model and in the model around it: one family."""
    inner_in = keras.Input((8,), name="inner_in")
    h = layers.Dense(8, name="inner_dense")(inner_in)
    for scale in _scales(8, ("inner_scale_a", "inner_scale_b")):
        h = scale(h)
    inner = keras.Model(inner_in, h, name="inner")
    x = keras.Input((8,), name="x")
    h = _scales(8, ("outer_scale",))[0](inner(x))
    return keras.Model(x, layers.Dense(2, name="head")(h), name="scales_around")


def scales_in_a_frozen_base():
    """A frozen base (transfer learning) holding the only LayerScale layers."""
    base_in = keras.Input((6,), name="base_in")
    h = layers.Dense(6, name="base_dense")(base_in)
    for scale in _scales(6, ("base_scale_a", "base_scale_b", "base_scale_c")):
        h = scale(h)
    base = keras.Model(base_in, h, name="base")
    base.trainable = False
    x = keras.Input((6,), name="x")
    return keras.Model(x, layers.Dense(3, name="head")(base(x)), name="frozen_base")


def scales_two_deep():
    """A Sequential sub-model inside a Functional one, each with LayerScale layers."""
    seq = keras.Sequential([keras.Input((4,)), *_scales(4, ("seq_scale_a", "seq_scale_b"))],
                           name="seq")
    mid_in = keras.Input((4,), name="mid_in")
    h = _scales(4, ("mid_scale",))[0](seq(mid_in))
    mid = keras.Model(mid_in, layers.Dense(4, name="mid_dense")(h), name="mid")
    x = keras.Input((4,), name="x")
    return keras.Model(x, mid(x), name="two_deep")


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("make", [scales_in_a_sub_model, scales_in_a_frozen_base,
                                  scales_two_deep], ids=lambda f: f.__name__)
def test_an_imported_nested_model_calls_the_module_layer_family(make, variant, tmp_path):
    model = make()
    report = import_model_report(model)
    assert not report.notes, report.notes  # the sub-models stay nested
    code, rebuilt = _linted_and_built(report.doc, variant, tmp_path, model.name)
    assert code.count(DESERIALIZE) == 1
    assert code.count("def layer_scale(name") == 1
    scales = [la for la in model._flatten_layers() if isinstance(la, LayerScale)]
    assert code.count("layer_scale(") == len(scales) + 1  # the def, then each layer
    _assert_equal(model, rebuilt, variant)


def _top_level_functions(code: str) -> list[str]:
    return re.findall(r"^def (\w+)\(", code, flags=re.MULTILINE)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("make", [encoder_decoder, shared_inside, seq2seq_models,
                                  backbone_with_application], ids=lambda f: f.__name__)
def test_the_imported_nested_models_code_defines_each_function_once(make, variant, tmp_path):
    """The sub-models the import tests build (two outputs, shared layers inside, LSTM
    states, a keras.applications base inside): each function once, Keras' model again."""
    model = make()
    report = import_model_report(model)
    assert not report.notes, report.notes
    code, rebuilt = _linted_and_built(report.doc, variant, tmp_path, model.name)
    functions = _top_level_functions(code)
    assert len(functions) == len(set(functions)), functions
    _assert_equal(model, rebuilt, variant)


REFUSED_BLOCK = r"'res1' \(ResidualBlock\) is a block of several layers.*'Functional'"


@pytest.mark.parametrize("style", ["functional", "subclass", "sequential"])
def test_a_block_kind_in_a_sequential_nested_model_is_refused_by_name(style):
    doc = wrapped_example("small_resnet", nested=True)
    doc.blocks["body"]["model"]["class"] = "Sequential"
    with pytest.raises(CodegenError, match=REFUSED_BLOCK):
        generate(doc, style=style)


def test_a_block_kind_in_a_sequential_nested_model_stops_the_apps_build():
    """Keras' Sequential lists one layer per entry: a multi-branch block has no place in
    it. The app's build says so (it failed with KeyError 'res1')."""
    doc = wrapped_example("small_resnet", nested=True)
    doc.blocks["body"]["model"]["class"] = "Sequential"
    with pytest.raises(BuildError, match=REFUSED_BLOCK):
        build_model(doc)
    doc.blocks["body"]["model"]["class"] = "Functional"
    assert build_model(doc).count_params() == build_model(example("small_resnet")).count_params()
