"""Editing a large model on the canvas: drag all of it, select all, copy and paste, delete,
undo, on a residual stack of about 180 layers (a ResNet50's size). Prints seconds per edit
against a 1 s target; a paste of the whole model took 10.9 s before the issues list sized
its columns once per update and the pasted wires were drawn once each, and a drag step of
all of an imported ResNet50 0.7 s before each wire was routed once a step.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_edit_large.py [BLOCKS]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERASCANVAS_DATA_DIR", tempfile.mkdtemp())

TARGET_S = 1.0


def residual_project(path: str, blocks: int) -> None:
    """Input, then `blocks` x (Dense, BatchNormalization, Dense, Add with the block's input)."""
    from kerascanvas.graph import projectfile
    from kerascanvas.graph.document import Document, Edge

    doc = Document()
    prev = doc.add_node("Input", params={"shape": [16]}).id
    for _ in range(blocks):
        a = doc.add_node("Dense", params={"units": 16}).id
        bn = doc.add_node("BatchNormalization").id
        b = doc.add_node("Dense", params={"units": 16}).id
        add = doc.add_node("Add").id
        for edge in ((prev, a, 0), (a, bn, 0), (bn, b, 0), (b, add, 0), (prev, add, 1)):
            doc.connect(Edge(edge[0], 0, edge[1], edge[2]))
        prev = add
    doc.outputs = [prev]
    projectfile.save(doc, path)


def drag_all(window) -> None:
    """Select all and drag one node 12 mouse steps with the left button (the hand's way)."""
    from PySide6 import QtCore
    from PySide6.QtTest import QTest

    from tests.app.gestures import drag, node_point

    window.select_all()
    start = node_point(window, next(iter(window.doc.nodes)))
    drag(window, start, start + QtCore.QPoint(60, 120), steps=12)
    QTest.qWait(1)


def timed(app, step) -> float:
    start = time.perf_counter()
    step()
    for _ in range(3):
        app.processEvents()
    return time.perf_counter() - start


def main() -> None:
    from kerascanvas.app.window.launch import make_app
    from kerascanvas.app.window.main import MainWindow

    blocks = int(sys.argv[1]) if len(sys.argv) > 1 else 45
    path = os.path.join(tempfile.mkdtemp(), "residual.json")
    residual_project(path, blocks)
    app = make_app()
    window = MainWindow(path, recover=False)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    window.select_all()
    steps = {"drag all, 12 steps": lambda: drag_all(window),
             "copy + paste all": lambda: (window.copy(), window.paste()),
             "undo the paste": window.undo,
             "delete all": lambda: (window.select_all(), window.delete_selected()),
             "undo the delete": window.undo}
    print(f"{len(window.doc.nodes)} nodes, {len(window.doc.edges)} edges")
    for name, step in steps.items():
        seconds = timed(app, step)
        print(f"{name:>17}: {seconds:6.2f} s  ({seconds / TARGET_S:.2f} x the {TARGET_S:.0f} s "
              "target)")
    window.stack.set_clean()


if __name__ == "__main__":
    main()
