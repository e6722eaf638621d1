"""The data check on CSV tables and image folders (`sources.check_source`), which the
Training dock makes before Start on what its preview read: what it refuses, Keras refuses
too, and its fix makes data Keras trains on. A listed folder (the preview's) gets the
issues the run's opened folder gets."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.fixes import apply_fix
from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.data import DataError
from kerascanvas.runtime.sources import check_source, csv_data, image_folder, list_folder
from tests.runtime.test_sources import chain

CLASSES = ["ant", "bee", "cat", "dog", "eel"]



def refused(issues):
    """The issues a run refuses for (the images' 0..255 scale is a warning only)."""
    return [i for i in issues if i.severity == "error"]

def _table(path, classes, rows=30):
    lines = [f"{i % 4},{i / 7:.3f},{classes[i % len(classes)]}" for i in range(rows)]
    path.write_text("a,b,kind\n" + "\n".join(lines) + "\n")
    return path


def _folder(root, classes, size=(7, 5)):
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(2):
            Image.fromarray(np.full((size[1], size[0], 3), i, "uint8")).save(
                root / name / f"{i}.png")
    return root


def _fits(doc, x, y) -> None:
    model = build_model(doc)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)


def test_csv_classes_beyond_the_units_are_refused_as_keras_refuses_them(tmp_path):
    path = _table(tmp_path / "t.csv", CLASSES)
    doc = chain((2,), 3, "softmax", loss="sparse_categorical_crossentropy")
    data = csv_data(str(path), doc)
    (issue,) = check_source(doc, data)
    with pytest.raises(IndexError, match="out of bounds"):  # Keras' own answer
        _fits(doc, data.x["x"], data.y["out"])
    assert issue.code == "label_range" and issue.node == doc.outputs[0]
    assert f"labels (column 'kind' of {path}) hold 5 classes" in issue.message
    assert issue.data == {"units": len(np.unique(data.y["out"]))}
    apply_fix(doc, issue, "set_units_to_labels", UndoStack())
    assert check_source(doc, csv_data(str(path), doc)) == []
    _fits(doc, data.x["x"], data.y["out"])


def test_csv_features_that_do_not_fit_the_input_name_their_columns(tmp_path):
    path = _table(tmp_path / "t.csv", CLASSES[:2])
    doc = chain((3,), 2, "softmax")
    (issue,) = check_source(doc, csv_data(str(path), doc))
    assert issue.code == "data_shape" and issue.node == doc.find("x").id
    assert f"the training array (feature column(s) a, b of {path}) has samples of shape " \
           "(2,)" in issue.message


def test_a_listed_folder_gets_the_issue_of_the_folder_a_run_opens(tmp_path):
    root = _folder(tmp_path / "pics", CLASSES)
    doc = chain((5, 7, 3), 3, "softmax", flatten=True, loss="sparse_categorical_crossentropy")
    opened = image_folder(str(root), doc, seed=0, batch_size=10)
    (issue,) = check_source(doc, list_folder(str(root)))
    assert [issue.message] == [i.message for i in check_source(doc, opened)]
    with pytest.raises(IndexError, match="out of bounds"):
        _fits(doc, opened.train, None)
    assert issue.data == {"units": 5} and "(ant, bee, cat, dog, eel)" in issue.message
    apply_fix(doc, issue, "set_units_to_labels", UndoStack())
    assert refused(check_source(doc, list_folder(str(root)))) == []
    _fits(doc, image_folder(str(root), doc, seed=0, batch_size=10).train, None)


@pytest.mark.parametrize("shape", [(None, None, 3), (5, 7, 2), (35,)])
def test_an_input_that_cannot_take_images_is_an_issue_on_it(tmp_path, shape):
    root = _folder(tmp_path / "pics", CLASSES[:2], size=(7, 5))
    doc = chain(shape, 2, "softmax")
    (issue,) = check_source(doc, list_folder(str(root)))
    with pytest.raises(DataError) as run:
        image_folder(str(root), doc)
    assert run.value.issues == [issue] and str(run.value) == issue.message
    assert issue.code == "data_shape" and issue.node == doc.find("x").id
    assert f"Input 'x' has shape {shape}; the first image, ant/0.png, is 7x5 RGB" \
        in issue.message
    assert issue.fixes == (("set_input_to_images",) if len(shape) == 3 else ())


@pytest.mark.parametrize("shape, fixed", [((None, None, 3), [5, 7, 3]),
                                          ((4, None, 2), [4, 7, 3]), ((4, 6, None), [4, 6, 3])])
def test_the_input_fix_keeps_what_it_knows_and_keras_trains_on_the_folder(tmp_path, shape,
                                                                          fixed):
    root = _folder(tmp_path / "pics", CLASSES[:2], size=(7, 5))
    doc = chain(shape, 2, "softmax", flatten=shape[:2] != (None, None),
                loss="sparse_categorical_crossentropy")
    (issue,) = check_source(doc, list_folder(str(root)))
    apply_fix(doc, issue, "set_input_to_images", UndoStack())
    assert doc.find("x").params["shape"] == fixed
    assert refused(check_source(doc, list_folder(str(root)))) == []
    folder = image_folder(str(root), doc, seed=0, batch_size=2)
    assert folder.train[0][0].shape == (2, *fixed)  # the run reads them at that size
    if shape[:2] != (None, None):
        _fits(doc, folder.train, None)


def test_a_listed_folder_says_both_what_its_input_and_its_output_lack(tmp_path):
    """A run opening the folder stops at the Input; the preview says both at once."""
    root = _folder(tmp_path / "pics", CLASSES)
    doc = chain((None, None, 3), 3, "softmax")
    with pytest.raises(DataError) as run:
        image_folder(str(root), doc)
    issues = check_source(doc, list_folder(str(root)))
    assert [i.code for i in issues] == ["data_shape", "label_range"]
    assert issues[0] == run.value.issues[0] and issues[1].data == {"units": 5}
