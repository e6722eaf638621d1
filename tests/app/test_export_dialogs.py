"""File › Export Model says which weights it writes, and Export Python starts from the
Code panel's style. Export Model: a project imported from a `.keras`
archive starts from the archive's weights, and the export loads them (as a run does),
but the dialog and the status bar said "untrained: freshly initialised weights"."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtCore, QtWidgets

from kerascanvas.app.window import exports

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"

CASES = [  # (the project's weights section, what the dialog title and message say)
    ({}, "untrained"),
    ({"source": "/models/pretrained.keras", "enabled": True}, "initial weights from "
                                                               "pretrained.keras"),
    ({"source": "/models/pretrained.keras", "enabled": False}, "untrained"),
]


@pytest.mark.parametrize(("section", "said"), CASES)
def test_export_model_names_the_weights_it_writes(window, qtbot, tmp_path, monkeypatch,
                                                   section, said):
    assert window.open_path(str(EXAMPLES / "mnist_mlp.json"), ask=False)
    window.doc.weights = dict(section)
    titles = []

    def answer(parent, title, path, filters):
        titles.append(title)
        return str(tmp_path / "m.keras"), filters.split(";;")[0]

    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", answer)
    monkeypatch.setattr(exports, "start_export",  # the export process: ends with exit code 0
                        lambda parent, doc, path, fmt, on_done, weights=None, home=None:
                        QtCore.QTimer.singleShot(0, lambda: on_done(0, "")))
    window.export_model()
    bar = window.statusBar()
    qtbot.waitUntil(lambda: bar.currentMessage().startswith("Exported"))
    message = bar.currentMessage()
    assert said in titles[0] and said in message, (titles, message)
    assert message.startswith(f"Exported {tmp_path / 'm.keras'} (")
    other = "untrained" if said != "untrained" else "initial weights"
    assert other not in titles[0] and other not in message


@pytest.mark.parametrize(("style", "script", "offered"), [
    ("functional", False, "functional"), ("subclass", False, "subclass"),
    ("sequential", True, "full training script")])
def test_export_python_offers_the_style_the_code_panel_shows(window, monkeypatch, style,
                                                             script, offered):
    """File › Export Python offered 'functional' first whatever the Code panel showed."""
    window.code.style_box.setCurrentText(style)
    window.code.script_box.setChecked(script)
    asked = []
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem",
                        lambda parent, title, label, items, current, editable:
                        asked.append(items[current]) or ("", False))
    window.export_python()
    assert asked == [offered]


DIALOGS = {  # an export dialog, and the extension it suggests
    "python": ("export_python", ".py"),
    "picture": ("export_picture", ".png"),
    "model": ("export_model", ".keras"),
}


def exporting(window, monkeypatch, answers, asked):
    """The window's export dialogs answer from `answers` (folders, in turn) and note the
    path each suggested in `asked`; nothing is written."""
    def answer(parent, title, path, filters):
        asked.append(path)
        folder = answers.pop(0)
        return (str(Path(folder) / Path(path).name) if folder else ""), filters.split(";;")[0]

    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", answer)
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem",
                        lambda parent, title, label, items, current, editable:
                        (items[current], True))
    window._write_python = lambda path, text: True
    window.export_picture_to = lambda path: True
    window.export_model_to = lambda path, weights=None: None


@pytest.mark.parametrize("first", sorted(DIALOGS))
def test_export_dialogs_open_in_the_folder_last_exported_to(make_window, monkeypatch,
                                                            tmp_path, first):
    """Each export dialog opened in the project's folder, whatever folder the last export
    went to; now every one opens there, in this session and the next one (settings)."""
    project = tmp_path / "project" / "net.json"
    project.parent.mkdir()
    project.write_text((EXAMPLES / "mnist_mlp.json").read_text())
    out = tmp_path / "exports"
    out.mkdir()
    window, asked = make_window(str(project)), []
    exporting(window, monkeypatch, [str(out)] + [None] * 3, asked)
    getattr(window, DIALOGS[first][0])()
    assert Path(asked[0]).parent == project.parent  # nothing exported yet: the project's
    for method, suffix in DIALOGS.values():
        getattr(window, method)()
        assert asked[-1] == str(out / f"net{suffix}")
    later, asked = make_window(str(project)), []  # another session
    exporting(later, monkeypatch, [None], asked)
    later.export_python()
    assert asked == [str(out / "net.py")]


def test_a_remembered_folder_that_is_gone_gives_way_to_the_projects(make_window,
                                                                    monkeypatch, tmp_path):
    out = tmp_path / "exports"
    out.mkdir()
    window, asked = make_window(str(EXAMPLES / "mnist_mlp.json")), []
    exporting(window, monkeypatch, [str(out), None], asked)
    window.export_model()
    out.rmdir()
    window.export_model()
    assert Path(asked[-1]).parent == EXAMPLES
