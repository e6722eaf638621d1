"""A spare node with an error beside a working model: the window still trains it, shows its
code, and lists the spare node's error in red, counted apart in the status bar."""

from __future__ import annotations

from PySide6 import QtCore
from PySide6.QtTest import QTest

from kerascanvas.graph import commands as cmd
from kerascanvas.graph import projectfile
from kerascanvas.graph.document import Edge

from .gestures import show
from .training_fakes import FakeRun, mlp

NOTE = ("Left out of the model, as they lead to no model output: 'spare' (1 error). "
        "Errors on them do not block code, training or export.")


def with_spare_error(tmp_path) -> str:
    doc = mlp()
    spare = doc.add_node("Dense", name="spare", params={"units": -3})
    doc.connect(Edge(doc.find("x").id, 0, spare.id, 0))
    path = tmp_path / "spare.json"
    projectfile.save(doc, path)
    return str(path)


def test_start_and_the_code_work_with_an_erroring_spare_node(make_window, qtbot, tmp_path):
    FakeRun.made.clear()
    window = show(make_window(with_spare_error(tmp_path)), qtbot)
    assert window.problems_label.text() == \
        "0 errors, 1 warning (+1 error on a node left out of the model, not blocking)"
    assert not window.problems_label.property("bad")
    spare = window.doc.find("spare").id
    assert [i.severity for i in window.analysis.issues_for(spare)] == ["error", "warning"]
    window.code.regenerate()
    code = window.code.text.toPlainText()
    said = " ".join(line.removeprefix("# ") for line in code.split("\n\n")[0].splitlines())
    assert window.code.ok and NOTE in said and "def build_model" in code
    panel = window.training_panel()
    panel.controller.run_factory = FakeRun
    assert panel.start_button.isEnabled()
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    assert len(FakeRun.made) == 1 and "Cannot start" not in panel.log.toPlainText()
    assert NOTE in panel.log.toPlainText()


def test_an_error_in_the_model_still_refuses_start(make_window, qtbot, tmp_path):
    FakeRun.made.clear()
    window = show(make_window(with_spare_error(tmp_path)), qtbot)
    window.project.push(cmd.SetParam(window.doc, window.doc.find("out").id, "units", 0))
    qtbot.waitUntil(lambda: window.problems_label.property("bad"), timeout=3000)
    assert window.problems_label.text().startswith("1 error, ")
    panel = window.training_panel()
    panel.controller.run_factory = FakeRun
    assert not panel.start() and not FakeRun.made
    assert "Cannot start training" in panel.log.toPlainText()
