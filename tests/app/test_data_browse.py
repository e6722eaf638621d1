"""The Training tab's Browse ("…") picks a data file or an image folder: it offered only
a file dialog, so an image folder (`images:FOLDER`) had to be typed."""

from __future__ import annotations

import pytest
from PySide6 import QtWidgets

from kerascanvas.app.training.data_preview import DataPreview


@pytest.fixture
def preview(qtbot):
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
