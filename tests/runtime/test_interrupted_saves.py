"""A trained model's save cut short (the writer raises, or its process is killed) leaves
the previous file whole, no empty or half-written `trained_N.keras`, and no runs index
entry pointing at a broken file; a truncated `.keras` is refused with a message naming
it."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import pytest

from kerascanvas.graph import atomicfile
from kerascanvas.runtime.callbacks import save_atomic
from kerascanvas.runtime.cli.kept_runs import keep_model, list_run, save_unused
from kerascanvas.runtime.importer import ModelImportError, check_file
from kerascanvas.runtime.train import OK, STOPPED, TrainingRefused, TrainResult
from kerascanvas.runtime.train_model import continue_from

ROOT = Path(__file__).parents[2]


def small_model() -> keras.Model:
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="out")])


def cut_short(monkeypatch, written: bytes = b"PK\x03\x04 half a model") -> None:
    """Keras' save writes the start of the archive, then fails (a full disk)."""

    def failing_save(model, path, **options):
        Path(path).write_bytes(written)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keras.Model, "save", failing_save)


def result_of(model, status=OK) -> TrainResult:
    return TrainResult(status, "Trained.", model=model, epochs_run=1,
                       settings={"epochs": 1, "batch_size": 16})


def test_a_failed_save_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "model.keras"
    save_atomic(small_model(), target)
    before = target.read_bytes()
    cut_short(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        save_atomic(small_model(), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_a_model_kept_whose_save_fails_leaves_no_file_and_no_index_entry_to_it(
        tmp_path, monkeypatch, capsys):
    project = tmp_path / "model.json"
    runs = tmp_path / "model.runs"
    first = result_of(small_model())
    keep_model(first, project)
    assert Path(first.saved) == runs / "trained_1.keras"
    kept = Path(first.saved).read_bytes()
    cut_short(monkeypatch)
    second = result_of(small_model(), STOPPED)
    keep_model(second, project)
    assert second.saved is None
    assert "could not keep the model in" in capsys.readouterr().err
    # No empty or half-written stopped_1.keras (the name was once reserved empty).
    assert sorted(p.name for p in runs.iterdir()) == ["trained_1.keras"]
    assert (runs / "trained_1.keras").read_bytes() == kept
    list_run(second, project)
    entries = json.loads((runs / "runs.json").read_text())["runs"]
    assert [e["saved"] for e in entries] == [None]


def test_models_kept_at_once_take_distinct_names_and_never_replace_a_file(tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "trained_1.keras").write_bytes(b"someone else's")
    paths = [save_unused(small_model(), folder, "trained") for _ in range(2)]
    assert [p.name for p in paths] == ["trained_2.keras", "trained_3.keras"]
    assert (folder / "trained_1.keras").read_bytes() == b"someone else's"
    for path in paths:
        assert keras.saving.load_model(path, safe_mode=True).count_params() == 4 * 3 + 3
    assert not list(folder.glob(".partial-*"))


def test_a_copy_cut_short_leaves_the_target_as_it_was(tmp_path, monkeypatch):
    source, target = tmp_path / "run_1.keras", tmp_path / "mine.keras"
    source.write_bytes(b"new model" * 1000)
    target.write_bytes(b"old model")

    def failing_copy(src, dst):
        Path(dst).write_bytes(b"new mo")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomicfile.shutil, "copyfile", failing_copy)
    with pytest.raises(OSError):
        atomicfile.copy_atomic(source, target)
    assert target.read_bytes() == b"old model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.keras", "run_1.keras"]


@pytest.fixture()
def broken_models(tmp_path) -> dict[str, Path]:
    whole = tmp_path / "whole.keras"
    small_model().save(whole)
    data = whole.read_bytes()
    files = {"empty": b"", "truncated": data[: len(data) // 2], "not a .keras": b"hello"}
    paths = {}
    for problem, content in files.items():
        paths[problem] = tmp_path / f"{problem.replace(' ', '_')}.keras"
        paths[problem].write_bytes(content)
    return paths


@pytest.mark.parametrize("problem", ["empty", "truncated", "not a .keras"])
def test_opening_a_broken_keras_file_names_it_and_says_what_is_wrong(broken_models, problem):
    path = broken_models[problem]
    with pytest.raises(ModelImportError) as imported:
        check_file(path)
    with pytest.raises(TrainingRefused) as resumed:
        continue_from(small_model(), str(path))
    for message in (str(imported.value), str(resumed.value)):
        assert str(path) in message and problem in message, message


KEEP_LOOP = textwrap.dedent("""
    import sys
    from pathlib import Path
    import keras
    from kerascanvas.runtime.cli.kept_runs import save_unused
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(512),
                              keras.layers.Dense(512), keras.layers.Dense(10)])
    save_unused(model, Path(sys.argv[1]), "trained")
    print("ready", flush=True)
    while True:
        save_unused(model, Path(sys.argv[1]), "trained")
""")


@pytest.mark.slow  # a child process importing keras, killed four times
def test_keeping_models_killed_at_random_points_leaves_only_whole_files(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    rng = random.Random(11)
    for _ in range(4):
        child = subprocess.Popen([sys.executable, "-c", KEEP_LOOP, str(tmp_path)], env=env,
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 1.0))
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
    kept = sorted(tmp_path.glob("trained_*.keras"))
    assert len(kept) >= 4
    for path in kept:  # every name given is a whole model
        assert keras.saving.load_model(path, safe_mode=True).count_params() == \
            64 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs a folder no file can be made in")
def test_a_save_path_that_cannot_be_written_keeps_the_model_in_the_runs_folder(tmp_path,
                                                                               capsys):
    """--save into /proc (a folder that exists, where no file can be made): the run is
    not lost to an internal error; it says why, keeps the model in the runs folder, lists
    the run naming that file, and exits 3."""
    from kerascanvas.app.cli import main
    from tests.runtime.test_run import classifier, project

    path = project(tmp_path, classifier())
    code = main(["run", path, "--data", "synthetic:64", "--epochs", "1", "--save",
                 "/proc/kerascanvas-model.keras", "--no-progress", "--threads", "1"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "Could not save the model to /proc/kerascanvas-model.keras: " in err
    kept = tmp_path / "model.runs" / "trained_1.keras"
    assert f"Saved the model to {kept}" in err and "internal error" not in err
    assert keras.saving.load_model(kept, safe_mode=True).count_params() == \
        4 * 8 + 8 + 8 * 3 + 3
    entries = json.loads((kept.parent / "runs.json").read_text())["runs"]
    assert [e["saved"] for e in entries] == ["trained_1.keras"]
