"""Autosave takes a snapshot of the document on the GUI thread and makes and writes the JSON on
its own thread: edits made while the file is written do not reach it, and a session killed
in the middle of that write leaves the previous recovery file whole, which the next start
restores."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from kerascanvas.app.window import files
from kerascanvas.graph import projectfile

from .gestures import EXAMPLES, drag, node_point, show

ROOT = Path(__file__).parents[2]


def move_down(window, node_id: str) -> None:
    start = node_point(window, node_id)
    drag(window, start, start + QtCore.QPoint(0, 40))


def test_edits_made_while_the_autosave_writes_do_not_reach_its_file(make_window, qtbot,
                                                                    monkeypatch):
    window = show(make_window(str(EXAMPLES / "mnist_mlp.json")), qtbot)
    window.canvas.fit()
    # Only the autosave the test asks for: the edits' own debounced autosave would write the
    # newer document once the test is slow enough for its timer to fire (a loaded machine).
    window._autosave.setInterval(3_600_000)
    monkeypatch.setattr(files, "AUTOSAVE_MAX_WAIT_MS", 3_600_000)
    gate, writing = threading.Event(), threading.Event()
    write = files.write_recovery_text

    def held_write(text, path=None):  # on the autosave thread, after the JSON was made
        writing.set()
        gate.wait(10)
        write(text, path)

    monkeypatch.setattr(files, "write_recovery_text", held_write)
    first, second = list(window.doc.nodes)[:2]
    move_down(window, first)
    window.autosave()
    taken = json.loads(files.recovery_text(window.doc, window.path))
    assert writing.wait(10)
    try:
        move_down(window, second)  # a move and a delete while the file is written
        QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_Delete)
        assert second not in window.doc.nodes
    finally:
        gate.set()
    window.wait_for_autosave()
    written = json.loads(window.recovery_file.read_text(encoding="utf-8"))
    assert written == taken
    assert written != json.loads(files.recovery_text(window.doc, window.path))


def test_a_failed_autosave_is_reported_in_the_status_bar(make_window, qtbot, monkeypatch):
    window = show(make_window(str(EXAMPLES / "mnist_mlp.json")), qtbot)
    window.canvas.fit()

    def full(text, path=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "write_recovery_text", full)
    move_down(window, next(iter(window.doc.nodes)))
    window.autosave()
    qtbot.waitUntil(lambda: "Autosave failed" in window.statusBar().currentMessage())
    assert "No space left on device" in window.statusBar().currentMessage()


CRASHING_CHILD = textwrap.dedent("""
    import os, signal, sys
    from PySide6 import QtCore, QtWidgets
    from PySide6.QtTest import QTest
    from kerascanvas.app.window import files
    from kerascanvas.app.window.main import MainWindow
    from kerascanvas.graph import atomicfile
    from tests.app.gestures import drag, node_point

    app = QtWidgets.QApplication([])
    window = MainWindow(sys.argv[1], recover=False)
    window.resize(1300, 800)
    window.show()
    QTest.qWait(200)
    ids = list(window.doc.nodes)

    def move_down(node_id):
        start = node_point(window, node_id)
        drag(window, start, start + QtCore.QPoint(0, 40))

    move_down(ids[0])
    window.autosave()
    window.wait_for_autosave()
    print(files.recovery_path().read_text(encoding="utf-8"), flush=True)
    move_down(ids[1])
    # killed on the autosave thread once the new file is written, before it replaces the old
    atomicfile.commit = lambda partial, path: os.kill(os.getpid(), signal.SIGKILL)
    window.autosave()
    window.wait_for_autosave()
    print("still running", flush=True)
""")


@pytest.mark.slow  # a child process opens a window: 5-17 s
def test_a_session_killed_while_autosaving_loses_nothing_already_saved(make_window, data_dir):
    env = {**os.environ, "KERASCANVAS_DATA_DIR": str(data_dir), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    child = subprocess.run([sys.executable, "-c", CRASHING_CHILD,
                            str(EXAMPLES / "mnist_mlp.json")], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    first_autosave, *rest = child.stdout.splitlines()
    assert rest == []
    recovery = files.recovery_path()
    assert recovery.read_text(encoding="utf-8") == first_autosave  # whole, and the older one
    (partial,) = data_dir.glob(".partial-*-recovery.json")  # the write the kill cut short
    newer = json.loads(partial.read_text(encoding="utf-8"))
    assert newer["project"]["ui"] != json.loads(first_autosave)["project"]["ui"]
    restored = make_window(recover=True)
    kept = json.loads(first_autosave)
    assert projectfile.dumps(restored.doc) == projectfile.dumps(
        projectfile.from_dict(kept["project"]))
    assert restored.path == kept["source"] and restored.isWindowModified()
