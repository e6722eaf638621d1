"""While the Training tab is behind another, an edit that changes what the preview's data
was read for (here the output's units) does not read it again (a paste of a ResNet50 spent
a third of its CPU reading the data and making thumbnails no one saw): the read waits for
the tab to be shown, or for Start, which refuses data that does not fit once it is read.
The findings of the data read before go meanwhile (they quote the model before the edit)."""

from __future__ import annotations

import pytest

from kerascanvas.app.panels.shown import on_screen
from kerascanvas.app.training import data_preview
from kerascanvas.graph.commands import SetParam
from kerascanvas.graph.projectfile import dumps

from .gestures import show
from .training_fakes import mlp

WAIT_MS = 60_000


@pytest.fixture
def reads(monkeypatch):
    """The specs the preview reads (on its worker thread), from now on."""
    made = []
    real = data_preview._read_preview

    def spy(spec, *args):
        made.append(spec)
        return real(spec, *args)

    monkeypatch.setattr(data_preview, "_read_preview", spy)
    return made


def open_behind(make_window, qtbot, tmp_path, units: int):
    """A window on an iris model whose output has `units`, its data read, the Training tab
    behind the Issues tab."""
    doc = mlp()  # iris: 3 classes
    doc.nodes[doc.outputs[0]].params["units"] = units
    path = tmp_path / "p.json"
    path.write_text(dumps(doc))
    window = show(make_window(str(path)), qtbot)
    panel = window.training_panel()
    qtbot.waitUntil(lambda: panel.data._issues is not None, timeout=WAIT_MS)  # read, checked
    window.issues_dock.raise_()
    qtbot.waitUntil(lambda: not on_screen(window.training_dock), timeout=WAIT_MS)
    return window, panel


def set_units(window, units: int) -> None:
    out = window.doc.outputs[0]
    window.stack.push(SetParam(window.doc, out, "units", units))


def codes(window) -> list[str]:
    return [i.code for i in getattr(window, "data_issues", None) or []]


def test_an_edit_behind_another_tab_reads_the_data_once_the_tab_is_shown(
        make_window, qtbot, tmp_path, reads):
    window, panel = open_behind(make_window, qtbot, tmp_path, units=2)
    qtbot.waitUntil(lambda: codes(window) == ["label_range"], timeout=WAIT_MS)
    reads.clear()
    set_units(window, 5)  # the labels are adapted for a 5-unit output: read again, later
    qtbot.wait(300)
    assert reads == [] and panel.data.deferred
    assert codes(window) == []  # class id 2 beyond 2 units no longer holds
    window.stack.undo()  # the data read is the model's again: its finding is back, no read
    qtbot.waitUntil(lambda: codes(window) == ["label_range"], timeout=WAIT_MS)
    assert reads == [] and not panel.data.deferred
    window.stack.redo()
    set_units(window, 4)  # two edits behind the tab: one read
    qtbot.wait(300)
    assert reads == [] and codes(window) == [] and panel.data.deferred
    window.training_dock.raise_()
    qtbot.waitUntil(lambda: panel.data._data is not None and not panel.data.deferred,
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "150 samples" in panel.data.info.text(), timeout=WAIT_MS)
    qtbot.wait(300)
    assert len(reads) == 1 and codes(window) == [] and not panel.data.problems.isVisible()
    assert panel.data._data.basis is not None and not panel.data._data.stale(
        window.doc, window.analysis)  # read for the model as edited


def test_start_reads_the_deferred_data_and_refuses_what_does_not_fit(
        make_window, qtbot, tmp_path, reads):
    window, panel = open_behind(make_window, qtbot, tmp_path, units=3)
    assert codes(window) == []
    reads.clear()
    set_units(window, 2)  # class id 2 no longer fits: found once the data is read again
    qtbot.wait(300)
    assert reads == [] and panel.data.deferred and codes(window) == []
    assert not panel.start()  # it waits for the read, never blocking the window
    qtbot.waitUntil(lambda: codes(window) == ["label_range"], timeout=WAIT_MS)
    assert len(reads) == 1 and panel.controller.runs == []  # not started, not numbered
    assert window.data_issues[0].message in panel.log.toPlainText()
    qtbot.waitUntil(lambda: on_screen(window.issues_dock), timeout=5_000)
