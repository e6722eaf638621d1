"""Names in nested models' code and builds that Keras and torch accept.

A nested model with several inputs and no recorded Input names gets one name per input
(`graph.nested.input_name`); these tests build the same model in plain Keras, import it,
forget the recorded names, and check that the app's build, every code style and the
.keras export give Keras' model again.
"""

from __future__ import annotations

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.export import export_keras  # noqa: E402
from kerascanvas.runtime.importer import import_model_report  # noqa: E402
from tests.codegen.test_nested_helpers import (  # noqa: E402
    VARIANTS,
    _assert_equal,
    _linted_and_built,
)
from tests.roundtrip import assert_rebuild_equal  # noqa: E402

layers = keras.layers


def two_input_tower(names=("tower_input_0", "tower_input_1"), outer="outer", tower="tower"):
    """A Functional sub-model of two inputs (Inputs named as the app names them when the
    definition records no names) inside a model of its own."""
    a_in, b_in = keras.Input((3,), name=names[0]), keras.Input((2,), name=names[1])
    joined = layers.Concatenate(name="join")([a_in, b_in])
    tower = keras.Model([a_in, b_in], layers.Dense(4, name="mix")(joined), name=tower)
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    return keras.Model([a, b], layers.Dense(1, name="head")(tower([a, b])), name=outer)


def unnamed_doc(model):
    """The imported document of `model` with its nested models' Input entries (names and
    shapes) forgotten, as a nested model made in the app records none."""
    report = import_model_report(model)
    assert not report.notes, report.notes
    for definition in report.doc.blocks.values():
        definition["model"].pop("inputs", None)
    return report.doc


def test_a_nested_model_without_input_names_builds_with_unique_ones():
    model = two_input_tower()
    rebuilt = build_model(unnamed_doc(model), name=model.name)
    assert [t.name for t in rebuilt.get_layer("tower").inputs] == ["tower_input_0",
                                                                    "tower_input_1"]
    assert_rebuild_equal(model, rebuilt)


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_nested_model_without_input_names_has_unique_ones_in_code(variant, tmp_path):
    model = two_input_tower()
    _, rebuilt = _linted_and_built(unnamed_doc(model), variant, tmp_path, model.name)
    _assert_equal(model, rebuilt, variant)


def test_a_nested_model_without_input_names_exports_and_loads_back(tmp_path):
    model = two_input_tower()
    export_keras(unnamed_doc(model), tmp_path / "outer.keras")
    loaded = keras.saving.load_model(tmp_path / "outer.keras", safe_mode=True)
    assert_rebuild_equal(model, loaded)


# Keras takes any model name without '/'; generated code quotes it, and the subclass
# style's attributes are identifiers that torch accepts as module names.
ODD_NAMES = ["mobilenetv2_0.35_96", "my model", "tower-2", "modèle_日本", "class", "2tower"]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_model_names_stay_keras_names_in_every_style(name, variant, tmp_path):
    model = two_input_tower(outer=name, tower=f"{name}.tower")
    report = import_model_report(model)
    assert not report.notes, report.notes
    code, rebuilt = _linted_and_built(report.doc, variant, tmp_path, model.name)
    assert (rebuilt.name, rebuilt.get_layer(f"{name}.tower").name) == (name, f"{name}.tower")
    _assert_equal(model, rebuilt, variant)


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS)
def test_an_application_named_with_a_dot_builds_in_every_style(variant, tmp_path):
    """MobileNetV2(alpha=0.35) is named 'mobilenetv2_0.35_96': on torch the subclass
    style's build() named its variables under it, which torch refuses."""
    model = keras.applications.MobileNetV2(alpha=0.35, weights=None, input_shape=(96, 96, 3))
    report = import_model_report(model)
    assert not report.notes, report.notes
    _, rebuilt = _linted_and_built(report.doc, variant, tmp_path, model.name)
    assert rebuilt.name == "mobilenetv2_0.35_96"
    _assert_equal(model, rebuilt, variant)
