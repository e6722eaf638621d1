"""A validation split the data leaves unused is said, not dropped in silence: an .npz with
its own validation arrays is validated on them (as Keras' fit takes validation_data over
validation_split), and the run, its log, the window's log and the generated script say
that the split is not used."""

from __future__ import annotations

import numpy as np

from kerascanvas.runtime import events as ev
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_run import classifier, project, read_log, run

NOTE = "validation arrays (12 samples): training.validation_split 0.25 is not used"


def data(tmp_path, validation: bool) -> str:
    rng = np.random.default_rng(0)
    arrays = {"x": rng.random((48, 4), dtype="float32"), "y": rng.integers(0, 3, 48)}
    if validation:
        arrays.update(x_val=rng.random((12, 4), dtype="float32"), y_val=rng.integers(0, 3, 12))
    path = tmp_path / "d.npz"
    np.savez(path, **arrays)
    return str(path)


def test_a_split_the_data_leaves_unused_is_said(tmp_path, capsys):
    doc = classifier(training={"data": data(tmp_path, True), "validation_split": 0.25,
                               "epochs": 1})
    path = project(tmp_path, doc)
    assert run(path, "--log", tmp_path / "log.jsonl") == 0
    assert NOTE in capsys.readouterr().err
    (begin,) = [e for e in read_log(tmp_path / "log.jsonl") if isinstance(e, ev.TrainBegin)]
    assert NOTE in begin.note and begin.samples == 48  # all trained on, as Keras' fit does


def test_no_word_where_the_split_is_used_or_none_is_set(tmp_path, capsys):
    for validation, split in ((False, 0.25), (True, 0.0)):
        doc = classifier(training={"data": data(tmp_path, validation),
                                   "validation_split": split, "epochs": 1})
        assert run(project(tmp_path, doc), "--log", tmp_path / "log.jsonl") == 0
        assert "is not used" not in capsys.readouterr().err
        (begin,) = [e for e in read_log(tmp_path / "log.jsonl")
                    if isinstance(e, ev.TrainBegin)]
        assert begin.note == ""
