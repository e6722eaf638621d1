"""`kerascanvas run --resume` / `--initial-epoch` refusals say what they received and what
is allowed, before anything trains. Before, `--initial-epoch 3` without `--resume` trained
nothing from epoch 3 to 3 and exited 0, `--data-changed` alone was ignored, an
`--initial-epoch` past `--epochs` was blamed on the model ("reached epoch 12", which the
run record did not say), and a missing `--resume` file or an unreadable record came after
"continuing from epoch 0 to epoch 3"."""

from __future__ import annotations

import shutil
import zipfile

import pytest

from kerascanvas.runtime import run_record
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_run import classifier, project, run

from .test_resume_epochs import STOP_AFTER_2


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A project set to 5 epochs and a model its run kept after epoch 2 (its record says
    so), with a copy whose record cannot be read."""
    folder = tmp_path_factory.mktemp("refusals")
    path = project(folder, classifier(training={"epochs": 5, "data": "synthetic:64"}))
    model = folder / "m.keras"
    assert run(path, "--callback", STOP_AFTER_2, "--save", model) == 0
    assert run_record.resume_point(run_record.read(model)) == (2, 5)
    shutil.copy(model, folder / "bad.keras")
    run_record.record_path(folder / "bad.keras").write_text("{not json")
    (folder / "text.keras").write_text("not a model")
    with zipfile.ZipFile(folder / "other.keras", "w") as archive:
        archive.writestr("notes.txt", "no config.json here")
    return path, folder


CASES = {  # the flags (<model>: the saved model, <dir>: its folder), what the refusal says
    "initial epoch without resume": (
        ["--initial-epoch", "3"],
        ["--initial-epoch 3 without --resume", "needs --resume MODEL.keras",
         "a new run starts at epoch 0"]),
    "data-changed without resume": (
        ["--data-changed"], ["--data-changed without --resume", "needs --resume"]),
    "initial epoch past epochs": (
        ["--resume", "<model>", "--initial-epoch", "12", "--epochs", "10"],
        ["--initial-epoch 12 is past --epochs 10: the run would train no epoch",
         "give more than 12"]),
    "initial epoch at epochs": (
        ["--resume", "<model>", "--initial-epoch", "10", "--epochs", "10"],
        ["--initial-epoch 10 is not before --epochs 10"]),
    "epochs already trained": (
        ["--resume", "<model>", "--epochs", "2"],
        ["--epochs 2 is an epoch already trained: <model> reached epoch 2 (its run record)",
         "give more than 2, or leave it out to train to epoch 5, the rest of the run's plan"]),
    "no such model": (
        ["--resume", "<dir>/none.keras"],
        ["--resume <dir>/none.keras: the file does not exist; expected the .keras model"]),
    "a folder": (["--resume", "<dir>"], ["--resume <dir>: the file is a folder"]),
    "not a model": (  # said after four lines of what the run would resume, and listed
        ["--resume", "<dir>/text.keras"],
        ["--resume <dir>/text.keras: not a .keras file (expected a zip archive)"]),
    "a zip of no model": (
        ["--resume", "<dir>/other.keras"],
        ["--resume <dir>/other.keras: a zip archive without a model's config.json"]),
    "unreadable record": (
        ["--resume", "<dir>/bad.keras"],
        ["cannot read <dir>/bad.keras.run.json", "pass --data-changed",
         "--initial-epoch N for the epoch it reached"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refusal_says_what_it_received_and_what_is_allowed(saved, capsys, case):
    path, folder = saved
    flags, said = CASES[case]

    def filled(text: str) -> str:
        return text.replace("<model>", str(folder / "m.keras")).replace("<dir>", str(folder))

    capsys.readouterr()
    assert run(path, *map(filled, flags)) == 1
    err = capsys.readouterr().err
    for part in said:
        assert filled(part) in err
    assert "continuing from" not in err and "Traceback" not in err
    assert "listed as Run" not in err
    if "model" in case:  # refused before any line about what the run would resume
        assert "resuming" not in err


def test_a_negative_initial_epoch_is_refused_by_the_parser(saved, capsys):
    path, _ = saved
    with pytest.raises(SystemExit) as exit_:
        run(path, "--initial-epoch=-1")
    assert exit_.value.code == 2
    assert "--initial-epoch: expected an integer >= 0, received '-1'" in capsys.readouterr().err


def test_a_model_kept_after_a_nan_loss_needs_a_rate(tmp_path, capsys):
    """Its run is listed as ended on a NaN loss: without --lr it would go on at the rate
    it diverged at (its record's), so it is refused, naming that rate; --lr trains."""
    from tests.app.test_nan_resume import RATE, diverging_project

    path, _, _ = diverging_project(tmp_path, 32)
    assert run(path) == 3  # NaN in epoch 3: the model of epoch 2 kept as stopped_1.keras
    model = tmp_path / "model.runs" / "stopped_1.keras"
    capsys.readouterr()
    assert run(path, "--resume", model) == 1
    err = capsys.readouterr().err
    assert f"--resume {model}: Run 1 ended on a NaN loss (the runs index says so) at " \
        f"learning rate {RATE:.3g}" in err and "Give --lr RATE" in err
    assert run(path, "--resume", model, "--lr", "1e-20", "--epochs", "3") in (0, 3)
    assert "ended on a NaN loss" not in capsys.readouterr().err
