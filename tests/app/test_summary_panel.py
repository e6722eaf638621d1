"""The summary table and the code view follow edits: the table writes only the cells that
changed and shows what a table built afresh shows; both skip their work while their tab is
behind another, and show the model as it is once their tab is clicked."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.app.panels.code import generate_code
from kerascanvas.app.panels.summary import SummaryPanel

from .gestures import EXAMPLES, click, node_ids, node_point, show

CTRL, SHIFT = QtCore.Qt.ControlModifier, QtCore.Qt.ShiftModifier


def table_rows(panel: SummaryPanel) -> list[list[str]]:
    table = panel.table
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def shown(panel: SummaryPanel) -> tuple:
    header = panel.table.horizontalHeader()
    return (table_rows(panel), panel.totals.text(),
            [header.sectionSize(c) for c in range(header.count() - 1)])


def fresh(window, qtbot) -> SummaryPanel:
    panel = SummaryPanel(window.doc)
    qtbot.addWidget(panel)
    panel.show()
    panel.show_analysis(window.analysis)
    window.activateWindow()  # its shortcuts take the next keys again
    QtWidgets.QApplication.processEvents()
    return panel


def click_tab(window, title: str) -> None:
    """Click the tab of a tabbed dock, as the hand does."""
    for bar in window.findChildren(QtWidgets.QTabBar):
        for i in range(bar.count()):
            if bar.tabText(i) == title:
                QTest.mouseClick(bar, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier,
                                 bar.tabRect(i).center())
                QtWidgets.QApplication.processEvents()
                return
    raise AssertionError(f"no tab {title!r}")


def test_the_table_equals_a_fresh_one_after_a_series_of_edits(make_window, qtbot):
    window = show(make_window(str(EXAMPLES / "mnist_cnn.json")), qtbot)
    window.canvas.fit()
    click_tab(window, "Summary")
    viewport = window.canvas.viewer.viewport()

    def key(code, modifiers=QtCore.Qt.NoModifier):
        QTest.keyClick(viewport, code, modifiers)
        window.canvas.renderer.render()

    first = next(iter(window.doc.nodes))
    edits = [lambda: key(QtCore.Qt.Key_A, CTRL), lambda: key(QtCore.Qt.Key_C, CTRL),
             lambda: key(QtCore.Qt.Key_V, CTRL), lambda: key(QtCore.Qt.Key_Z, CTRL),
             lambda: (window.canvas.fit(), click(window, node_point(window, first))),
             lambda: key(QtCore.Qt.Key_Delete), lambda: key(QtCore.Qt.Key_Z, CTRL),
             lambda: key(QtCore.Qt.Key_Z, CTRL | SHIFT)]
    sizes = set()
    for edit in edits:
        edit()
        assert shown(window.summary) == shown(fresh(window, qtbot))
        sizes.add(window.summary.table.rowCount())
    assert len(sizes) >= 3, "the edits should change the table"
    names = [row[0] for row in table_rows(window.summary)]
    row = names.index(window.doc.nodes[next(iter(node_ids(window).values()))].name)
    rect = window.summary.table.visualItemRect(window.summary.table.item(row, 0))
    QTest.mouseClick(window.summary.table.viewport(), QtCore.Qt.LeftButton,
                     QtCore.Qt.NoModifier, rect.center())
    assert window.canvas.selected_ids() == [next(iter(node_ids(window).values()))]


def test_panels_behind_a_tab_catch_up_when_it_is_clicked(make_window, qtbot):
    """Issues and Properties are in front: a delete changes neither the summary table nor
    the code behind them until their tabs are clicked, which then show the model as it is."""
    window = show(make_window(str(EXAMPLES / "mnist_cnn.json")), qtbot)
    window.canvas.fit()
    qtbot.wait(300)  # the code view's first text, made when the window showed
    table_before, code_before = table_rows(window.summary), window.code.text.toPlainText()
    victim = next(nid for nid, n in window.doc.nodes.items() if n.kind == "Dropout")
    click(window, node_point(window, victim))
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_Delete)
    window.canvas.renderer.render()
    qtbot.wait(300)  # past the code view's delay
    assert victim not in window.doc.nodes
    assert table_rows(window.summary) == table_before
    assert window.code.text.toPlainText() == code_before
    click_tab(window, "Summary")
    assert shown(window.summary) == shown(fresh(window, qtbot))
    click_tab(window, "Code")
    expected, _ = generate_code(window.doc, window.code.style_box.currentText())
    assert window.code.text.toPlainText() == expected != code_before


def test_a_layer_wired_in_but_feeding_no_output_is_not_counted(make_window, qtbot):
    """A Dense dropped beside the CNN's head and wired from it is left out of Keras' model:
    the totals under the table and in the status bar stay the model's, and say so."""
    from .conftest import wire

    window = show(make_window(str(EXAMPLES / "mnist_cnn.json")), qtbot)
    click_tab(window, "Summary")
    before = window.summary.totals.text(), window.params_label.text()
    window.palette.kind_activated.emit("Dense")
    (extra,) = window.canvas.selected_ids()
    wire(window, node_ids(window)["flatten"], extra)
    qtbot.waitUntil(lambda: window.analysis.left_out == [extra])
    window.refresh_panels()
    QtWidgets.QApplication.processEvents()
    name = window.doc.nodes[extra].name
    assert window.summary.totals.text() == (
        f"{before[0]} (not counting {name!r}, left out of the model)")
    assert window.params_label.text() == before[1]


def test_a_layer_whose_input_is_unknown_shows_unknown_params_as_the_summary_does(window):
    """A Conv2D dropped on the canvas read 'Conv2D · 0 params' while the summary showed '?'."""
    from .conftest import wire

    window.palette.kind_activated.emit("Conv2D")
    (conv,) = window.canvas.selected_ids()
    window.canvas.renderer.render()
    assert window.canvas.views[conv].subtitle == "Conv2D · ? params"
    window.palette.kind_activated.emit("Input")
    (image,) = window.canvas.selected_ids()
    wire(window, image, conv)
    window.canvas.renderer.render()
    assert window.canvas.views[conv].subtitle.endswith(" params")
    assert "?" not in window.canvas.views[conv].subtitle


def test_the_table_says_what_each_layer_is_connected_to(make_window, qtbot, tmp_path):
    """As Keras' model.summary() (and `kerascanvas validate`) do: the panel had no
    'Connected to' column, and its Params column stretched across the panel, the numbers
    a thousand pixels from their layer's name."""
    from kerascanvas.graph import projectfile
    from kerascanvas.graph.document import Document, Edge

    doc = Document()
    a = doc.add_node("Input", "a", params={"shape": [4]}).id
    b = doc.add_node("Input", "b", params={"shape": [4]}).id
    add = doc.add_node("Add", "sum").id
    out = doc.add_node("Dense", "out", params={"units": 2}).id
    for edge in (Edge(a, 0, add, 0), Edge(b, 0, add, 1), Edge(add, 0, out, 0)):
        doc.connect(edge)
    doc.outputs = [out]
    projectfile.save(doc, tmp_path / "two.json")
    window = make_window(str(tmp_path / "two.json"))
    panel = fresh(window, qtbot)
    table = panel.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["Layer", "Kind", "Output shape", "Params", "Connected to"]
    assert [row[4] for row in table_rows(panel)] == ["", "", "a, b", "sum"]
    params = table.horizontalHeader().sectionSize(3)
    assert params < 2 * table.fontMetrics().horizontalAdvance("Params") + 40


def test_each_column_title_stands_where_its_values_do(window, qtbot):
    """'Connected to' stood centred over the stretched last column, far to the right of
    the names under it (and 'Params' centred over right-aligned counts)."""
    assert window.open_path(str(EXAMPLES / "mnist_cnn.json"), ask=False)
    panel = fresh(window, qtbot)
    table, mask = panel.table, QtCore.Qt.AlignHorizontal_Mask
    for column in range(table.columnCount()):
        title = table.horizontalHeaderItem(column).textAlignment() & mask
        cell = (table.item(0, column).textAlignment() & mask) or QtCore.Qt.AlignLeft
        assert title == cell, table.horizontalHeaderItem(column).text()
