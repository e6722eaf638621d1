"""After training, the worker evaluates and saves predictions the app can show."""

from pathlib import Path

import numpy as np
import pytest

from kerascanvas.graph.project import Project
from kerascanvas.graph.projectfile import to_dict
from kerascanvas.runtime.events import FINISHED
from kerascanvas.runtime.keras_env import import_keras
from kerascanvas.runtime.worker import train_document

keras = import_keras()
EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"


def digits_doc(**training):
    doc = Project.open(EXAMPLES / "digits_cnn.json").doc
    doc.training.update({"epochs": 1, "batch_size": 64, **training})
    return doc


def run(doc, tmp_path, **payload):
    save = tmp_path / "model.keras"
    result = train_document({"document": to_dict(doc), "save": str(save), **payload},
                            lambda event: None)
    assert result.status == FINISHED, result.message
    return result, save


def test_digits_predictions_match_the_saved_model_on_validation_data(tmp_path):
    from sklearn.datasets import load_digits

    result, save = run(digits_doc(), tmp_path)
    evaluation = result.evaluation
    assert evaluation["split"] == "validation"
    assert evaluation["predictions"] == str(tmp_path / "model.predictions.npz")
    with np.load(evaluation["predictions"]) as saved:
        arrays = {k: saved[k] for k in saved.files}
    digits = load_digits()
    model = keras.saving.load_model(save, safe_mode=True)
    x_val, y_val = _validation(digits_doc())
    assert len(y_val) == len(digits.target) - int(np.floor(len(digits.target) * 0.8))
    np.testing.assert_array_equal(arrays["y_true"], y_val.reshape(-1))
    np.testing.assert_array_equal(arrays["y_pred"], model.predict(x_val, verbose=0).argmax(-1))
    np.testing.assert_array_equal(arrays["x"], x_val[:32])
    assert arrays["y_pred"].dtype.kind == "i" and arrays["x"].shape == (32, 8, 8, 1)
    scores = model.evaluate(x_val, y_val, verbose=0, return_dict=True)
    assert evaluation["metrics"]["accuracy"] == pytest.approx(scores["accuracy"], abs=1e-6)
    accuracy = float(np.mean(arrays["y_true"] == arrays["y_pred"]))
    assert evaluation["metrics"]["accuracy"] == pytest.approx(accuracy, abs=1e-6)


def _validation(doc):
    from kerascanvas.runtime.data import load_data
    from kerascanvas.runtime.fitplan import split_validation
    from kerascanvas.runtime.train import prepare

    doc, settings = prepare(doc)
    data = load_data(settings["data"], doc, settings["seed"])
    _, _, xv, yv = split_validation(data, settings["validation_split"])
    return next(iter(xv.values())), next(iter(yv.values()))


def test_test_data_is_used_when_given_and_regression_keeps_values(tmp_path):
    doc = Project.open(EXAMPLES / "mnist_mlp.json").doc
    out = doc.node(doc.outputs[0])
    doc.set_param(out.id, "activation", "linear")
    doc.set_param(out.id, "units", 1)
    doc.training = {"data": "synthetic:64", "epochs": 1, "batch_size": 32, "seed": 0,
                    "loss": "mean_squared_error"}
    result, save = run(doc, tmp_path, test_data="synthetic:40")
    evaluation = result.evaluation
    assert evaluation["split"] == "test" and "loss" in evaluation["metrics"]
    with np.load(evaluation["predictions"]) as saved:
        assert saved["y_pred"].dtype == np.float32 and saved["y_pred"].shape == (40, 1)
        assert saved["y_true"].shape == (40, 1) and list(saved["outputs"]) == [out.name]
        # rows of table data are kept too (the window lists them with their predictions):
        # the samples the first predictions were made from
        x, first = saved["x"], saved["y_pred"][:32]
    assert x.shape == (32, 784)
    model = keras.saving.load_model(save, safe_mode=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), first, rtol=1e-5, atol=1e-6)


def test_an_image_folder_gives_class_names_and_images(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for name in ("cat", "dog", "owl"):
        (tmp_path / "images" / name).mkdir(parents=True)
        for i in range(6):
            pixels = rng.integers(0, 255, (8, 8), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / "images" / name / f"{i}.png")
    doc = digits_doc(data=f"images:{tmp_path / 'images'}", validation_split=0.5,
                     batch_size=4)
    out = doc.node(doc.outputs[0])
    doc.set_param(out.id, "units", 3)
    result, _ = run(doc, tmp_path)
    with np.load(result.evaluation["predictions"]) as saved:
        assert list(saved["class_names"]) == ["cat", "dog", "owl"]
        assert saved["x"].shape == (9, 8, 8, 1) and len(saved["y_true"]) == 9
        assert set(saved["y_pred"]) <= {0, 1, 2}


def test_the_settings_test_data_is_evaluated_when_the_run_names_none(tmp_path):
    doc = Project.open(EXAMPLES / "mnist_mlp.json").doc
    doc.training = {"data": "synthetic:64", "epochs": 1, "batch_size": 32, "seed": 0,
                    "test_data": "synthetic:24"}
    result, _ = run(doc, tmp_path)
    evaluation = result.evaluation
    assert evaluation["split"] == "test"
    with np.load(evaluation["predictions"]) as saved:
        assert saved["y_true"].shape[0] == 24


def test_data_that_does_not_fit_is_refused_with_issues_naming_the_nodes(tmp_path):
    doc = Project.open(EXAMPLES / "mnist_cnn.json").doc  # a 28x28x1 Input
    doc.training.update({"data": "sklearn:digits", "epochs": 1})  # 8x8 images
    result = train_document({"document": to_dict(doc), "save": str(tmp_path / "m.keras")},
                            lambda event: None)
    assert result.status != FINISHED
    image = next(n for n in doc.nodes.values() if n.kind == "Input")
    shapes = [i for i in result.issues if i.node == image.id]
    assert shapes and all(i.severity == "error" for i in shapes)
    assert "(8, 8, 1)" in shapes[0].message or "8, 8" in shapes[0].message
