"""Initial weights of the layers of a nested model the import inlined (one a block cannot
rebuild: dict outputs or inputs): those layers stand in the project under their own names,
while the archive holds them under the nested model's (`base/dense`). The weights
section's `paths` maps one to the other, so the imported model starts from the archive's
weights and computes what the original does: at every depth, for a model called twice,
frozen, or holding a block; the panel's count and the training script's helper agree.
The nested models a block rebuilds (the transfer-learning pattern) are checked alike."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import zipfile

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.codegen.script_weights import FUNCTIONS  # noqa: E402
from kerascanvas.graph import initial_weights, projectfile, weight_paths  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.cli import import_model  # noqa: E402
from kerascanvas.runtime.initial_weights import apply  # noqa: E402

L = keras.layers


def _dict_base(name: str = "base", bn: bool = False):
    """A model giving a dict, which the import inlines."""
    i = keras.Input((4,))
    h = L.Dense(6, name="dense")(i)
    h = L.BatchNormalization(name="bn")(h) if bn else h
    return keras.Model(i, {"a": L.Dense(3, name="da")(h), "b": L.Dense(2, name="db")(h)},
                       name=name)


def _head(x, parts):
    return L.Dense(2, name="head")(L.Concatenate(name="cat")(parts))


def dict_outputs():
    x = keras.Input((4,), name="x")
    out = _dict_base()(x)
    return keras.Model(x, _head(x, [out["a"], out["b"]]))


def called_twice():
    base = _dict_base()
    x, y = keras.Input((4,), name="x"), keras.Input((4,), name="y")
    one, two = base(x), base(y)
    return keras.Model([x, y], _head(x, [one["a"], one["b"], two["a"]]))


def nested_twice_and_frozen():
    """An inlined model inside an inlined model, the outer one frozen; both hold a layer
    named "dense", so one of them is renamed in the project."""
    inner = _dict_base("inner", bn=True)
    j = keras.Input((4,))
    got = inner(j)
    mid = keras.Model(j, {"m": L.Dense(3, name="dense")(got["a"]), "n": got["b"]}, name="mid")
    mid.trainable = False
    x = keras.Input((4,), name="x")
    out = mid(x)
    return keras.Model(x, _head(x, [out["m"], out["n"]]))


def dict_inputs():
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    base = keras.Model({"a": a, "b": b}, L.Dense(3, name="d")(L.Concatenate(name="c")([a, b])),
                       name="base")
    x, y = keras.Input((4,), name="x"), keras.Input((3,), name="y")
    return keras.Model([x, y], L.Dense(2, name="head")(base({"a": x, "b": y})))


def inside_a_block():
    """The inlined model inside a nested model that is a block (path `mid/...`)."""
    j = keras.Input((4,))
    got = _dict_base("inner")(j)
    mid = keras.Model(j, L.Dense(3, name="md")(L.Concatenate(name="c")([got["a"], got["b"]])),
                      name="mid")
    x = keras.Input((4,), name="x")
    return keras.Model(x, L.Dense(2, name="head")(mid(x)))


MODELS = {f.__name__: f for f in (dict_outputs, called_twice, nested_twice_and_frozen,
                                  dict_inputs, inside_a_block)}


def _base(name: str = "base"):
    i = keras.Input((4,))
    h = L.BatchNormalization(name="bn")(L.Dense(6, activation="relu", name="dense")(i))
    return keras.Model(i, L.Dense(3, name="top")(h), name=name)


def frozen_base():
    """Transfer learning: a frozen base called with training=False under a new head."""
    base = _base()
    base.trainable = False
    x = keras.Input((4,), name="x")
    return keras.Model(x, L.Dense(2, name="head")(base(x, training=False)))


def base_twice():
    base = _base()
    x, y = keras.Input((4,), name="x"), keras.Input((4,), name="y")
    return keras.Model([x, y], L.Add(name="add")([base(x), base(y)]))


def base_in_base():
    j = keras.Input((4,))
    outer = keras.Model(j, L.Dense(3, name="dense")(_base("inner")(j)), name="outer")
    x = keras.Input((4,), name="x")
    return keras.Model(x, L.Dense(2, name="head")(outer(x, training=False)))


BLOCKS = {f.__name__: f for f in (frozen_base, base_twice, base_in_base)}


def _imported(model, folder):
    """(document with its weights section anchored, import output) of `model` saved."""
    rng = np.random.default_rng(7)
    for weight in model.weights:  # no weight as a fresh build makes it
        shift = 1.5 if "variance" in weight.path else 0.0
        weight.assign(rng.normal(size=weight.shape).astype("float32") * 0.5 + shift)
    model.save(folder / "m.keras")
    parser = argparse.ArgumentParser()
    import_model.add_arguments(parser)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        args = parser.parse_args([str(folder / "m.keras"), "-o", str(folder / "p.json")])
        assert import_model.run(args) == 0
    doc = projectfile.load(folder / "p.json")
    initial_weights.anchored(doc, folder)
    return doc, printed.getvalue()


def _inputs(model):
    rng = np.random.default_rng(1)
    data = [rng.random((5, *t.shape[1:]), dtype=np.float32) for t in model.inputs]
    return data[0] if len(data) == 1 else data


def assert_same_predictions(rebuilt, model):
    data = _inputs(model)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(rebuilt(data, training=False)),
                               keras.ops.convert_to_numpy(model(data, training=False)),
                               rtol=0, atol=1e-6)


@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS)
def test_an_inlined_model_starts_from_the_archive_weights(make, tmp_path):
    model = make()
    doc, printed = _imported(model, tmp_path)
    assert "was inlined" in printed
    rebuilt = build_model(doc)
    report = apply(rebuilt, doc)
    assert report.fresh == [], report.message()
    assert len(report.loaded) == len(report.held)
    assert rebuilt.count_params() == model.count_params()
    assert len(rebuilt.trainable_weights) == len(model.trainable_weights)
    assert_same_predictions(rebuilt, model)


@pytest.mark.parametrize("make", BLOCKS.values(), ids=BLOCKS)
def test_a_nested_model_kept_as_a_block_starts_from_the_archive_weights(make, tmp_path):
    model = make()
    doc, printed = _imported(model, tmp_path)
    assert "was inlined" not in printed and "paths" not in doc.weights
    assert any(n.kind == "UserBlock" for n in doc.nodes.values())
    rebuilt = build_model(doc)
    report = apply(rebuilt, doc)
    assert report.fresh == [] and len(report.loaded) == len(report.held)
    assert len(rebuilt.trainable_weights) == len(model.trainable_weights)
    assert_same_predictions(rebuilt, model)


def test_the_section_maps_each_renamed_path_and_survives_a_save(tmp_path):
    model = nested_twice_and_frozen()
    doc, _ = _imported(model, tmp_path)
    paths = doc.weights["paths"]
    assert set(paths.values()) == {"mid/dense", "mid/inner/dense", "mid/inner/bn",
                                   "mid/inner/da", "mid/inner/db"}
    assert set(paths) == {n.name for n in doc.nodes.values()} & set(paths)
    saved = json.loads((tmp_path / "p.json").read_text())["weights"]["paths"]
    assert saved == paths


def test_the_panel_count_and_the_script_helper_match_every_layer(tmp_path):
    model = inside_a_block()
    doc, _ = _imported(model, tmp_path)
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        theirs = weight_paths.config_paths(json.loads(archive.read("config.json")))
    ours = weight_paths.model_paths(doc)
    assert weight_paths.matching(ours, theirs, initial_weights.layer_paths(doc)) == ours
    assert len(weight_paths.matching(ours, theirs)) < len(ours)  # without the map
    helpers = {"keras": keras, "np": np}
    exec(FUNCTIONS, helpers)  # the generated script's own helper
    rebuilt = build_model(doc)
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        helpers["load_matching_weights"](rebuilt, str(tmp_path / "m.keras"),
                                         initial_weights.layer_paths(doc))
    assert f"loaded {len(ours)} of {len(ours)} layers" in printed.getvalue()
    assert_same_predictions(rebuilt, model)


def test_the_training_script_passes_the_paths_to_its_helper(tmp_path):
    doc, _ = _imported(dict_outputs(), tmp_path)
    script = generate(doc, script=True)
    archive = str(tmp_path / "m.keras")
    assert (f"    model = build_model()\n    load_matching_weights(\n        model,\n        "
            f"{archive!r},\n        paths={doc.weights['paths']!r},\n    )\n") in script
    compile(script, "train.py", "exec")
