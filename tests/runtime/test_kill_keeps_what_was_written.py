"""The window's Kill is immediate, on one process as on several, and keeps what the run had
written whole before it: a kill in the final evaluation keeps the model saved as training
ended (the result names it, "killed"), a kill before anything was written keeps nothing
("the model was not saved"), and partial files are removed (`runtime.kill_keep`).

The fast tests simulate the child (`kill_fake`): on several processes it stands for
torchrun's agent, which passes a SIGTERM on to its rank and waits for it, and the rank
answers SIGTERM by writing the model, as rank 0 does (`runtime.rank_end`): the kill must
not wait for that.
The slow ones kill real runs on two processes, held in training and in the predictions.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

from kerascanvas.runtime import worker
from kerascanvas.runtime.events import KILLED
from kerascanvas.runtime.kill_keep import NOT_SAVED
from kerascanvas.runtime.launch import rank_processes
from kerascanvas.runtime.worker import TrainingRun
from tests.runtime.kill_fake import fake_agent


def killed(tmp_path, monkeypatch, processes: int, mode: str) -> tuple[TrainingRun, Path]:
    """A simulated run killed once it has written what `mode` says (see `kill_fake.RANK`)."""
    monkeypatch.setattr(worker, "_child_main", fake_agent)
    save, ready = tmp_path / "runs" / "run_1.keras", tmp_path / "ready"
    save.parent.mkdir()
    run = TrainingRun({}, {"fake": [str(ready), mode]}, save_path=save, processes=processes)
    before = save.parent / "run_1.predictions.npz"
    if mode == "nothing":  # a file there from before the run is not the run's
        before.write_text("from before the run")
    run.start()
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline, "the simulated run did not start"
        time.sleep(0.02)
    ranks = rank_processes(run.process.pid, "kerascanvas.runtime")
    assert len(ranks) == (processes > 1 and mode != "starting")
    run.kill()
    assert run.status == KILLED
    for rank in ranks:  # killed at once (a zombie until it is reaped)
        assert not os.path.exists(f"/proc/{rank}") or \
            Path(f"/proc/{rank}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    return run, save


def test_kill_before_anything_was_written_keeps_nothing_not_even_what_rank_0_would_keep(
        tmp_path, monkeypatch):
    run, save = killed(tmp_path, monkeypatch, processes=2, mode="nothing")
    assert run.result.message == NOT_SAVED
    assert run.result.saved is None and run.result.evaluation is None
    assert sorted(p.name for p in save.parent.iterdir()) == ["run_1.predictions.npz"]
    assert (save.parent / "run_1.predictions.npz").read_text() == "from before the run"


def test_kill_in_the_final_evaluation_keeps_the_model_and_removes_partial_files(
        tmp_path, monkeypatch):
    run, save = killed(tmp_path, monkeypatch, processes=2, mode="saved")
    assert run.result.saved == str(save) and run.result.evaluation is None
    assert save.read_text() == "model"  # as it was written before the kill
    assert f"the model was kept at {save} " in run.result.message
    assert "without the final evaluation's scores or predictions" in run.result.message
    # The rank's partial predictions are removed, though it may be a zombie still. (The
    # simulated rank writes no run record: the real runs' test below checks it is kept.)
    assert sorted(p.name for p in save.parent.iterdir()) == ["run_1.keras"]


def test_kill_after_the_predictions_keeps_both_on_one_process(tmp_path, monkeypatch):
    run, save = killed(tmp_path, monkeypatch, processes=1, mode="predicted")
    predictions = save.parent / "run_1.predictions.npz"
    assert run.result.saved == str(save)
    assert run.result.evaluation == {"split": "", "metrics": {},
                                     "predictions": str(predictions)}
    assert "with its predictions" in run.result.message
    assert sorted(p.name for p in save.parent.iterdir()) == ["run_1.keras",
                                                             "run_1.predictions.npz"]


def processes_tagged(tag: str) -> list[int]:
    """The running processes (zombies aside) whose environment holds `tag`, other than
    this one and its multiprocessing helper: the run's, as /proc shows them."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if tag.encode() in environ and state != "Z" and int(entry) != os.getpid() \
                and b"resource_tracker" not in command:
            found.append(int(entry))
    return found


def test_kill_while_the_ranks_are_starting_leaves_no_process_and_keeps_nothing(
        tmp_path, monkeypatch):
    """The agent has started no rank yet: a SIGTERM would have it start them and pass the
    SIGTERM on (rank 0 would keep a model it never trained; rank 1, deaf to it, would
    outlive the agent). The Kill leaves it no time for either."""
    tag = f"run-{uuid.uuid4().hex}"
    monkeypatch.setenv("KERASCANVAS_TEST_RUN", tag)  # the run's processes inherit it
    run, save = killed(tmp_path, monkeypatch, processes=2, mode="starting")
    time.sleep(0.5)  # a rank started late would have written by now
    assert processes_tagged(tag) == []
    assert run.result.message == NOT_SAVED and run.result.saved is None
    assert not save.exists() and not list(save.parent.glob(".partial-*"))


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("held", ["hold_in_validation", "hold_in_predictions"])
def test_kill_of_a_real_run_on_two_processes_keeps_what_was_saved(tmp_path, held):
    """Held in its first validation pass, rank 0 has saved nothing (a SIGTERM there would
    keep the model): nothing is left. Held in its predictions, it has saved the model,
    which is kept whole, and loads as Keras builds the document's model."""
    from kerascanvas.runtime.build import build_model
    from kerascanvas.runtime.keras_env import import_keras
    from tests.runtime.test_distributed import wait_for
    from tests.runtime.test_worker import mlp

    inside = tmp_path / "held"
    save = tmp_path / "runs" / "run_1.keras"
    doc = mlp(validation_split=0.25, epochs=2)
    run = TrainingRun(doc, save_path=save, processes=2,
                      fault={held: str(inside), "timeout_s": 600})
    run.start()
    try:
        wait_for(inside.exists, 600, 0.1)
        ranks = rank_processes(run.process.pid, "kerascanvas.runtime")
        assert len(ranks) == 2
    finally:
        run.kill()
    assert run.status == KILLED
    time.sleep(2)  # a rank that outlived the kill would save now
    if held == "hold_in_validation":
        assert run.result.message == NOT_SAVED
        assert not save.parent.exists() or list(save.parent.iterdir()) == []
        return
    assert run.result.saved == str(save) and run.result.evaluation is None
    # with its run record (`run_record.keep`), written as it was saved
    assert sorted(p.name for p in save.parent.iterdir()) == ["run_1.keras",
                                                             "run_1.keras.run.json"]
    keras = import_keras()
    kept = keras.saving.load_model(save, safe_mode=True)
    built = build_model(doc)
    assert kept.count_params() == built.count_params()
    assert [w.shape for w in kept.weights] == [w.shape for w in built.weights]


@pytest.mark.slow  # the worker's child imports torch and starts torchrun's agent: 10-60 s
@pytest.mark.timeout(900)
def test_kill_of_a_real_run_whose_ranks_are_starting_leaves_no_process(tmp_path, monkeypatch):
    """Killed as soon as torchrun's agent has started its ranks (still importing keras):
    no process of the run remains, and it keeps nothing."""
    from kerascanvas.runtime.worker_kill import descendants
    from tests.runtime.test_distributed import wait_for
    from tests.runtime.test_worker import mlp

    tag = f"run-{uuid.uuid4().hex}"
    monkeypatch.setenv("KERASCANVAS_TEST_RUN", tag)
    save = tmp_path / "runs" / "run_1.keras"
    run = TrainingRun(mlp(epochs=2), save_path=save, processes=2)
    run.start()
    try:
        wait_for(lambda: len(descendants(run.process.pid)) >= 2, 600, 0.01)
    finally:
        run.kill()
    assert run.status == KILLED and run.result.message == NOT_SAVED
    time.sleep(1)  # a rank that outlived the kill would show now
    assert processes_tagged(tag) == []
    assert not save.exists()
