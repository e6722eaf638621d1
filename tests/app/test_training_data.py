"""The Training dock's data: previews off the GUI thread, missing files refused at Start,
relative paths read next to the project."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6 import QtCore

from kerascanvas.app.training.preview_read import preview_data

from .training_fakes import FakeRun, mlp, training_panel


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def test_preview_of_sklearn_data_loads_off_the_gui_thread(panel, qtbot, monkeypatch):
    from sklearn.datasets import load_iris

    import kerascanvas.app.training.preview_read as module

    threads = []
    original = module.preview_data
    monkeypatch.setattr(module, "preview_data", lambda *a: threads.append(
        threading.current_thread()) or original(*a))
    panel.data.request("sklearn:iris", panel.doc)
    qtbot.waitUntil(lambda: "samples" in panel.data.info.text(), timeout=20000)
    assert threads and threads[0] is not threading.main_thread()
    counts = np.bincount(load_iris().target)
    text = panel.data.info.text()
    assert f"{len(load_iris().target)} samples" in text
    assert all(f"{i}×{n}" in text for i, n in enumerate(counts))


def test_preview_of_an_image_folder(tmp_path):
    from PIL import Image

    for name, count in (("cat", 3), ("dog", 2)):
        (tmp_path / name).mkdir()
        for i in range(count):
            Image.new("RGB", (20, 10), (i * 40, 0, 0)).save(tmp_path / name / f"{i}.png")
    found = preview_data(f"images:{tmp_path}", mlp())
    assert found["counts"] == {"images per class": {"cat": 3, "dog": 2}}
    assert len(found["images"]) == 4 and found["images"][0].shape[-1] == 3


def test_class_counts_name_the_output_they_count(panel, qtbot):
    """An output named 'classes' read as 'classes classes: 0×178, ...': each output's
    counts are on a line of their own, the output named as such, in quotes."""
    from sklearn.datasets import load_digits

    out = next(n for n in panel.doc.nodes.values() if n.name == "out")
    out.name, out.params["units"] = "classes", 10
    panel.doc.nodes[next(iter(panel.doc.nodes))].params["shape"] = [64]
    panel.data.request("sklearn:digits", panel.doc)
    qtbot.waitUntil(lambda: "samples" in panel.data.info.text(), timeout=20000)
    lines = panel.data.info.text().splitlines()
    counts = ", ".join(f"{i}×{n}" for i, n in enumerate(np.bincount(load_digits().target)))
    assert lines[-1] == f"samples per class of output 'classes': {counts}"
    assert any(line.startswith("output 'classes': ") for line in lines)
    assert not any("classes classes" in line for line in lines)


def test_preview_errors_are_shown(panel, qtbot):
    panel.data.request("nosuch:thing", panel.doc)
    qtbot.waitUntil(lambda: "Expected a data spec" in panel.data.info.text(), timeout=5000)


# ---- results ------------------------------------------------------------------------


def test_a_missing_data_file_is_refused_before_a_worker_starts(panel, qtbot, tmp_path):
    from PySide6.QtTest import QTest

    panel.show()
    missing = str(tmp_path / "nowhere.npz")
    line = panel.data.spec
    line.selectAll()
    QTest.keyClicks(line, missing)
    QTest.keyClick(line, QtCore.Qt.Key_Return)
    assert panel.doc.training["data"] == missing
    with qtbot.waitSignal(panel.status_message) as said:
        QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    assert not FakeRun.made and panel.controller.current is None
    assert repr(missing) in said.args[0] and "does not exist" in said.args[0]
    assert panel.tabs.currentWidget() is panel.log


def test_relative_paths_of_the_settings_are_read_next_to_the_project(panel, qtbot, tmp_path):
    """A checkpoint was written, and data read, in the folder the app was started from."""
    from PySide6.QtTest import QTest

    folder = tmp_path / "project"
    folder.mkdir()
    np.savez(folder / "d.npz", x=np.zeros((4, 4)), y=np.zeros(4))
    panel.follow_project(str(folder / "net.json"))
    panel.doc.training = {**panel.doc.training, "data": "d.npz", "callbacks": [
        {"name": "model_checkpoint", "filepath": "ck/best.keras"},
        {"name": "csv_logger", "filename": str(tmp_path / "log.csv")},
        {"name": "tensorboard"}, {"name": "early_stopping"}]}
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    assert FakeRun.made, panel.log.toPlainText()
    overrides = FakeRun.made[-1].overrides
    assert overrides["data"] == str(folder / "d.npz")
    assert overrides["callbacks"] == [
        {"name": "model_checkpoint", "filepath": str(folder / "ck" / "best.keras")},
        {"name": "csv_logger", "filename": str(tmp_path / "log.csv")},
        {"name": "tensorboard", "log_dir": str(folder / "logs")}, {"name": "early_stopping"}]
    assert panel.doc.training["data"] == "d.npz"  # the project keeps what the user wrote


def test_the_projects_data_is_previewed_when_the_tab_shows(panel, qtbot):
    """The preview came only after the data spec was edited; an opened project showed none."""
    panel.show()
    qtbot.waitUntil(lambda: "150 samples" in panel.data.info.text(), timeout=10_000)
    panel.doc.training = {**panel.doc.training, "data": "synthetic:40"}
    panel.refresh()
    qtbot.waitUntil(lambda: "40 samples" in panel.data.info.text(), timeout=10_000)


@pytest.mark.parametrize("labels, counted", [
    (np.eye(3, dtype="float32")[[0, 1, 1, 2, 2, 2]], {0: 1, 1: 2, 2: 3}),  # one-hot
    (np.eye(3, dtype="int64")[[0, 1, 1, 2, 2, 2]], {0: 1, 1: 2, 2: 3}),  # one-hot ints
    (np.array([2, 0, 2]), {0: 1, 2: 2}),  # class ids
    (np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1]] * 3, dtype="float32"), {0: 3, 1: 3}),
    (np.random.default_rng(0).normal(size=(6, 3)).astype("float32"), None),  # targets
])
def test_classes_are_counted_only_where_labels_read_as_classes(tmp_path, labels, counted):
    """Rows of per-class probabilities (one-hot or soft) are counted by their likeliest
    class; regression targets of several values are not classes, so no counts."""
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((len(labels), 4), "float32"), out=labels)
    found = preview_data(str(path), mlp())
    expected = {"samples per class of output 'out'": counted} if counted else {}
    assert found["counts"] == expected


# ---- what the preview reads -----------------------------------------------------------
def _csv(tmp_path) -> str:
    path = tmp_path / "t.csv"
    kinds = ["setosa", "virginica", "versicolor", "virginica"]
    path.write_text("a,b,c,d,kind\n" + "".join(
        f"{i},{i % 5},{i % 7},0.5,{kinds[i % 4]}\n" for i in range(37)))
    return f"csv:{path}"


@pytest.mark.parametrize("spec", ["synthetic:64", "synthetic", "sklearn:iris", "csv"])
def test_the_previews_counts_are_those_of_the_arrays_a_run_loads(tmp_path, spec):
    """The preview drew synthetic data with no seed (its counts were another draw's than the
    run's) and counted a CSV file's last column by its text."""
    from kerascanvas.runtime.sources import open_source

    doc = mlp()
    doc.training = {**doc.training, "seed": 11}
    spec = _csv(tmp_path) if spec == "csv" else spec
    full = open_source(spec, doc, 11)
    ids = full.y["out"].argmax(-1) if full.y["out"].ndim == 2 else full.y["out"]
    found = preview_data(spec, doc)
    counts = dict(zip(*np.unique(ids, return_counts=True), strict=True))
    if spec.startswith("csv:"):
        counts = {full.class_names["out"][k]: v for k, v in counts.items()}
        assert found["counts"] == {"rows per value of column 'kind'": counts}
        assert found["lines"][0].startswith(f"{full.num_samples} rows")
    else:
        assert found["counts"] == {"samples per class of output 'out'": counts}
        assert found["lines"][0] == f"{full.num_samples} samples"


def test_synthetic_thumbnails_are_the_first_samples_a_run_trains_on():
    from kerascanvas.runtime.sources import open_source
    from tests.runtime.test_data import classifier

    doc = classifier(shape=(32, 32, 3))
    doc.training = {"seed": 4}
    found = preview_data("synthetic:100", doc)
    np.testing.assert_array_equal(found["images"], open_source("synthetic:100", doc, 4).x[
        "image"][:len(found["images"])])
    assert len(found["images"]) == 8


@pytest.mark.parametrize("parts, reasons", [
    ((), ["no Input node", "no output to derive labels from"]),
    (("input",), ["no output to derive labels from"]),
])
def test_synthetic_data_of_a_half_built_model_says_what_it_lacks(parts, reasons):
    """An imported or half-built project read "0 samples" and no more."""
    from kerascanvas.graph.document import Document

    doc = Document()
    if parts:
        doc.add_node("Input", name="x", params={"shape": [4]})
    text = "\n".join(preview_data("synthetic:16", doc)["lines"])
    assert all(reason in text for reason in reasons), text
    assert ("no Input node" in text) == (not parts)
    assert text.startswith("0 samples" if not parts else "16 samples")
    assert "no seed set" not in text  # no draw to speak of


def test_the_last_datas_thumbnails_go_when_other_data_is_asked_for(panel, qtbot):
    from tests.runtime.test_data import classifier

    doc = classifier(shape=(8, 8, 1))
    panel.data.request("synthetic:20", doc)
    qtbot.waitUntil(lambda: panel.data.images.count() == 8, timeout=10_000)
    panel.data.request("synthetic:30", doc)
    qtbot.waitUntil(lambda: panel.data.images.count() == 0, timeout=1000)  # before it loads
    assert panel.data.info.text().startswith("Reading synthetic:30")
    qtbot.waitUntil(lambda: panel.data.images.count() == 8, timeout=10_000)


def test_many_classes_are_summed_up_not_listed():
    """An imported ImageNet head's synthetic labels listed some 230 classes, one by one."""
    from kerascanvas.app.training.preview_read import describe
    from tests.runtime.test_data import classifier

    doc = classifier(units=1000, shape=(4,))
    doc.training = {"seed": 2}
    found = preview_data("synthetic:256", doc)
    counts = found["counts"]["samples per class of output 'out'"]
    assert sum(counts.values()) == 256 and len(counts) > 20
    assert describe(found).splitlines()[-1] == (
        f"samples per class of output 'out': {len(counts)} classes, "
        f"{min(counts.values())} to {max(counts.values())} each")
