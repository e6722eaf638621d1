"""Inputs far from unit scale fed straight to layers with weights: a warning on the Input
that never refuses the run, whose fixes (Rescaling(1/255), an adapted Normalization) put
the values at unit scale as Keras computes them."""

from __future__ import annotations

import numpy as np
import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.fixes import apply_fix
from kerascanvas.runtime.adapt import adapt_layers
from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.data import Dataset, check_data
from tests.runtime.test_build import graph

RNG = np.random.default_rng(0)
PIXELS = RNG.integers(0, 256, (32, 8, 8, 1)).astype("uint8")
LABELS = RNG.integers(0, 3, 32)


def images(*between):
    """Input -> [between...] -> Conv2D -> Flatten -> Dense."""
    nodes = [("image", "Input", {"shape": [8, 8, 1]}), *between,
             ("conv", "Conv2D", {"filters": 2, "kernel_size": 3}), ("flat", "Flatten", {}),
             ("out", "Dense", {"units": 3, "activation": "softmax"})]
    names = [n[0] for n in nodes]
    doc = graph(nodes, list(zip(names, names[1:], strict=False)), ["out"])
    doc.training = {"loss": "sparse_categorical_crossentropy"}
    return doc


def scale_issues(doc, x, name="image"):
    data = Dataset({name: x}, {"out": LABELS[:len(x)]})
    return [i for i in check_data(doc, data) if i.code == "data_scale"]


def test_pixels_are_warned_and_rescaled_to_what_keras_computes():
    doc = images()
    (issue,) = scale_issues(doc, PIXELS)
    assert issue.severity == "warning" and issue.node == doc.find("image").id
    assert "values in [0, 255]" in issue.message and "reach conv " in issue.message
    assert issue.fixes == ("insert_rescaling", "insert_normalization")
    apply_fix(doc, issue, "insert_rescaling", UndoStack())
    assert not scale_issues(doc, PIXELS)
    model = build_model(doc)
    (layer,) = [la for la in model.layers if type(la).__name__ == "Rescaling"]
    import keras

    probe = keras.Model(model.inputs, layer.output)
    np.testing.assert_allclose(probe.predict(PIXELS, verbose=0), PIXELS / 255.0, rtol=1e-6)
    assert [type(la).__name__ for la in model.layers][:3] == ["InputLayer", "Rescaling",
                                                              "Conv2D"]


def test_the_rescaling_goes_after_augmentation_which_reads_0_to_255():
    doc = images(("flip", "RandomFlip", {}))
    (issue,) = scale_issues(doc, PIXELS)
    (added,) = apply_fix(doc, issue, "insert_rescaling", UndoStack())
    assert [doc.nodes[e.src].name for e in doc.in_edges(added)] == ["flip"]
    assert [doc.nodes[e.dst].name for e in doc.out_edges(added)] == ["conv"]


def test_large_features_get_an_adapted_normalization_only():
    doc = graph([("price", "Input", {"shape": [3]}), ("a", "Dense", {"units": 4}),
                 ("b", "Dense", {"units": 2}), ("out", "Concatenate", {})],
                [("price", "a"), ("price", "b"), ("a", "out"), ("b", "out")], ["out"])
    doc.training = {"loss": "mse"}
    x = RNG.normal([1e4, 50.0, -300.0], [2e3, 5.0, 40.0], (64, 3)).astype("float32")
    data = Dataset({"price": x}, {"out": np.zeros((64, 6), "float32")})
    (issue,) = [i for i in check_data(doc, data) if i.code == "data_scale"]
    assert issue.fixes == ("insert_normalization",) and "reach a, b " in issue.message
    added = apply_fix(doc, issue, "insert_normalization", UndoStack())
    assert len(added) == 1  # one layer for the one tensor both Dense layers read
    assert sorted(doc.nodes[e.dst].name for e in doc.out_edges(added[0])) == ["a", "b"]
    model = build_model(doc)
    assert adapt_layers(model, {"price": x})
    import keras

    (norm,) = [la for la in model.layers if isinstance(la, keras.layers.Normalization)]
    out = keras.Model(model.inputs, norm.output).predict(x, verbose=0)
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-3)
    np.testing.assert_allclose(out.std(0), 1, atol=1e-2)


@pytest.mark.parametrize("first, x", [
    (("norm", "Normalization", {}), PIXELS),  # normalized first: nothing to say
    (("bn", "BatchNormalization", {}), PIXELS),
    (("scale", "Rescaling", {"scale": 1 / 255}), PIXELS),
    (None, (PIXELS / 255.0).astype("float32")),  # at unit scale already
    (None, RNG.normal(0, 10, (32, 8, 8, 1)).astype("float32")),
])
def test_no_warning_where_the_values_are_scaled_or_small(first, x):
    doc = images(*([first] if first else []))
    assert scale_issues(doc, x) == []


def test_the_warning_never_refuses_the_run_which_says_it(tmp_path):
    from kerascanvas.runtime.fitplan import plan_fit
    from kerascanvas.runtime.train import load_checked_data, prepare

    np.savez(tmp_path / "px.npz", x=PIXELS, y=LABELS)
    doc = images()
    doc.training = {**doc.training, "data": str(tmp_path / "px.npz"), "batch_size": 8}
    doc, settings = prepare(doc)
    data = load_checked_data(doc, settings)
    assert len(data.notes) == 1 and "Input 'image' receives values in [0, 255]" in data.notes[0]
    assert data.notes[0] in plan_fit(doc, data, settings).note


def test_an_image_folder_is_read_as_0_to_255_and_warned(tmp_path):
    from PIL import Image

    from kerascanvas.runtime.sources import check_source, list_folder

    for cls in ("a", "b", "c"):
        (tmp_path / cls).mkdir()
        Image.fromarray(PIXELS[0, :, :, 0]).save(tmp_path / cls / "0.png")
    doc = images()
    listing = list_folder(str(tmp_path))
    (issue,) = check_source(doc, listing)  # the images fit: the one warning is their scale
    assert issue.code == "data_scale" and issue.severity == "warning"
    assert issue.fixes[0] == "insert_rescaling"
