"""What the responsiveness test and its benchmark share: a tiny model and a lag meter."""

from __future__ import annotations

import time

from PySide6 import QtCore

from kerascanvas.graph.document import Document, Edge


def mlp(**training) -> Document:
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [6]})
    h = doc.add_node("Dense", name="hidden", params={"units": 16, "activation": "relu"})
    out = doc.add_node("Dense", name="out", params={"units": 3, "activation": "softmax"})
    doc.connect(Edge(x.id, 0, h.id, 0))
    doc.connect(Edge(h.id, 0, out.id, 0))
    doc.outputs = [out.id]
    doc.training = {"data": "synthetic:2048", "epochs": 3, "batch_size": 16, "seed": 0,
                    "metrics": ["accuracy"], **training}
    return doc


class LagMeter:
    """The largest delay between the ticks of a 10 ms timer on the GUI thread."""

    def __init__(self):
        self.worst, self.ticks, self._last = 0.0, 0, time.perf_counter()
        self.timer = QtCore.QTimer()
        self.timer.setTimerType(QtCore.Qt.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._on_timeout)
        self.timer.start()

    def _on_timeout(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self._last - 0.010)
        self._last, self.ticks = now, self.ticks + 1
