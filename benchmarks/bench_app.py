"""App timings: start-up to first painted window, opening a 500-node project, one frame
of a 1000-node canvas while panning. Prints figures and their ratio to the targets.

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


def frame_ms(window, app, frames: int = 20) -> float:
    view = window.canvas.viewer
    window.canvas.graph.set_zoom(-0.5)
    bar = view.horizontalScrollBar()
    start = time.perf_counter()
    for i in range(frames):
        view.translate(7.0 if i % 2 else -7.0, 3.0)
        view.viewport().repaint()
        app.processEvents()
    _ = bar
    return (time.perf_counter() - start) / frames * 1000


def settle(app, seconds: float = 0.5) -> None:
    """Let the timers that follow a load (fit, code preview) run before timing frames."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.01)


def main() -> None:
    startup = float(subprocess.run([sys.executable, "-c", STARTUP], capture_output=True,
                                   text=True, check=True).stdout.strip().splitlines()[-1])
    from kerascanvas.app.window.launch import make_app
    from kerascanvas.app.window.main import MainWindow

    app = make_app()
    window = MainWindow(None, recover=False)
    window.resize(1500, 920)
    window.show()
    folder = tempfile.mkdtemp()
    for count in (500, 1000):
        chain_project(os.path.join(folder, f"{count}.json"), count)
    t, cpu = time.perf_counter(), time.process_time()
    window.open_path(os.path.join(folder, "500.json"), ask=False)
    window.canvas.renderer.render()
    app.processEvents()
    open_s, open_cpu = time.perf_counter() - t, time.process_time() - cpu
    window.open_path(os.path.join(folder, "1000.json"), ask=False)
    window.canvas.renderer.render()
    settle(app)  # the code preview regenerates once after a load; a pan frame is what follows
    cpu = time.process_time()
    frame = frame_ms(window, app)
    frame_cpu = (time.process_time() - cpu) / 20 * 1000
    print(f"startup to first painted window: {startup:.2f} s  (target 2 s, ratio "
          f"{startup / 2:.2f})")
    print(f"open a 500-node project:         {open_s:.2f} s  (target 1 s, ratio {open_s:.2f}; "
          f"CPU {open_cpu:.2f} s)")
    print(f"1000-node canvas, one pan frame: {frame:.1f} ms (target 33 ms, ratio "
          f"{frame / 33:.2f}; CPU {frame_cpu:.1f} ms)")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    window.stack.set_clean()


if __name__ == "__main__":
    main()
