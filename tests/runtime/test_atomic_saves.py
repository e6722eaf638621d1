"""Saves killed with SIGKILL at random moments never leave a broken file.

A child process saves in a loop; the parent kills it at random points, then checks
that the target still loads (a project with the project loader, a model with Keras'
safe loader) and that the next save removes the partial file the kill left.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kerascanvas.graph import atomicfile
from kerascanvas.graph.projectfile import load, save
from tests.graph.test_projectfile import sample_doc

ROOT = Path(__file__).parents[2]

PROJECT_LOOP = textwrap.dedent("""
    import sys
    from kerascanvas.graph.projectfile import load, save
    doc = load(sys.argv[1])
    doc.ui["padding"] = "x" * 2_000_000  # a large file makes the write take a while
    print("ready", flush=True)
    while True:
        save(doc, sys.argv[1])
""")

MODEL_LOOP = textwrap.dedent("""
    import sys
    import keras
    from kerascanvas.runtime.callbacks import save_atomic
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(512),
                              keras.layers.Dense(512), keras.layers.Dense(10)])
    save_atomic(model, sys.argv[1])
    print("ready", flush=True)
    while True:
        save_atomic(model, sys.argv[1])
""")


def _kill_while_saving(code: str, target: Path, rng: random.Random, wait: float) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    child = subprocess.Popen([sys.executable, "-c", code, str(target)], env=env,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, wait))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


def test_a_project_save_killed_at_random_points_always_reloads(tmp_path):
    target = tmp_path / "project.json"
    save(sample_doc(), target)
    rng = random.Random(16)
    for _ in range(4):
        _kill_while_saving(PROJECT_LOOP, target, rng, wait=0.3)
        assert load(target).outputs == sample_doc().outputs
    save(sample_doc(), target)  # the next save cleans what the kills left
    assert [p.name for p in tmp_path.iterdir()] == ["project.json"]


def test_stale_partials_of_a_dead_writer_are_removed_and_a_live_ones_kept(tmp_path):
    target = tmp_path / "p.json"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    atomicfile.partial_path(target, pid=dead.pid).write_text("half")
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        busy = atomicfile.partial_path(target, pid=live.pid)
        busy.write_text("in progress")
        (tmp_path / ".p.json.abcd1234.tmp").write_text("old style")
        save(sample_doc(), target)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["p.json", busy.name])
    finally:
        live.kill()
        live.wait()


@pytest.mark.slow
def test_a_model_save_killed_at_random_points_always_loads(tmp_path):
    import keras

    target = tmp_path / "model.keras"
    rng = random.Random(6)
    for _ in range(5):
        _kill_while_saving(MODEL_LOOP, target, rng, wait=1.0)
        model = keras.saving.load_model(target, safe_mode=True)
        assert model.count_params() == 64 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10
    keras.saving.load_model(target, safe_mode=True).save(tmp_path / "plain.keras")
    from kerascanvas.runtime.callbacks import save_atomic
    save_atomic(keras.saving.load_model(target), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras", "plain.keras"]


def test_threads_saving_one_file_never_share_a_partial(tmp_path):
    """Partial names carried only the process id: two threads of one process saving the
    same file wrote into one partial, and one rename found it gone (FileNotFoundError)."""
    import threading

    target, errors = tmp_path / "runs.json", []

    def save(text: str) -> None:
        try:
            for _ in range(60):
                atomicfile.write_bytes_atomic(target, text.encode())
        except OSError as exc:  # the collision
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(t,)) for t in ("a" * 9000, "b" * 9000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert target.read_text() in ("a" * 9000, "b" * 9000)
    assert [p.name for p in tmp_path.iterdir()] == ["runs.json"]
