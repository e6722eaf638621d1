"""A callback path that cannot be written (a CSV log or checkpoint named like a folder, a
TensorBoard folder named like a file) is refused before training, naming its field:
it ended the run in its first epoch with an OSError and a traceback."""

from __future__ import annotations

import doctest

import pytest

from kerascanvas.runtime import callback_paths
from kerascanvas.runtime.train import TrainingRefused, prepare
from tests.graph.test_training_schema import model


@pytest.mark.parametrize("callback, key, expected", [
    ({"name": "csv_logger", "filename": "{folder}"}, "filename", "is a folder"),
    ({"name": "model_checkpoint", "filepath": "{folder}/ck.keras"}, "filepath", "is a folder"),
    ({"name": "tensorboard", "log_dir": "{file}"}, "log_dir", "is a file; expected a folder"),
    ({"name": "csv_logger", "filename": "{file}/log.csv"}, "filename",
     "cannot be made: '{file}' is a file, not a folder"),
    ({"name": "tensorboard", "log_dir": "{folder}/new/logs"}, None, None),
])
def test_a_callback_path_that_cannot_be_written_is_refused_before_training(
        tmp_path, callback, key, expected):
    folder, file = tmp_path / "runs", tmp_path / "p.json"
    folder.mkdir()
    (folder / "ck.keras").mkdir()  # a folder that a checkpoint's name names
    file.write_text("{}")
    filled = {k: v.format(folder=folder, file=file) for k, v in callback.items()}
    doc = model(callbacks=[filled])
    if key is None:
        prepare(doc)  # a path that can be made is not refused
        return
    with pytest.raises(TrainingRefused) as info:
        prepare(doc)
    value = filled[key]
    assert f"training.callbacks[0].{key}: {value!r} " \
           f"{expected.format(file=file)}" in str(info.value)


def test_doctests():
    assert doctest.testmod(callback_paths).failed == 0


def test_a_checkpoint_named_as_a_folder_is_refused_by_the_run_as_validate_says(tmp_path):
    """A relative 'ck.keras/' was anchored to '<folder>/ck.keras' (the slash dropped):
    validate refused it, but the run saved a checkpoint file under another name."""
    from kerascanvas.graph import validate
    from kerascanvas.graph.training_paths import anchored_settings

    doc = model(callbacks=[{"name": "model_checkpoint", "filepath": "ck.keras/"}])
    said = [i.message for i in validate.analyze(doc).issues if "filepath" in i.message]
    assert said and "training cannot start" in said[0]
    doc.training = anchored_settings(doc.training, tmp_path)
    assert doc.training["callbacks"][0]["filepath"] == f"{tmp_path}/ck.keras/"
    with pytest.raises(TrainingRefused, match=r"callbacks\[0\]\.filepath: expected a path "
                       r"ending in \.keras"):
        prepare(doc)
