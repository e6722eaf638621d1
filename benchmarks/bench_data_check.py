"""What the Training dock's data check costs on the GUI thread at each edit, and what its
preview reads on its worker thread, for a big CSV file, a big image folder and a bundled
scikit-learn set.

Each edit of the graph re-runs the data check (`DataPreview.check`) on the GUI thread on
the data the preview read. Printed, per source: the preview's read (worker thread, from
the request to the answer), the check per edit on the GUI thread (the median and the
longest of EDITS edits, against the 20 ms target), and for an edit of the output's units,
which the labels are adapted for, the GUI thread's share and the re-read on the worker.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_data_check.py [ROWS] [IMAGES] [EDITS]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.app.training_fakes
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERASCANVAS_DATA_DIR", tempfile.mkdtemp())

TARGET_S = 0.02
CLASSES = 4


def write_csv(path: Path, rows: int) -> str:
    import numpy as np

    rng = np.random.default_rng(0)
    values = rng.standard_normal((rows, 8)).round(4)
    kinds = np.array(["ant", "bee", "cat", "dog"])[rng.integers(0, CLASSES, rows)]
    with open(path, "w") as handle:
        handle.write(",".join(f"f{i}" for i in range(8)) + ",kind\n")
        handle.writelines(",".join(map(str, v)) + f",{k}\n"
                          for v, k in zip(values, kinds, strict=True))
    return f"csv:{path}"


def write_folder(root: Path, images: int) -> str:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for i in range(images):
        folder = root / f"class{i % CLASSES}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype="uint8")).save(
            folder / f"{i}.png")
    return f"images:{root}"


def model(spec: str):
    """Input -> (Flatten ->) Dense(16) -> Dense(CLASSES, softmax) for the data of `spec`."""
    from kerascanvas.graph.document import Document, Edge

    doc = Document()
    shape = [32, 32, 3] if spec.startswith("images:") else [8] if spec.startswith(
        "csv:") else [8, 8, 1]
    chain = [doc.add_node("Input", "x", {"shape": shape})]
    if len(shape) > 1:
        chain.append(doc.add_node("Flatten", "flat"))
    chain.append(doc.add_node("Dense", "hidden", {"units": 16, "activation": "relu"}))
    units = 10 if spec.startswith("sklearn:") else CLASSES
    chain.append(doc.add_node("Dense", "out", {"units": units, "activation": "softmax"}))
    for a, b in zip(chain, chain[1:], strict=False):
        doc.connect(Edge(a.id, 0, b.id, 0))
    doc.outputs = [chain[-1].id]
    doc.training = {"data": spec, "epochs": 1, "seed": 0}
    return doc


def wait_read(app, panel, started: float) -> float:
    while panel.data._data is None or panel.data._future is not None:
        app.processEvents()
        time.sleep(0.002)
    return time.perf_counter() - started


def measure(app, spec: str, edits: int) -> None:
    from kerascanvas.app.training.controller import TrainingController
    from kerascanvas.app.training.panel import TrainingPanel
    from kerascanvas.graph.commands import SetParam
    from kerascanvas.graph.project import Project
    from tests.app.training_fakes import FakeRun

    panel = TrainingPanel(Project(model(spec)), TrainingController(FakeRun))
    started = time.perf_counter()
    panel.show()
    read = wait_read(app, panel, started)
    hidden, out = panel.doc.find("hidden"), panel.doc.find("out")
    times = []
    for i in range(edits):  # an edit the labels do not depend on: the check alone runs
        panel.project.stack.push(SetParam(panel.doc, hidden.id, "units", 16 + i % 2))
        begin = time.perf_counter()
        panel._on_analysis_changed(None)
        times.append(time.perf_counter() - begin)
    units = out.params["units"]
    panel.project.stack.push(SetParam(panel.doc, out.id, "units", units + 1))
    begin = time.perf_counter()
    panel._on_analysis_changed(None)  # stale labels: asks for a new read
    gui = time.perf_counter() - begin
    reread = wait_read(app, panel, begin)
    median, worst = statistics.median(times), max(times)
    verdict = "ok" if worst <= TARGET_S else "OVER"
    print(f"{spec.split(':')[0]:8} preview read {read:6.2f} s | check per edit on the GUI "
          f"thread: median {median * 1e3:6.2f} ms, max {worst * 1e3:6.2f} ms ({verdict}, "
          f"target {TARGET_S * 1e3:.0f} ms) | units edit: GUI {gui * 1e3:5.2f} ms, re-read "
          f"{reread:5.2f} s")
    panel.shutdown()


def sklearn_cost() -> None:
    """What a scikit-learn preview costs: importing the loaders, the first read (the whole
    set: the loader has no row limit), then a read again after a model edit."""
    begin = time.perf_counter()
    from sklearn import datasets  # noqa: F401
    imported = time.perf_counter() - begin
    from kerascanvas.app.training.preview_read import preview_data

    doc = model("sklearn:digits")
    reads = []
    for _ in range(5):
        begin = time.perf_counter()
        preview_data("sklearn:digits", doc)
        reads.append(time.perf_counter() - begin)
    print(f"sklearn:digits: importing sklearn.datasets {imported:.2f} s, the first preview "
          f"read {reads[0] * 1e3:.1f} ms, a read again (a model edit) median "
          f"{statistics.median(reads[1:]) * 1e3:.1f} ms")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    images = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000
    edits = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    folder = Path(tempfile.mkdtemp())
    sklearn_cost()
    print(f"{rows} CSV rows of 8 features, {images} PNG images of 32 x 32, {edits} edits")
    for spec in (write_csv(folder / "big.csv", rows), write_folder(folder / "pics", images),
                 "sklearn:digits"):
        measure(app, spec, edits)


if __name__ == "__main__":
    main()
