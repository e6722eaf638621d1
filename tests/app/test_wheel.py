"""Scrolling a form with the wheel scrolls it: a list box under the pointer keeps its
value unless it has focus (scrolling the training settings had switched the device to
cuda, under real X)."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from kerascanvas.app.training.form import TrainingForm
from kerascanvas.graph import commands as cmd
from tests.app.test_training_form import mlp


def wheel_down(widget: QtWidgets.QWidget) -> None:
    centre = QtCore.QPointF(widget.rect().center())
    event = QtGui.QWheelEvent(centre, QtCore.QPointF(widget.mapToGlobal(centre.toPoint())),
                              QtCore.QPoint(0, 0), QtCore.QPoint(0, -120),
                              QtCore.Qt.NoButton, QtCore.Qt.NoModifier,
                              QtCore.Qt.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(widget, event)


def test_the_wheel_over_an_unfocused_list_box_scrolls_the_form(qtbot):
    doc, stack = mlp(), cmd.UndoStack()
    form = TrainingForm(doc, stack)
    scroll = QtWidgets.QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(form)
    scroll.resize(360, 300)
    qtbot.addWidget(scroll)
    scroll.show()
    qtbot.waitExposed(scroll)
    combo = form.fields[("device",)].combo
    before = combo.currentData()
    bar = scroll.verticalScrollBar()
    start = bar.value()
    wheel_down(combo)
    assert combo.currentData() == before and "device" not in doc.training
    assert bar.value() > start  # the form scrolled instead
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    wheel_down(combo)
    assert combo.currentData() != before  # a focused box still takes the wheel
