"""The Training tab's Browse ("…") picks a data file or an image folder: it offered only
a file dialog, so an image folder (`images:FOLDER`) had to be typed. It opens where the
data named lies, else in the project's folder, else where the last data was picked: with
no path in the spec it opened the home folder."""

from __future__ import annotations

import pytest
from PySide6 import QtWidgets

from kerascanvas.app.training.data_preview import DataPreview


@pytest.fixture
def preview(qtbot, data_dir):
    widget = DataPreview()
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


@pytest.mark.parametrize("dialog, action, answer, spec", [
    ("getExistingDirectory", "browse_folder", "/data/pets", "images:/data/pets"),
    ("getOpenFileName", "browse_file", ("/data/t.csv", ""), "csv:/data/t.csv"),
    ("getOpenFileName", "browse_file", ("/data/t.npz", ""), "/data/t.npz"),
])
def test_browse_sets_the_spec_of_what_was_picked(preview, qtbot, monkeypatch, dialog, action,
                                                 answer, spec):
    monkeypatch.setattr(QtWidgets.QFileDialog, dialog, lambda *a, **k: answer)
    with qtbot.waitSignal(preview.spec_edited) as edited:
        getattr(preview, action).trigger()
    assert edited.args == [spec] and preview.spec.text() == spec


def test_a_cancelled_browse_changes_nothing(preview, monkeypatch):
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory", lambda *a, **k: "")
    preview.set_spec("synthetic")
    preview.browse_folder.trigger()
    assert preview.spec.text() == "synthetic"


@pytest.mark.parametrize("spec, start", [
    ("images:{tmp}/pets", "{tmp}"), ("csv:{tmp}/t.csv?target=y", "{tmp}"),
    ("{tmp}/x.npy,{tmp}/y.npy", "{tmp}"), ("{tmp}/gone.npz", ""), ("synthetic", ""),
    ("sklearn:digits", ""),
])
def test_browse_opens_where_the_data_shown_lies(preview, monkeypatch, tmp_path, spec, start):
    (tmp_path / "pets").mkdir()
    for name in ("t.csv", "x.npy", "y.npy"):
        (tmp_path / name).write_text("")
    opened = []
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory",
                        lambda parent, title, folder: opened.append(folder) or "")
    preview.set_spec(spec.format(tmp=tmp_path))
    preview.browse_folder.trigger()
    assert opened == [start.format(tmp=tmp_path.resolve())]


def opened_by_browse(preview, monkeypatch) -> list[str]:
    opened = []
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        lambda parent, title, folder, filters: opened.append(folder) or ("", ""))
    preview.browse_file.trigger()
    return opened


@pytest.mark.parametrize("spec", ["synthetic", "sklearn:digits", "", "gone.npz"])
@pytest.mark.parametrize("data_folder", [False, True])
def test_with_no_data_found_browse_opens_the_project_folder(qtbot, data_dir, monkeypatch,
                                                           tmp_path, spec, data_folder):
    project = tmp_path / "project"
    (project / "data" if data_folder else project).mkdir(parents=True)
    widget = DataPreview(project_dir=lambda: project)
    qtbot.addWidget(widget)
    widget.set_spec(spec)
    assert opened_by_browse(widget, monkeypatch) == [
        str(project / "data" if data_folder else project)]
    widget.shutdown()


def test_a_relative_path_is_found_from_the_project_folder(qtbot, data_dir, monkeypatch,
                                                          tmp_path):
    (tmp_path / "sets").mkdir()
    (tmp_path / "sets" / "t.npz").write_text("")
    widget = DataPreview(project_dir=lambda: tmp_path)
    qtbot.addWidget(widget)
    widget.set_spec("sets/t.npz")
    assert opened_by_browse(widget, monkeypatch) == [str(tmp_path / "sets")]
    widget.shutdown()


def test_an_untitled_project_browses_from_the_folder_last_picked_from(
        preview, qtbot, monkeypatch, tmp_path):
    (tmp_path / "sets" / "pets").mkdir(parents=True)
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory",
                        lambda *a: str(tmp_path / "sets" / "pets"))
    preview.browse_folder.trigger()
    later = DataPreview()  # another session: the setting is kept on disk
    qtbot.addWidget(later)
    later.set_spec("synthetic")
    assert opened_by_browse(later, monkeypatch) == [str(tmp_path / "sets")]
    later.shutdown()
