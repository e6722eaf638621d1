"""Custom losses and metrics in the window: written in the Outputs section's code dialog
(one undoable edit), then offered by each output's loss list and metrics completion,
and listed by the trust dialog."""

from __future__ import annotations

from PySide6 import QtCore

from kerascanvas.app.training.form import TrainingForm
from kerascanvas.app.window.trust_dialog import distinct_classes
from kerascanvas.graph import commands as cmd
from kerascanvas.graph import training_code
from tests.app.test_training_form import enter, mlp

CODE = '''from keras import ops


def my_mse(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)
'''


def test_code_written_in_the_dialog_is_offered_as_a_loss(qtbot):
    doc, stack = mlp(), cmd.UndoStack()
    form = TrainingForm(doc, stack)
    qtbot.addWidget(form)
    qtbot.mouseClick(form.code_button, QtCore.Qt.LeftButton)
    dialog = form.code_dialog
    dialog.edit.setPlainText(CODE)
    assert dialog.problem.text() == "Defines my_mse."
    dialog.edit.setPlainText("def broken(:\n")
    assert "line 1" in dialog.problem.text()
    dialog.edit.setPlainText(CODE)
    qtbot.mouseClick(dialog.ok_button, QtCore.Qt.LeftButton)
    assert doc.training[training_code.FIELD] == CODE
    assert "my_mse" in form.code_button.text()
    combo = form.fields[("loss", "out")].combo
    assert "my_mse" in [combo.itemData(i) for i in range(combo.count())]
    enter(form.fields[("loss", "out")], "my_mse")
    assert doc.training["loss"] == {"out": "my_mse"}
    completer = form.fields[("metrics", "out")].edit.completer()
    assert "my_mse" in completer.model().stringList()
    entries = distinct_classes(doc)
    assert [e["class_name"] for e in entries] == ["Losses and metrics"]
    assert entries[0]["digest"] == training_code.digest(doc.training)
    stack.undo()
    stack.undo()
    assert training_code.FIELD not in doc.training  # one undoable edit each


def test_emptying_the_code_removes_it(qtbot):
    doc = mlp()
    doc.training[training_code.FIELD] = CODE
    form = TrainingForm(doc, cmd.UndoStack())
    qtbot.addWidget(form)
    dialog = form.edit_training_code()
    dialog.edit.setPlainText("  \n")
    dialog.accept()
    assert training_code.FIELD not in doc.training


def test_the_untrusted_issue_offers_review_and_trust(make_window, qtbot, tmp_path):
    from PySide6.QtTest import QTest

    from kerascanvas.graph.projectfile import save
    from kerascanvas.runtime import trust
    from tests.app.gestures import show

    marker = tmp_path / "ran.txt"
    doc = mlp()
    doc.training[training_code.FIELD] = f"open({str(marker)!r}, 'a')\n" + CODE
    doc.training["loss"] = "my_mse"
    path = tmp_path / "p.json"
    save(doc, path)
    window = show(make_window(str(path)), qtbot)
    qtbot.wait(50)
    rows = [i for i in window.analysis.issues if i.code == training_code.UNTRUSTED]
    assert rows and rows[0].fixes == ("review_trust",)
    row = window.analysis.issues.index(rows[0])
    (button,) = window.issues.fix_buttons(row)
    assert button.text() == "Review and trust…"
    QTest.mouseClick(button, QtCore.Qt.LeftButton)
    dialog = window.trust_dialog
    qtbot.waitExposed(dialog)
    assert dialog.tabs.tabText(0) == "Losses and metrics"
    assert "def my_mse" in dialog.tabs.widget(0).toPlainText()
    QTest.mouseClick(dialog.trust_button, QtCore.Qt.LeftButton)
    assert trust.is_trusted(str(path), window.doc)
    qtbot.waitUntil(lambda: not any(i.code == training_code.UNTRUSTED
                                    for i in window.analysis.issues))
    assert not marker.exists()  # trusting runs nothing by itself: training will
