"""The node menu's Change To › and Wrap In › entries, chosen with the mouse."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph.document import Document, Edge

from .gestures import node_point, saved, show


def recurrent_project(tmp_path) -> str:
    doc = Document()
    x = doc.add_node("Input", "tokens", params={"shape": [12]}).id
    emb = doc.add_node("Embedding", "embed", params={"input_dim": 50, "output_dim": 8}).id
    rnn = doc.add_node("LSTM", "encoder", params={"units": 6}).id
    out = doc.add_node("Dense", "label", params={"units": 1, "activation": "sigmoid"}).id
    for a, b in ((x, emb), (emb, rnn), (rnn, out)):
        doc.connect(Edge(a, 0, b, 0))
    doc.outputs = [out]
    return saved(doc, tmp_path, "recurrent.json")


def _click_entry(menu, text: str) -> bool:
    action = next((a for a in menu.actions() if a.text().replace("&", "") == text), None)
    if action is None:
        return False
    QTest.mouseClick(menu, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier,
                     menu.actionGeometry(action).center())
    return True


def choose_path(path: list[str], chosen: list, qtbot) -> None:
    """Click through the open context menu: a submenu's title, then its entry."""
    menu = QtWidgets.QApplication.activePopupWidget()
    if not _click_entry(menu, path[0]):
        menu.close()
        return
    chosen.append(path[0])
    if len(path) > 1:
        qtbot.waitUntil(lambda: QtWidgets.QApplication.activePopupWidget() is not menu,
                        timeout=3000)
        sub = QtWidgets.QApplication.activePopupWidget()
        if _click_entry(sub, path[1]):
            chosen.append(path[1])
        else:
            sub.close()
            menu.close()


def open_node_menu(window, node_id: str, path: list[str], qtbot) -> list:
    point = node_point(window, node_id)
    viewport = window.canvas.viewer.viewport()
    chosen: list = []
    QtCore.QTimer.singleShot(200, lambda: choose_path(path, chosen, qtbot))
    event = QtGui.QContextMenuEvent(QtGui.QContextMenuEvent.Mouse, point,
                                    viewport.mapToGlobal(point))
    QtWidgets.QApplication.sendEvent(viewport, event)
    return chosen


def test_change_to_and_wrap_in_from_the_node_menu(make_window, qtbot, tmp_path):
    window = show(make_window(recurrent_project(tmp_path)), qtbot)
    window.canvas.renderer.render()
    rnn = window.doc.find("encoder").id
    assert open_node_menu(window, rnn, ["Change To", "GRU"], qtbot) == ["Change To", "GRU"]
    window.canvas.renderer.render()
    assert window.doc.node(rnn).kind == "GRU" and window.doc.node(rnn).name == "encoder"
    assert window.canvas.selected_ids() == [rnn]
    assert window.analysis.valid
    assert open_node_menu(window, rnn, ["Wrap In", "Bidirectional"], qtbot) == [
        "Wrap In", "Bidirectional"]
    window.canvas.renderer.render()
    node = window.doc.node(rnn)
    assert node.kind == "Bidirectional" and node.params["layer"]["kind"] == "GRU"
    assert window.analysis.results[rnn].output_shapes == [(None, 12)]
    assert open_node_menu(window, rnn, ["Unwrap (GRU)"], qtbot) == ["Unwrap (GRU)"]
    assert window.doc.node(rnn).kind == "GRU"
    window.undo()
    window.undo()
    window.undo()
    assert window.doc.node(rnn).kind == "LSTM"


def test_a_wrapper_dropped_on_a_layer_it_can_hold_wraps_it(make_window, qtbot, tmp_path):
    from .test_placement_ui import drop, palette_mime

    window = show(make_window(recurrent_project(tmp_path)), qtbot)
    window.canvas.renderer.render()
    rnn, label = window.doc.find("encoder").id, window.doc.find("label").id
    count = len(window.doc.nodes)
    drop(window, palette_mime(window, "Bidirectional"), node_point(window, rnn))
    node = window.doc.node(rnn)
    assert node.kind == "Bidirectional" and node.params["layer"] == {
        "kind": "LSTM", "params": {"units": 6}}
    assert len(window.doc.nodes) == count and window.canvas.selected_ids() == [rnn]
    assert window.analysis.results[label].input_shapes == [(None, 12)]
    # a Dense cannot go in a Bidirectional: the drop adds a node, as anywhere else
    drop(window, palette_mime(window, "Bidirectional"), node_point(window, label))
    assert window.doc.node(label).kind == "Dense" and len(window.doc.nodes) == count + 1
