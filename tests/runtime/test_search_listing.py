"""The project's study read from its journal file without writing it: its trials and best,
another process's new trials, and a damaged, foreign or other-space file told clearly."""

from __future__ import annotations

import optuna
import pytest

from kerascanvas.runtime.search import study as studies
from kerascanvas.runtime.search.listing import (
    StudyReader,
    StudyReadError,
    describe,
    space_mismatch,
)

KEYS = ["hidden.units", "training.optimizer.learning_rate"]


def objective(trial):
    units = trial.suggest_int("hidden.units", 4, 32, step=4)
    rate = trial.suggest_float("training.optimizer.learning_rate", 1e-4, 1.0, log=True)
    value = units / 32 - rate
    for epoch in range(2):
        trial.report(value / (2 - epoch), step=epoch)
    return value


def journal(path, trials: int, name: str = "mlp"):
    """A study of `trials` complete trials, written by the runtime's own `open_study`."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = studies.open_study(name, str(path), "maximize",
                               optuna.samplers.RandomSampler(seed=0), metric="val_accuracy")
    study.optimize(objective, n_trials=trials)
    return study


def test_the_journal_lists_its_trials_and_best_as_optuna_holds_them(tmp_path):
    path = tmp_path / "mlp.study.log"
    written = journal(path, 3)
    before = path.read_bytes()
    stored = StudyReader(str(path), "mlp").read(KEYS)
    assert [t["number"] for t in stored.trials] == [t.number for t in written.trials]
    assert [t["params"] for t in stored.trials] == [t.params for t in written.trials]
    assert stored.best == written.best_trial.number
    assert (stored.direction, stored.metric, stored.mismatch) == ("maximize", "val_accuracy", "")
    assert stored.trials[0]["curve"] == written.trials[0].intermediate_values
    assert stored.importances is not None  # computed once per change of complete trials
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [
        path.name]


def test_a_second_read_sees_the_trials_another_process_added(tmp_path):
    path = tmp_path / "mlp.study.log"
    journal(path, 2)
    reader = StudyReader(str(path), "mlp")
    assert len(reader.read(KEYS).trials) == 2
    again = reader.read(KEYS)
    assert again.importances is None  # nothing new: not fitted again
    joined = studies.load_study("mlp", str(path))  # another process joins and adds one
    joined.optimize(objective, n_trials=1)
    assert len(reader.read(KEYS).trials) == 3


def test_no_file_or_no_study_yet_is_nothing_and_creates_nothing(tmp_path):
    missing = tmp_path / "none.study.log"
    assert StudyReader(str(missing), "none").read(KEYS) is None
    assert not missing.exists()


BAD = {"garbage line": lambda text: text[:40] + "\nnot json at all\n" + text[40:],
       "damaged last line": lambda text: text + "not json\n",
       "binary": None}


@pytest.mark.parametrize("damage", sorted(BAD))
def test_a_damaged_file_is_told_with_its_path_and_left_as_it_is(tmp_path, damage):
    path = tmp_path / "mlp.study.log"
    journal(path, 2)
    if BAD[damage] is None:
        path.write_bytes((bytes(range(128, 256)) + b"\n") * 4)
    else:
        path.write_text(BAD[damage](path.read_text()))
    before = path.read_bytes()
    with pytest.raises(StudyReadError, match="cannot be read as a study journal|ends with a "
                       "damaged line") as caught:
        StudyReader(str(path), "mlp").read(KEYS)
    assert str(path) in str(caught.value) and "left as it is" in str(caught.value)
    assert path.read_bytes() == before


def test_a_line_still_being_written_is_no_damage(tmp_path):
    path = tmp_path / "mlp.study.log"
    journal(path, 2)
    with open(path, "a") as handle:
        handle.write('{"op_code": 5, "worker')  # another process's write, half done
    assert len(StudyReader(str(path), "mlp").read(KEYS).trials) == 2


def test_a_file_holding_only_other_studies_names_them(tmp_path):
    path = tmp_path / "mlp.study.log"
    journal(path, 1, name="other")
    with pytest.raises(StudyReadError, match=r"holds no study 'mlp' \(it holds 'other'\)"):
        StudyReader(str(path), "mlp").read(KEYS)


def test_trials_of_another_search_space_are_listed_with_what_differs(tmp_path):
    path = tmp_path / "mlp.study.log"
    journal(path, 2)
    stored = StudyReader(str(path), "mlp").read(["hidden.units", "hidden.dropout"])
    assert len(stored.trials) == 2
    assert str(path) in stored.mismatch
    assert "training.optimizer.learning_rate, which the project no longer searches" in (
        stored.mismatch)
    assert "none of its trials searched hidden.dropout" in stored.mismatch
    assert space_mismatch(stored.trials, KEYS) == ""


def test_the_status_says_the_best_and_why_start_would_refuse(tmp_path):
    path = tmp_path / "mlp.study.log"
    written = journal(path, 2)
    stored = StudyReader(str(path), "mlp").read(KEYS)
    text = describe(stored, "val_accuracy", "maximize")
    assert "(2 complete)" in text and f"trial {written.best_trial.number}" in text
    assert "Start adds trials to it" in text
    refused = describe(stored, "val_loss", "minimize")
    assert "is set to maximize" in refused and "Start refuses" in refused


def test_no_study_opens_a_file_with_a_damaged_last_line(tmp_path):
    """`kerascanvas search` joins through open_study and checks through join_refusal: both
    refuse, naming the file, and the file stays byte for byte (Optuna would have skipped the
    line and appended after it, leaving the whole file unreadable)."""
    path = tmp_path / "mlp.study.log"
    journal(path, 2)
    path.write_text(path.read_text() + "not json\n")
    before = path.read_bytes()
    refusal = studies.join_refusal("mlp", str(path), "maximize", "val_accuracy")
    assert refusal and "damaged line" in refusal and str(path) in refusal
    with pytest.raises(studies.StudyError, match="damaged line"):
        studies.open_study("mlp", str(path), "maximize")
    assert path.read_bytes() == before


def test_a_trial_whose_process_ended_reads_failed_and_the_file_keeps_it_running(tmp_path):
    import socket
    import subprocess
    import sys

    path = tmp_path / "mlp.study.log"
    journal(path, 1)
    owner = subprocess.Popen([sys.executable, "-c", "pass"])
    owner.wait()  # ended: its trial will never end by itself
    study = studies.load_study("mlp", str(path))
    trial = study.ask()
    trial.set_user_attr(studies.OWNER, f"{socket.gethostname()}:{owner.pid}")
    trial.report(0.5, step=0)
    before = path.read_bytes()
    stored = StudyReader(str(path), "mlp").read(KEYS)
    shown = stored.trials[1]
    assert (shown["state"], shown["lost"], stored.running) == ("failed", "ended", False)
    assert shown["message"].startswith(f"Its process ({socket.gethostname()}:{owner.pid}) "
                                       "ended before the trial did. Last received: epoch 1")
    assert path.read_bytes() == before
    assert studies.load_study("mlp", str(path)).trials[1].state == optuna.trial.TrialState.RUNNING
