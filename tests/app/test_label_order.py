"""Where the labels go after a drag of part of a large graph does not depend on where Qt
put the items in memory: the wires to label again were queued in the order of a set of
items (by address), and each label takes the first spot the labels placed before it left
free, so two runs of the same drag drew some labels elsewhere."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from kerascanvas.app.canvas.labels import shown

from .gestures import EXAMPLES, click, drag, node_point, show
from .test_label_placement import settle

RUNS = 2


def dragged_labels(make_window, qtbot) -> dict:
    """Open the expanded DenseNet, drag every other node of its middle half across onto its
    neighbours' wires, and read each wire's label: (its ends' names and port) -> where it
    lies, or None where it is hidden."""
    window = show(make_window(str(EXAMPLES / "densenet_small.json")), qtbot)
    for name in ("dense1", "dense2"):
        window.expand_block(next(n for n, node in window.doc.nodes.items()
                                 if node.name == name))
    window.canvas.fit()
    settle(window, qtbot)
    ids = list(window.doc.nodes)
    part = ids[len(ids) // 4: 3 * len(ids) // 4: 2]
    click(window, node_point(window, part[0]))
    for node_id in part[1:]:
        click(window, node_point(window, node_id), modifiers=QtCore.Qt.ShiftModifier)
    start = node_point(window, part[0])
    drag(window, start, start + QtCore.QPoint(60, 25), steps=4)
    QtWidgets.QApplication.processEvents()
    settle(window, qtbot)
    placed = {}
    for pipe in window.canvas.viewer.pipe_items():
        end = pipe.input_port
        where = pipe.label.scenePos() if shown(pipe) else None
        placed[(pipe.output_port.node.name, end.node.name, end.node.inputs.index(end))] = (
            None if where is None else (round(where.x(), 3), round(where.y(), 3)))
    return placed


def test_labels_go_to_the_same_spots_in_every_run_of_a_drag(make_window, qtbot):
    runs = [dragged_labels(make_window, qtbot) for _ in range(RUNS)]
    assert len(runs[0]) > 40
    for run in runs[1:]:
        assert {k: (v, runs[0][k]) for k, v in run.items() if v != runs[0][k]} == {}
