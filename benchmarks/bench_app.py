"""App timings: start-up to first painted window, opening a 500-node project, a pan frame
and a whole-view repaint of a 1000-node canvas; for an imported MobileNetV2 (keras.applications,
weights=None), the view scale after layout and Fit in a 1600x1000 window, a pan frame
(a middle-button drag, as a hand pans) at that scale and at a reading zoom, and a
whole-view repaint. Prints figures and their ratio to the targets.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_app.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERASCANVAS_DATA_DIR", tempfile.mkdtemp())

STARTUP = """
import time, sys
t = time.perf_counter()
from kerascanvas.app.window.launch import make_app
app = make_app()
from kerascanvas.app.window.main import MainWindow
w = MainWindow(None, recover=False)
w.show()
app.processEvents()
w.grab()
print(time.perf_counter() - t)
"""


def chain_project(path: str, count: int) -> None:
    from kerascanvas.graph import projectfile
    from kerascanvas.graph.document import Document, Edge

    doc = Document()
    prev = doc.add_node("Input", params={"shape": [16]}).id
    for _ in range(count - 1):
        node = doc.add_node("Dense", params={"units": 16}).id
        doc.connect(Edge(prev, 0, node, 0))
        prev = node
    doc.outputs = [prev]
    projectfile.save(doc, path)


def frame_ms(window, app, frames: int = 20, zoom: float | None = -0.5) -> float:
    view = window.canvas.viewer
    if zoom is not None:
        window.canvas.graph.set_zoom(zoom)
    bar = view.horizontalScrollBar()
    start = time.perf_counter()
    for i in range(frames):
        view.translate(7.0 if i % 2 else -7.0, 3.0)
        view.viewport().repaint()
        app.processEvents()
    _ = bar
    return (time.perf_counter() - start) / frames * 1000


PAINTING = {"count": 0, "seconds": 0.0}  # the canvas viewport's paints, once timed


def time_canvas_paints() -> None:
    """Time every paint of the canvas view (install before any window is made: PySide
    binds a Python override when the object is created)."""
    from kerascanvas.app.canvas.view import CanvasViewer

    paint = CanvasViewer.paintEvent
    if getattr(paint, "timed", False):
        return

    def timed_paint(self, event):
        start = time.perf_counter()
        paint(self, event)
        PAINTING["seconds"] += time.perf_counter() - start
        PAINTING["count"] += 1

    timed_paint.timed = True
    CanvasViewer.paintEvent = timed_paint


def pan_frame_ms(window, app, frames: int = 20) -> tuple[float, float]:
    """(work, wall) ms per frame of a pan as a hand does it: the middle button held on empty
    canvas and the mouse moved 7 px right or left and 3 px down per frame (so a column and
    a row come into view), each frame painted before the next move. The work is the time
    spent handling the move and painting the viewport; the wall time adds the event loop's
    wait for the paint."""
    from PySide6 import QtCore, QtGui, QtWidgets

    view = window.canvas.viewer
    viewport = view.viewport()

    def send(kind, point, button, buttons):
        event = QtGui.QMouseEvent(kind, QtCore.QPointF(point),
                                  QtCore.QPointF(viewport.mapToGlobal(point)), button, buttons,
                                  QtCore.Qt.NoModifier)
        QtWidgets.QApplication.sendEvent(viewport, event)

    middle, point = QtCore.Qt.MiddleButton, QtCore.QPoint(4, 4)
    while view.items(point):  # a press on a node does not pan
        point += QtCore.QPoint(3, 3)
    send(QtCore.QEvent.MouseButtonPress, point, middle, middle)
    app.processEvents()
    handling, painted, start = 0.0, PAINTING["seconds"], time.perf_counter()
    for i in range(frames):
        point += QtCore.QPoint(7 if i % 2 else -7, 3)
        before, moved = PAINTING["count"], time.perf_counter()
        send(QtCore.QEvent.MouseMove, point, QtCore.Qt.NoButton, middle)
        handling += time.perf_counter() - moved
        deadline = time.perf_counter() + 1.0
        while PAINTING["count"] == before and time.perf_counter() < deadline:
            app.processEvents()
    wall = (time.perf_counter() - start) / frames * 1000
    work = (handling + PAINTING["seconds"] - painted) / frames * 1000
    send(QtCore.QEvent.MouseButtonRelease, point, middle, QtCore.Qt.NoButton)
    return work, wall


def settle(app, seconds: float = 0.5) -> None:
    """Let the timers that follow a load (fit, code preview) run before timing frames."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.01)


def mobilenet_figures(app, folder: str) -> tuple[float, tuple, tuple, tuple]:
    """Fit scale; (work, wall) ms of a pan frame at Fit and at scale 0.7; (wall, CPU) ms of a
    whole-view repaint at Fit (the view moved by a fraction of a pixel, as a zoom step repaints)."""
    from kerascanvas.app.window.main import MainWindow
    from kerascanvas.graph.projectfile import save
    from kerascanvas.runtime.importer import import_model
    from kerascanvas.runtime.keras_env import import_keras

    path = os.path.join(folder, "mobilenet_v2.json")
    save(import_model(import_keras().applications.MobileNetV2(weights=None)), path)
    window = MainWindow(None, recover=False)
    window.resize(1600, 1000)
    window.show()
    window.open_path(path, ask=False)
    settle(app)
    window.auto_layout()
    settle(app)
    scale = window.canvas.viewer.transform().m11()
    at_fit = pan_frame_ms(window, app)
    cpu = time.process_time()
    repaint = frame_ms(window, app, zoom=None)
    repaint_cpu = (time.process_time() - cpu) / 20 * 1000
    window.canvas.viewer.show_top(list(window.canvas.views.values()), 0.7)
    settle(app, 0.2)
    reading = pan_frame_ms(window, app)
    window.stack.set_clean()
    return scale, at_fit, reading, (repaint, repaint_cpu)


def main() -> None:
    startup = float(subprocess.run([sys.executable, "-c", STARTUP], capture_output=True,
                                   text=True, check=True).stdout.strip().splitlines()[-1])
    from kerascanvas.app.window.launch import make_app
    from kerascanvas.app.window.main import MainWindow

    app = make_app()
    time_canvas_paints()
    window = MainWindow(None, recover=False)
    window.resize(1500, 920)
    window.show()
    folder = tempfile.mkdtemp()
    for count in (500, 1000):
        chain_project(os.path.join(folder, f"{count}.json"), count)
    # The window builds its training panel and imports the layout library in idle time
    # after start-up; a user opens a file after that (the first paint is timed above).
    settle(app, 1.5)
    t, cpu = time.perf_counter(), time.process_time()
    window.open_path(os.path.join(folder, "500.json"), ask=False)
    window.canvas.renderer.render()
    app.processEvents()
    open_s, open_cpu = time.perf_counter() - t, time.process_time() - cpu
    window.open_path(os.path.join(folder, "1000.json"), ask=False)
    window.canvas.renderer.render()
    settle(app)  # the code preview regenerates once after a load; a pan frame is what follows
    window.canvas.graph.set_zoom(-0.5)
    settle(app, 0.2)
    pan = pan_frame_ms(window, app)
    cpu = time.process_time()
    frame = frame_ms(window, app)
    frame_cpu = (time.process_time() - cpu) / 20 * 1000
    print(f"startup to first painted window: {startup:.2f} s  (target 2 s, ratio "
          f"{startup / 2:.2f})")
    print(f"open a 500-node project:         {open_s:.2f} s  (target 1 s, ratio {open_s:.2f}; "
          f"CPU {open_cpu:.2f} s)")
    print(f"1000-node canvas, one pan frame: {pan[0]:.1f} ms of work (target 33 ms, ratio "
          f"{pan[0] / 33:.2f}; {pan[1]:.1f} ms wall); whole-view repaint {frame:.1f} ms "
          f"(CPU {frame_cpu:.1f} ms)")
    window.stack.set_clean()
    scale, at_fit, reading, repaint = mobilenet_figures(app, folder)
    print(f"MobileNetV2 (156 nodes) after layout + Fit in 1600x1000: scale {scale:.2f} "
          f"(target 0.4, ratio {scale / 0.4:.2f})")
    print(f"MobileNetV2, one pan frame (middle-button drag, painted): {at_fit[0]:.1f} ms of "
          f"work at Fit ({at_fit[1]:.1f} ms wall), {reading[0]:.1f} ms at scale 0.7 with shape "
          f"labels ({reading[1]:.1f} ms wall); target 33 ms, ratio "
          f"{max(at_fit[0], reading[0]) / 33:.2f}")
    print(f"MobileNetV2, whole-view repaint at Fit: {repaint[0]:.1f} ms (CPU {repaint[1]:.1f} ms)")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
