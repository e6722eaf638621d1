"""The results view after a real training run on sklearn:digits with a tiny CNN."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtWidgets

from kerascanvas.app.training.controller import TrainingController
from kerascanvas.app.training.panel import TrainingPanel
from kerascanvas.app.training.records import RunRecord
from kerascanvas.app.training.results import ResultsView
from kerascanvas.graph.project import Project
from kerascanvas.graph.projectfile import to_dict
from kerascanvas.runtime.events import FINISHED, Result

from .training_fakes import start_checked

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"
CHILD_TIMEOUT_MS = 240_000


@pytest.fixture(autouse=True)
def _own_settings(tmp_path, monkeypatch):
    """Each test its own data folder: Save remembers its folder in the app's settings,
    which a test must not leave in the user's (nor read from another test)."""
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(tmp_path / "data"))


def digits_doc(**training):
    doc = Project.open(EXAMPLES / "digits_cnn.json").doc
    doc.training.update({"epochs": 1, "batch_size": 64, **training})
    return doc


def shown_matrix(view: ResultsView) -> np.ndarray:
    table = view.confusion
    return np.array([[int(table.item(i, j).text()) for j in range(table.columnCount())]
                     for i in range(table.rowCount())])


def check_filled(view: ResultsView, tmp_path) -> None:
    """The confusion matrix equals scikit-learn's on the saved predictions; the saved
    model loads in safe mode and predicts what was saved."""
    from sklearn.metrics import confusion_matrix

    from kerascanvas.runtime.keras_env import import_keras

    evaluation = view.record.result.evaluation
    with np.load(evaluation["predictions"]) as saved:
        y_true, y_pred, x = saved["y_true"], saved["y_pred"], saved["x"]
    np.testing.assert_array_equal(shown_matrix(view),
                                  confusion_matrix(y_true, y_pred, labels=range(10)))
    headers = [view.metrics.horizontalHeaderItem(i).text()
               for i in range(view.metrics.columnCount())]
    assert headers[3] == "validation\n(final evaluation)" and len(set(headers)) == len(headers)
    # Two-line headers keep the columns as narrow as the longer of their lines, so the
    # table fits a small screen's dock without a horizontal scroll bar.
    one_line = view.metrics.horizontalHeader().fontMetrics().horizontalAdvance(
        " ".join(headers[3].split()))
    assert view.metrics.columnWidth(3) < one_line
    assert view.samples_grid.count() == min(len(x), 18)
    shown = min(len(x), 18)
    wrong = view.samples.findChildren(QtWidgets.QLabel, "wrong")
    assert len(wrong) == int((y_true[:shown] != y_pred[:shown]).sum())
    assert all("true" in label.text() for label in wrong)
    path = view.save_model(str(tmp_path / "trained"))
    model = import_keras().saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(model.predict(x, verbose=0).argmax(-1), y_pred[:len(x)])


def test_a_digits_run_fills_the_confusion_matrix(qtbot, tmp_path):
    from kerascanvas.runtime.worker import train_document

    save = tmp_path / "run.keras"
    result = train_document({"document": to_dict(digits_doc()), "save": str(save)},
                            lambda event: None)
    record = RunRecord(1, {}, status=result.status, result=result, saved_path=str(save))
    view = ResultsView()
    qtbot.addWidget(view)
    view.show_run(record)
    assert view.save_button.isEnabled() and "evaluated on validation" in view.title.text()
    check_filled(view, tmp_path)


def test_outputs_after_the_first_are_selectable(qtbot, tmp_path):
    rng = np.random.default_rng(0)
    second_true, second_pred = rng.integers(0, 2, 20), rng.integers(0, 2, 20)
    np.savez(tmp_path / "p.npz", outputs=np.array(["department", "priority"]),
             y_true=rng.integers(0, 4, 20), y_pred=rng.integers(0, 4, 20),
             y_true_1=second_true, y_pred_1=second_pred, class_names=np.array(list("abcd")))
    record = RunRecord(1, {}, status="finished")
    record.result = Result(FINISHED, evaluation={"split": "validation", "metrics": {},
                                                 "predictions": str(tmp_path / "p.npz")})
    view = ResultsView()
    qtbot.addWidget(view)
    view.show_run(record)
    assert view.output.isVisibleTo(view) and view.confusion.rowCount() == 4
    view.output.setCurrentIndex(1)
    expected = np.bincount(2 * second_true + second_pred, minlength=4).reshape(2, 2)
    np.testing.assert_array_equal(shown_matrix(view), expected)


def test_an_evaluation_failure_is_shown(qtbot):
    record = RunRecord(1, {}, status="finished")
    record.result = Result(FINISHED, evaluation_error="Could not evaluate the trained model: "
                                                      "no data")
    view = ResultsView()
    qtbot.addWidget(view)
    view.show_run(record)
    assert "Could not evaluate" in view.title.text() and view.confusion.rowCount() == 0


@pytest.mark.slow
def test_the_panel_trains_digits_in_the_worker_and_shows_results(qtbot, tmp_path):
    panel = TrainingPanel(Project(digits_doc()),
                          TrainingController(save_dir=str(tmp_path / "runs")))
    qtbot.addWidget(panel)
    try:
        assert start_checked(panel, qtbot)
        record = panel.controller.current
        qtbot.waitUntil(lambda: record.epochs is not None, timeout=CHILD_TIMEOUT_MS)
        # The child lowered its own priority, so the GUI wins the CPU.
        child = os.getpriority(os.PRIO_PROCESS, record.source.process.pid)
        assert child >= min(os.getpriority(os.PRIO_PROCESS, 0) + 10, 19)
        qtbot.waitUntil(lambda: not record.active, timeout=CHILD_TIMEOUT_MS)
        assert record.status == "finished", record.message
        assert panel.results.record is record
        check_filled(panel.results, tmp_path)
    finally:
        panel.shutdown()


def test_save_offers_a_place_beside_the_project(qtbot, tmp_path, monkeypatch):
    from PySide6 import QtCore
    from PySide6.QtTest import QTest

    saved = tmp_path / "net.runs" / "run_2.keras"
    saved.parent.mkdir()
    saved.write_bytes(b"model")
    record = RunRecord(2, {}, status="finished", saved_path=str(saved),
                       folder=str(saved.parent))
    record.result = Result(FINISHED)
    view = ResultsView()
    qtbot.addWidget(view)
    view.show()
    view.show_run(record)
    offered = []
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda parent, title, path, filters: offered.append(path) or ("", ""))
    QTest.mouseClick(view.save_button, QtCore.Qt.LeftButton)
    assert offered == [str(tmp_path / "net_run_2.keras")]


@pytest.mark.slow  # another process imports keras and torch and traces the model: ~20 s
def test_save_exports_a_run_to_onnx_with_its_trained_weights(qtbot, tmp_path, monkeypatch):
    """Save trained model offered .keras only: ONNX goes through `kerascanvas export
    --weights RUN.keras` in another process, and the ONNX graph computes what the run's
    model computes."""
    import keras
    import onnxruntime as ort
    from PySide6 import QtCore
    from PySide6.QtTest import QTest

    from kerascanvas.graph.document import Document, Edge
    from kerascanvas.runtime.build import build_model

    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [4]})
    out = doc.add_node("Dense", "out", {"units": 2})
    doc.connect(Edge(x.id, 0, out.id, 0))
    doc.set_outputs([out.id])
    trained = build_model(doc)
    rng = np.random.default_rng(0)
    trained.set_weights([rng.standard_normal(w.shape).astype("float32")
                         for w in trained.get_weights()])
    saved = tmp_path / "net.runs" / "run_1.keras"
    saved.parent.mkdir()
    trained.save(saved)
    out.params["units"] = 3  # the graph changed since the run: the run's model is exported
    record = RunRecord(1, {}, status="finished", saved_path=str(saved), folder=str(saved.parent))
    record.result = Result(FINISHED)
    view = ResultsView(lambda: doc)
    qtbot.addWidget(view)
    view.show_run(record)
    said = []
    view.status_message.connect(said.append)
    target = tmp_path / "net_run_1"  # the ONNX filter chosen, no suffix typed
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda *args: (str(target), "ONNX model, needs the onnx extra of the "
                                                    "install (*.onnx)"))
    QTest.mouseClick(view.save_button, QtCore.Qt.LeftButton)
    assert view.export_process is not None and not view.save_button.isEnabled()
    qtbot.waitUntil(lambda: view.export_process is None, timeout=CHILD_TIMEOUT_MS)
    onnx = target.with_suffix(".onnx")
    assert said[-1] == f"Saved the trained model to {onnx} (ONNX)", said
    assert view.save_button.isEnabled()
    sample = rng.standard_normal((3, 4)).astype("float32")
    session = ort.InferenceSession(str(onnx), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: sample})
    np.testing.assert_allclose(got, keras.ops.convert_to_numpy(trained(sample)), atol=1e-5)


def test_the_scores_table_reads_as_a_table_of_numbers(qtbot):
    """It had row numbers 1, 2 before the metric names (a second, meaningless first
    column) and its scores left-aligned, so their digits did not line up."""
    from PySide6 import QtCore

    record = RunRecord(1, {}, status="finished")
    record.result = Result(FINISHED, history={"loss": [0.5, 0.1276], "accuracy": [0.8, 0.96],
                                              "val_loss": [0.6, 0.14]},
                           metrics={"loss": 0.1362, "accuracy": 0.9556}, evaluated_on="validation")
    view = ResultsView()
    qtbot.addWidget(view)
    view.show_run(record)
    table = view.metrics
    assert not table.verticalHeader().isVisibleTo(view)
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == ["loss", "accuracy"]
    right = QtCore.Qt.AlignRight
    for row in range(table.rowCount()):
        for column in range(1, table.columnCount()):
            item = table.item(row, column)
            assert item.text() == "" or item.textAlignment() & right, (row, column)


def test_a_run_read_back_from_its_folder_is_saved_beside_its_project(qtbot, tmp_path):
    """A run of an earlier session (read from net.runs) offered to save as ~/run_2.keras,
    while a run of this session offered net_run_2.keras beside the project."""
    from kerascanvas.app.training.history import load_runs, save_runs

    folder = tmp_path / "net.runs"
    folder.mkdir()
    record = RunRecord(2, {}, status=FINISHED, folder=str(folder))
    record.result = Result(FINISHED)
    save_runs(folder, [record])
    (loaded,), problem = load_runs(folder)
    assert problem is None
    view = ResultsView()
    qtbot.addWidget(view)
    view.show_run(loaded)
    assert view.suggested_path() == str(tmp_path / "net_run_2.keras")


@pytest.mark.parametrize("width", [1000, 300])
def test_the_confusion_matrix_uses_the_width_it_has(qtbot, tmp_path, width):
    """Its columns were as narrow as their counts, and it scrolled sideways in a panel
    with free width: they share the width, none narrower than its header and counts."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "p.npz", y_true=rng.integers(0, 10, 300),
             y_pred=rng.integers(0, 10, 300))
    record = RunRecord(1, {}, status="finished")
    record.result = Result(FINISHED, evaluation={"split": "test", "metrics": {},
                                                 "predictions": str(tmp_path / "p.npz")})
    view = ResultsView()
    qtbot.addWidget(view)
    view.resize(width, 500)
    view.show()
    view.show_run(record)
    view.tabs.setCurrentWidget(view.confusion_page)
    qtbot.waitExposed(view)
    table, header = view.confusion, view.confusion.horizontalHeader()
    QtWidgets.QApplication.processEvents()
    needed = [max(table.sizeHintForColumn(j), header.sectionSizeHint(j)) for j in range(10)]
    shown = [header.sectionSize(j) for j in range(10)]
    assert all(s >= n for s, n in zip(shown, needed, strict=True))
    fits = sum(needed) <= table.viewport().width()
    assert table.horizontalScrollBar().isVisible() == (not fits)
    if fits:  # the columns fill the width
        assert sum(shown) >= table.viewport().width() - 10


def shown_rows(view: ResultsView) -> tuple[list[str], list[list[str]]]:
    table = view.samples.findChild(QtWidgets.QTableWidget, "sampleRows")
    headers = [table.horizontalHeaderItem(j).text() for j in range(table.columnCount())]
    return headers, [[table.item(i, j).text() for j in range(table.columnCount())]
                     for i in range(table.rowCount())]


def view_of(qtbot, path) -> ResultsView:
    record = RunRecord(1, {}, status="finished")
    record.result = Result(FINISHED, evaluation={"split": "validation", "metrics": {},
                                                 "predictions": str(path)})
    view = ResultsView()
    qtbot.addWidget(view)
    view.show_run(record)
    return view


def test_table_data_predictions_are_listed_row_by_row(qtbot, tmp_path):
    """Rows of a CSV file are no images: each sample is a row with its first input values,
    the predicted and the true class (the tab was empty)."""
    x = np.array([[5.1, 3.5, 1.4, 0.2], [6.3, 2.9, 5.6, 1.8], [5.9, 3.0, 4.2, 1.5]])
    np.savez(tmp_path / "p.npz", outputs=np.array(["species"]), x=x,
             y_true=np.array([0, 2, 1]), y_pred=np.array([0, 2, 2]),
             class_names=np.array(["setosa", "versicolor", "virginica"]))
    view = view_of(qtbot, tmp_path / "p.npz")
    headers, rows = shown_rows(view)
    assert headers == ["input", "predicted", "true"]
    assert rows == [["5.1, 3.5, 1.4, 0.2", "✓ setosa", "setosa"],
                    ["6.3, 2.9, 5.6, 1.8", "✓ virginica", "virginica"],
                    ["5.9, 3, 4.2, 1.5", "✗ virginica", "versicolor"]]
    assert "row" in view.samples_hint.text()
    assert view.confusion.rowCount() == 3


def test_regression_predictions_are_listed_with_their_error(qtbot, tmp_path):
    y_true = np.array([[1.5], [-2.0]], dtype="float32")
    y_pred = np.array([[1.25], [-1.0]], dtype="float32")
    np.savez(tmp_path / "p.npz", outputs=np.array(["price"]), y_true=y_true, y_pred=y_pred,
             x=np.arange(20.0).reshape(2, 10))
    view = view_of(qtbot, tmp_path / "p.npz")
    headers, rows = shown_rows(view)
    assert headers == ["input", "predicted", "true", "predicted − true"]
    assert rows == [["0, 1, 2, 3, 4, 5, …", "1.25", "1.5", "-0.25"],
                    ["10, 11, 12, 13, 14, 15, …", "-1", "-2", "1"]]
    assert view.confusion.rowCount() == 0


def test_predictions_without_inputs_list_the_labels_alone(qtbot, tmp_path):
    np.savez(tmp_path / "p.npz", outputs=np.array(["flag"]), y_true=np.array([1, 0]),
             y_pred=np.array([1, 1]))
    headers, rows = shown_rows(view_of(qtbot, tmp_path / "p.npz"))
    assert headers == ["predicted", "true"]
    assert rows == [["✓ 1", "1"], ["✗ 1", "0"]]


@pytest.mark.parametrize("project", [True, False])
def test_save_opens_in_the_folder_the_last_export_used(qtbot, tmp_path, monkeypatch, project):
    """Save trained model opened in the home folder right after File › Export Model had
    written to another folder; its choice is remembered for the next export too."""
    from kerascanvas.app.window import files

    exported = tmp_path / "exp"
    exported.mkdir()
    files.remember_export_folder(str(exported / "digits.keras"))
    folder = tmp_path / "net.runs" if project else tmp_path / "data" / "untitled"
    folder.mkdir(parents=True)
    record = RunRecord(3, {}, status=FINISHED, folder=str(folder))
    record.result = Result(FINISHED)
    view = ResultsView()
    qtbot.addWidget(view)
    view.show_run(record)
    name = "net_run_3.keras" if project else "run_3.keras"
    assert view.suggested_path() == str(exported / name)
    chosen = tmp_path / "other" / "mine.keras"
    chosen.parent.mkdir()
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a: (str(chosen), "Keras model (*.keras)")))
    monkeypatch.setattr(view, "save_model", lambda path: path)
    view._on_save_clicked()
    assert files.export_folder() == str(chosen.parent)
