"""GUI event-loop stall when Start is clicked on a large CSV file the preview must read.

Writes a CSV file of ROWS rows (four number columns and a class column), opens a window
on a model of it that its classes do not fit (Start refuses it once checked: no run
starts), the Training tab raised, and lets the preview read it. Then, twice: rows are
appended to the file (the preview read is stale: Start reads it again before it checks
it), or another file is typed in the data field (its preview is being read), and Start
is clicked at once. Prints the longest delay
between ticks of a 10 ms GUI timer from the click until Start refused the data and half
a second beyond, against the 100 ms target, and when it refused it.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_start_lag.py [ROWS]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.app
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERASCANVAS_DATA_DIR", tempfile.mkdtemp())

TARGET_S = 0.1
AFTER_S = 0.5  # the loop keeps being measured this long after the run started


def write_rows(path: Path, first: int, rows: int) -> None:
    with open(path, "a") as handle:
        handle.writelines(f"{i % 7},{i % 3 / 2},{i % 5},{i / 10},{'abc'[i % 3]}\n"
                          for i in range(first, first + rows))


def open_window(app, path: Path):
    """A window on a model whose 2 units the file's 3 classes do not fit (Start refuses
    it once checked: no run), its Training tab raised and its data read."""
    from kerascanvas.app.window.launch import settle_imports
    from kerascanvas.app.window.main import MainWindow
    from kerascanvas.graph.projectfile import dumps
    from tests.app.test_data_preview_start import model

    doc = model((4,))
    doc.find("out").params["units"] = 2
    doc.training = {**doc.training, "data": f"csv:{path}?target=species"}
    project = path.with_name("p.json")
    project.write_text(dumps(doc))
    settle_imports()  # as the app starts
    window = MainWindow(str(project), recover=False)
    window.ask_save = lambda: 0
    window.resize(1500, 920)
    window.show()
    window.training_dock.raise_()
    return window


def run_until(app, ready, limit_s: float = 120) -> float:
    """Process events until `ready()`; the seconds it took."""
    began = time.perf_counter()
    while not ready() and time.perf_counter() - began < limit_s:
        app.processEvents()
        time.sleep(0.001)
    return time.perf_counter() - began


def click_start(app, panel) -> str:
    """Click Start; the worst lag until Start refused the data, and AFTER_S beyond."""
    from tests.app.lag import LagMeter

    said = panel.log.toPlainText().count("Cannot start training")
    meter, began = LagMeter(), time.perf_counter()
    panel.start_button.click()
    clicked = time.perf_counter() - began
    checked = clicked + run_until(
        app, lambda: panel.log.toPlainText().count("Cannot start training") > said)
    run_until(app, lambda: False, AFTER_S)
    meter.timer.stop()
    worst = meter.worst  # its timer ticks while Start waits for the read, events running
    return (f"worst event-loop lag {worst * 1000:.0f} ms ({worst / TARGET_S:.1f}x the "
            f"100 ms target); the click returned after {clicked:.2f} s, Start refused the "
            f"data after {checked:.2f} s")


def main(rows: int = 1_000_000) -> None:
    from kerascanvas.app.window.launch import make_app

    app = make_app()
    path = Path(tempfile.mkdtemp()) / "big.csv"
    path.write_text("a,b,c,d,species\n")
    write_rows(path, 0, rows)
    print(f"{rows} rows ({path.stat().st_size / 1e6:.0f} MB), load average "
          f"{os.getloadavg()[0]:.1f}")
    window = open_window(app, path)
    panel = window.training_panel()
    read = run_until(app, lambda: panel.data._data is not None)
    print(f"first preview read: {read:.1f} s")
    run_until(app, lambda: False, 2 * AFTER_S)  # its file watched, the window idle
    write_rows(path, rows, 10)
    print("Start after rows were appended:", click_start(app, panel))
    other = path.with_name("other.csv")
    shutil.copyfile(path, other)
    panel.data.spec.setText(f"csv:{other}?target=species")
    panel.data.spec.editingFinished.emit()
    print("Start as another file is typed:", click_start(app, panel))
    window.stack.set_clean()
    window.close()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
