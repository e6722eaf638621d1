"""Run as a child process by test_autosave_kill: open a project in the window, move its
nodes one by one with real mouse drags, print each edit, then idle until killed."""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_PREFERRED_BINDING", "PySide6")

from PySide6 import QtCore, QtWidgets  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from tests.app.gestures import drag, node_point  # noqa: E402


def main(path: str, edits: int, pause_ms: int) -> None:
    app = QtWidgets.QApplication([])
    from kerascanvas.app.window.main import MainWindow

    window = MainWindow(path, recover=False)
    window.resize(1400, 900)
    window.show()
    QTest.qWait(300)
    ids = list(window.doc.nodes)
    print("ready", flush=True)
    for i in range(edits):
        nid = ids[i % len(ids)]
        start = node_point(window, nid)
        drag(window, start, start + QtCore.QPoint(0, 30))
        x, y = window.doc.position(nid)
        print(f"edit {time.monotonic():.3f} {nid} {x:.1f} {y:.1f}", flush=True)
        QTest.qWait(pause_ms)
    print("done", flush=True)
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
