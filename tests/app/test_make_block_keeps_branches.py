"""Make Block above an expanded inception module: the gap the selection leaves closes without
tearing the branches below apart (their rows stay rows, no node covers another)."""

from __future__ import annotations

from PySide6 import QtWidgets

from tests.app.conftest import show_at
from tests.app.gestures import EXAMPLES, node_ids

OK = QtWidgets.QDialogButtonBox.Ok


def _rows(window, names) -> set[float]:
    ids = node_ids(window)
    return {round(window.doc.position(ids[n])[1], 1) for n in names}


def _overlapping(window) -> list[tuple[str, str]]:
    rects = {window.doc.nodes[n].name: item.sceneBoundingRect()
             for n, item in window.canvas.views.items()}
    names = sorted(rects)
    return [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
            if rects[a].adjusted(1, 1, -1, -1).intersects(rects[b])]


def test_make_block_above_an_expanded_inception(make_window, qtbot):
    window = show_at(make_window(str(EXAMPLES / "inception_net.json")), 1500, 920)
    ids = node_ids(window)
    window.expand_block(ids["inception2"])
    window.auto_layout()
    QtWidgets.QApplication.processEvents()
    ids = node_ids(window)
    first = [n for n in ids if n.startswith("inception2_") and n.endswith(
        ("b1_conv", "b2_reduce", "b3_reduce", "b4_pool"))]
    assert len(first) == 4 and len(_rows(window, first)) == 1  # one row after the layout
    assert _overlapping(window) == []
    window.canvas.select([ids["stem"], ids["inception1"]])
    dialog = window.make_block_dialog()
    dialog.name_edit.setText("head")
    dialog.buttons.button(OK).click()
    QtWidgets.QApplication.processEvents()
    assert "head" in window.doc.blocks
    assert len(_rows(window, first)) == 1, _rows(window, first)  # still one row
    assert _overlapping(window) == []
