"""Start refuses CSV files, image folders and synthetic specs that the run's own check
(`runtime.train.load_checked_data`) refuses, before any worker starts: the same issues,
naming the node, the file, column or folder and what was received, in the preview, in
Issues (with their fix) and in the log. Before, only `.npz`/`.npy` and scikit-learn data
were checked at Start; the others failed in the worker some 10 s later.

After an edit a CSV table is shaped again for the model from the rows read (3.9 s for
200,000 rows read again at each edit of the output's units), until its file changes; a
scikit-learn set is loaded once per session."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from kerascanvas.app.training import preview_read
from kerascanvas.app.training.controller import TrainingController
from kerascanvas.app.training.panel import TrainingPanel
from kerascanvas.graph.commands import SetParam
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.fixes import apply_fix
from kerascanvas.graph.project import Project
from kerascanvas.runtime import data as runtime_data
from kerascanvas.runtime import sources
from kerascanvas.runtime.dataset import DataError
from kerascanvas.runtime.sources import open_source
from kerascanvas.runtime.train import load_checked_data, prepare

from .training_fakes import FakeRun, mlp, started

SPECIES = ["setosa", "versicolor", "virginica", "arctica", "borealis"]


def model(shape, middle: str | None = None) -> Document:
    """Input `shape` (-> `middle`: Flatten, a pooling) -> Dense(3, softmax), the Training
    dock's test model."""
    doc = mlp()
    x, out = doc.find("x"), doc.find("out")
    x.params["shape"] = list(shape)
    if middle:
        middle = doc.add_node(middle)
        doc.disconnect(doc.in_edges(out.id)[0])
        doc.connect(Edge(x.id, 0, middle.id, 0))
        doc.connect(Edge(middle.id, 0, out.id, 0))
    return doc


@pytest.fixture
def make_panel(qtbot, tmp_path):
    made = []

    def make(doc: Document) -> TrainingPanel:
        FakeRun.made.clear()
        controller = TrainingController(FakeRun, save_dir=str(tmp_path / "runs"),
                                        poll_interval=0.005)
        made.append(TrainingPanel(Project(doc), controller))
        qtbot.addWidget(made[-1])
        made[-1].show()
        return made[-1]

    yield make
    for panel in made:
        panel.shutdown()


@pytest.fixture
def panel(make_panel):
    return make_panel(model((4,)))


def _runtime_issues(doc) -> list:
    """What the worker's own check raises for `doc` (the run that would fail)."""
    doc, settings = prepare(doc)
    with pytest.raises(DataError) as raised:
        load_checked_data(doc, settings)
    return list(raised.value.issues)


def write_csv(path, classes: list[str], rows: int = 40):
    lines = [f"{i % 7},{i % 3 / 2},{i % 5},{i / 10},{classes[i % len(classes)]}"
             for i in range(rows)]
    path.write_text("a,b,c,d,species\n" + "\n".join(lines) + "\n")
    return path


def write_folder(root, classes: int, size=(8, 6)):
    for c in range(classes):
        (root / f"class{c}").mkdir(parents=True)
        for i in range(2):
            pixels = np.full((size[1], size[0], 3), 40 * c + i, "uint8")
            Image.fromarray(pixels).save(root / f"class{c}" / f"{i}.png")
    return root


def type_spec(panel, spec: str) -> None:
    """Type `spec` in the data field and leave it, as a user does."""
    panel.data.spec.setText(spec)
    panel.data.spec.editingFinished.emit()


def use_data(panel, qtbot, spec: str) -> None:
    type_spec(panel, spec)
    qtbot.waitUntil(lambda: panel.data._data is not None, timeout=30_000)


def refused(panel, qtbot) -> list:
    """Start, which must refuse: no run made nor numbered; what Issues heard."""
    heard = []
    panel.controller.data_issues_found.connect(heard.append)
    assert not panel.start()
    # A read slower than Start's brief wait (a first import, a busy machine): Start waits
    # for the check, which then refuses.
    qtbot.waitUntil(lambda: bool(heard), timeout=30_000)
    assert FakeRun.made == [] and panel.controller.runs == []
    return heard[-1]


def test_a_csv_label_column_with_more_classes_than_units_is_refused_at_start(
        panel, qtbot, tmp_path):
    use_data(panel, qtbot, f"csv:{write_csv(tmp_path / 't.csv', SPECIES)}")
    expected = _runtime_issues(panel.doc)
    heard = refused(panel, qtbot)
    assert [i.message for i in heard] == [i.message for i in expected]
    (issue,) = heard
    assert issue.node == panel.doc.find("out").id and issue.fixes == ("set_units_to_labels",)
    assert "column 'species' of" in issue.message and "t.csv" in issue.message
    assert "5 classes" in issue.message and "3 unit(s)" in issue.message
    assert panel.data.problems.isVisible() and issue.message in panel.data.problems.text()
    assert issue.message in panel.log.toPlainText()
    apply_fix(panel.doc, issue, "set_units_to_labels", panel.project.stack)
    assert panel.doc.find("out").params["units"] == len(SPECIES)
    qtbot.waitUntil(lambda: not panel.data.problems.isVisible(), timeout=30_000)
    run, record = started(panel, qtbot)
    assert record.label == "Run 1"
    run.push({"event": "result", "status": "finished"})


def test_an_image_folder_with_more_classes_than_units_is_refused_with_its_fix(
        make_panel, qtbot, tmp_path):
    panel = make_panel(model((6, 8, 3), "Flatten"))
    use_data(panel, qtbot, f"images:{write_folder(tmp_path / 'pics', 5)}")
    expected = _runtime_issues(panel.doc)
    (issue,) = refused(panel, qtbot)
    assert issue.message == expected[0].message and issue.code == "label_range"
    assert "class0, class1, class2, class3, class4" in issue.message
    assert issue.data == {"units": 5} and issue.fixes == ("set_units_to_labels",)
    apply_fix(panel.doc, issue, "set_units_to_labels", panel.project.stack)
    run, record = started(panel, qtbot)  # the folder is listed alike for any model
    run.push({"event": "result", "status": "finished"})


@pytest.mark.parametrize("shape, middle", [
    ((None, None, 3), "GlobalAveragePooling2D"), ((6, 8, 2), "Flatten"), ((48,), None)])
def test_an_input_that_cannot_take_the_images_is_refused_naming_it(make_panel, qtbot,
                                                                    tmp_path, shape, middle):
    panel = make_panel(model(shape, middle))
    use_data(panel, qtbot, f"images:{write_folder(tmp_path / 'pics', 3)}")
    expected = _runtime_issues(panel.doc)
    (issue,) = refused(panel, qtbot)
    assert issue.message == expected[0].message and issue.code == "data_shape"
    assert issue.node == panel.doc.find("x").id
    assert f"Input 'x' has shape {shape}" in issue.message
    assert "the first image, class0/0.png, is 8x6 RGB" in issue.message
    assert str(tmp_path / "pics") in issue.message
    if len(shape) == 3:  # the fix, as the Issues table applies it: Start runs
        assert "(fix: Shape the Input for the images, in Issues)" in \
            panel.data.problems.text()
        apply_fix(panel.doc, issue, "set_input_to_images", panel.project.stack)
        run, record = started(panel, qtbot)
        run.push({"event": "result", "status": "finished"})


def test_a_csv_the_runs_reader_refuses_is_refused_at_start(panel, qtbot, tmp_path):
    path = write_csv(tmp_path / "t.csv", SPECIES[:3])
    path.write_text(path.read_text().replace("\n0,", "\nzero,", 1))
    use_data(panel, qtbot, f"csv:{path}")
    doc, settings = prepare(panel.doc)
    with pytest.raises(DataError) as run:
        load_checked_data(doc, settings)
    (issue,) = refused(panel, qtbot)
    assert issue.message == str(run.value) and "'a' must hold numbers" in issue.message
    assert "setosa×14" in panel.data.info.text()  # its target is still counted
    assert panel.data.problems.isVisible() and str(run.value) in panel.data.problems.text()


def test_a_synthetic_count_the_run_refuses_is_refused_at_start(panel, qtbot):
    use_data(panel, qtbot, "synthetic:0")
    (issue,) = refused(panel, qtbot)
    assert "positive sample count" in issue.message


def test_start_right_after_the_spec_is_edited_waits_for_its_check(panel, qtbot, tmp_path):
    """The preview of a spec just typed was still being read: Start did not check it."""
    path = write_csv(tmp_path / "t.csv", SPECIES, rows=20_000)
    type_spec(panel, f"csv:{path}")
    assert panel.data._data is None  # on its way
    heard = refused(panel, qtbot)  # column d reaches 1999.9: its scale is warned too
    assert sorted((i.code, i.severity) for i in heard) == [("data_scale", "warning"),
                                                          ("label_range", "error")]


def test_a_data_file_fixed_on_disk_is_read_again_before_start(panel, qtbot, tmp_path):
    path = write_csv(tmp_path / "t.csv", SPECIES)
    use_data(panel, qtbot, f"csv:{path}")
    assert panel._data_issues()
    write_csv(path, SPECIES[:3], rows=41)  # other rows: the size changes with the time
    run, record = started(panel, qtbot)
    assert not panel.data.problems.isVisible()
    run.push({"event": "result", "status": "finished"})


def test_an_input_shape_edit_reads_the_csv_again_for_the_new_shape(make_panel, qtbot,
                                                                    tmp_path):
    """The run reshapes the features to the Input when their sizes agree: the preview's
    data, read for the old shape, gave an issue the run does not give."""
    panel = make_panel(model((4,), "Flatten"))
    path = write_csv(tmp_path / "t.csv", SPECIES[:3])
    use_data(panel, qtbot, f"csv:{path}")
    x = panel.doc.find("x")
    panel.project.stack.push(SetParam(panel.doc, x.id, "shape", [2, 2]))
    doc, settings = prepare(panel.doc)
    assert load_checked_data(doc, settings).x["x"].shape[1:] == (2, 2)
    assert panel.data.check_before_start(f"csv:{path}", panel.doc,
                                         panel.project.analysis) == []


# ---- what is read again after an edit -------------------------------------------
@pytest.fixture
def reads(monkeypatch):
    """The CSV files read (`sources.read_csv` calls), with no table kept from before."""
    preview_read._csv_table.cache_clear()
    made = []
    original = sources.read_csv
    monkeypatch.setattr(sources, "read_csv", lambda rest: made.append(rest) or original(rest))
    yield made
    preview_read._csv_table.cache_clear()


def test_an_output_edit_shapes_the_table_again_without_reading_the_file(
        make_panel, qtbot, tmp_path, reads):
    panel = make_panel(model((4,)))
    path = write_csv(tmp_path / "t.csv", SPECIES)
    use_data(panel, qtbot, f"csv:{path}")
    assert panel._data_issues()[0].data == {"units": 5}
    out = panel.doc.find("out")
    panel.project.stack.push(SetParam(panel.doc, out.id, "units", 5))
    panel.project.stack.push(SetParam(panel.doc, panel.doc.find("out").id, "activation",
                                      "softmax"))
    qtbot.waitUntil(lambda: panel.data._future is None and panel.data._data is not None,
                    timeout=30_000)
    assert panel._data_issues() == [] and len(reads) == 1
    write_csv(path, SPECIES[:2], rows=41)  # changed on disk: read again
    assert panel.data.check_before_start(f"csv:{path}", panel.doc,
                                         panel.project.analysis) == []
    assert len(reads) == 2
    run = open_source(f"csv:{path}", panel.doc)  # shown and checked as a run reads it
    np.testing.assert_array_equal(panel.data._data.data.y["out"], run.y["out"])
    np.testing.assert_array_equal(panel.data._data.data.x["x"], run.x["x"])


def test_a_scikit_learn_set_is_loaded_once_and_each_run_gets_its_own_arrays(monkeypatch):
    from sklearn import datasets

    runtime_data._bundled.cache_clear()
    loads = []
    original = datasets.load_iris
    monkeypatch.setattr(datasets, "load_iris", lambda: loads.append(1) or original())
    doc = model((4,))
    first = runtime_data.load_data("sklearn:iris", doc, seed=1)
    first.x["x"][:] = 0  # a run's arrays are its own to change
    again = runtime_data.load_data("sklearn:iris", doc, seed=1)
    assert len(loads) == 1
    expected = original().data.astype("float32")[np.random.default_rng(1).permutation(150)]
    np.testing.assert_array_equal(again.x["x"], expected)
    runtime_data._bundled.cache_clear()


# ---- the window's Issues panel -----------------------------------------------------
def test_a_settings_edit_keeps_the_previews_finding_in_issues(make_window, qtbot, tmp_path):
    """An edit of the training settings dropped the finding from Issues (a run's findings
    quote the settings they ran with) while the preview still showed it and Start refused."""
    from kerascanvas.graph.commands import SetTraining
    from kerascanvas.graph.projectfile import save

    doc = model((4,))
    doc.training = {**doc.training, "data": f"csv:{write_csv(tmp_path / 't.csv', SPECIES)}"}
    save(doc, tmp_path / "p.json")
    window = make_window(str(tmp_path / "p.json"))
    window.show()
    qtbot.waitUntil(lambda: bool(getattr(window, "data_issues", None)), timeout=30_000)
    (found,) = window.data_issues
    window.project.stack.push(SetTraining(window.doc, {**window.doc.training, "epochs": 7}))
    assert window.data_issues == [found] and window.training.data.problems.isVisible()
    fitting = write_csv(tmp_path / "three.csv", SPECIES[:3])
    window.project.stack.push(SetTraining(window.doc, {**window.doc.training,
                                                       "data": f"csv:{fitting}"}))
    qtbot.waitUntil(lambda: window.training.data._data is not None, timeout=30_000)
    assert window.data_issues == [] and not window.training.data.problems.isVisible()


def test_a_warning_of_the_data_check_shows_and_start_still_starts(panel, qtbot, tmp_path):
    """Pixels of 0..255 into a Dense: the scale is warned (in the preview, marked as a
    warning, and in Issues with its fixes) and the run starts; only errors refuse."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "px.npz", x=rng.integers(0, 256, (40, 4)).astype("uint8"),
             y=rng.integers(0, 3, 40))
    heard = []
    panel.controller.data_issues_found.connect(heard.append)
    use_data(panel, qtbot, str(tmp_path / "px.npz"))
    qtbot.waitUntil(lambda: bool(heard), timeout=10_000)
    (issue,) = heard[-1]
    assert issue.code == "data_scale" and issue.fixes == ("insert_rescaling",
                                                          "insert_normalization")
    text = panel.data.problems.text()
    assert text.startswith("Warning: Input 'x' receives values in [") and \
        "(fix: Insert Rescaling(1/255), Insert Normalization" in text
    started(panel, qtbot)
    assert len(FakeRun.made) == 1


def test_the_preview_warns_of_a_split_of_sorted_labels_with_its_fix(tmp_path):
    """The iris CSV lists its species in turn: the split's last rows are one class."""
    path = tmp_path / "sorted.csv"
    rows = [f"{i % 7},{i % 3 / 2},{i % 5},{i / 10},{SPECIES[i * 3 // 60]}" for i in range(60)]
    path.write_text("a,b,c,d,species\n" + "\n".join(rows) + "\n")
    doc = model((4,))
    doc.training = {**doc.training, "data": f"csv:{path}", "validation_split": 0.25}
    data = open_source(f"csv:{path}", doc, None, 0.25, 8)
    (issue,) = [i for i in preview_read.preview_issues(doc, data) if i.code == "sorted_split"]
    assert issue.fixes == ("shuffle_before_split",) and issue.severity == "warning"
    assert "are all class 2 ('virginica'), where training has 3" in issue.message
    doc.training["shuffle_before_split"] = True
    assert not [i for i in preview_read.preview_issues(doc, data) if i.code == "sorted_split"]
