"""`kerascanvas search` on a project whose `weights` section names an imported `.keras`:
its trials start from the file's weights, or from fresh ones with `--no-initial-weights`,
and `--best-project` carries the project's own section to where it is written.

A trial trains with plain SGD at a learning rate of at most 1e-8, so the model it keeps
(`--best-model`) still holds the weights it started from to within 1e-6. Every weight is
compared with the file as Keras loads it."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from kerascanvas.app.cli import main
from kerascanvas.runtime.cli import import_model

RATE = {"training": "optimizer.learning_rate", "type": "float", "low": 1e-9, "high": 1e-8,
        "log": True}
STILL = 1e-6  # a trained weight moves less than this at these rates
FRESH = 1e-2  # a fresh kernel is further than this from the file's somewhere


def trained_archive(folder):
    """d1 -> d2 -> out, trained so that no weight is what a fresh build gives."""
    import keras

    rng = np.random.default_rng(0)
    x, y = rng.random((48, 4), dtype=np.float32), np.arange(48) % 3
    np.savez(folder / "data.npz", x=x, y=y)
    inputs = keras.Input((4,), name="inp")
    hidden = keras.layers.Dense(8, activation="relu", name="d1")(inputs)
    hidden = keras.layers.Dense(8, activation="relu", name="d2")(hidden)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="out")(hidden))
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(folder / "m.keras")
    return folder / "m.keras"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return trained_archive(tmp_path_factory.mktemp("archive"))


def searched_project(archive, folder, params) -> str:
    """The archive imported as `folder`/p.json (its weights section names the archive),
    training on the archive's data with SGD, searching `params` (d2's node given by
    name)."""
    parser = argparse.ArgumentParser()
    import_model.add_arguments(parser)
    path = folder / "p.json"
    assert import_model.run(parser.parse_args([str(archive), "-o", str(path)])) == 0
    data = json.loads(path.read_text())
    ids = {node["name"]: node["id"] for node in data["nodes"]}
    data["training"] = {"data": str(archive.parent / "data.npz"),
                        "loss": "sparse_categorical_crossentropy", "epochs": 1,
                        "batch_size": 16, "validation_split": 0.25, "seed": 0,
                        "optimizer": {"name": "sgd", "learning_rate": 1e-9}}
    data["search"] = {"metric": "val_loss", "params": [
        {**p, "node": ids[p["node"]]} if "node" in p else p for p in params]}
    path.write_text(json.dumps(data))
    return str(path)


def kernels(path) -> dict:
    """{layer name: kernel} of the model Keras loads from `path`."""
    import keras

    model = keras.saving.load_model(path, safe_mode=True)
    return {layer.name: np.asarray(layer.kernel) for layer in model.layers
            if hasattr(layer, "kernel")}


def search(project, folder, *flags) -> None:
    out = folder / "best"
    out.mkdir()
    assert main(["search", project, "--trials", "1", "--seed", "0",
                 "--storage", str(folder / "s.log"), "--best-model", str(out / "m.keras"),
                 "--best-project", str(out / "p.json"), *flags]) == 0


@pytest.mark.slow  # two searches: each checks and trains in processes that import Keras
@pytest.mark.parametrize("flags", [[], ["--no-initial-weights"]], ids=["file", "fresh"])
def test_trials_start_from_the_file_or_fresh_and_the_best_project_keeps_the_section(
        archive, tmp_path, flags):
    project = searched_project(archive, tmp_path, [RATE])
    search(project, tmp_path, *flags)
    original, started = kernels(archive), kernels(tmp_path / "best" / "m.keras")
    assert sorted(started) == sorted(original) == ["d1", "d2", "out"]
    for name, kernel in original.items():
        moved = float(np.max(np.abs(started[name] - kernel)))
        assert moved > FRESH if flags else moved < STILL, (name, moved)
    check_best_project(tmp_path / "best" / "p.json", project, archive)
    rebuilt = kernels(exported(tmp_path / "best" / "p.json"))  # the file's own weights
    for name, kernel in original.items():
        np.testing.assert_array_equal(rebuilt[name], kernel, err_msg=name)


@pytest.mark.slow  # a search: it checks and trains in processes that import Keras
def test_a_best_trial_that_reshapes_layers_keeps_the_section_and_the_layers_that_fit(
        archive, tmp_path):
    """d2 searched to 5 or 6 units: d2 and out no longer fit the file and start fresh, in
    the trial as in the best project; d1 still takes the file's weights in both."""
    units = {"node": "d2", "param": "units", "type": "choice", "choices": [5, 6]}
    project = searched_project(archive, tmp_path, [units, RATE])
    search(project, tmp_path)
    original, started = kernels(archive), kernels(tmp_path / "best" / "m.keras")
    assert started["d2"].shape[1] in (5, 6) and started["d2"].shape != original["d2"].shape
    assert float(np.max(np.abs(started["d1"] - original["d1"]))) < STILL
    check_best_project(tmp_path / "best" / "p.json", project, archive)
    rebuilt = kernels(exported(tmp_path / "best" / "p.json"))
    np.testing.assert_array_equal(rebuilt["d1"], original["d1"])
    assert rebuilt["d2"].shape == started["d2"].shape


def check_best_project(path, project, archive) -> None:
    """The best project names the archive from its own folder, with its digest, enabled
    as the project has it (--no-initial-weights is for the one command)."""
    section = json.loads(open(project).read())["weights"]
    written = json.loads(path.read_text())["weights"]
    assert (path.parent / written["source"]).resolve() == archive.resolve()
    assert written["sha256"] == section["sha256"]
    assert written.get("enabled", True) and section.get("enabled", True)


def exported(project):
    """The best project exported: its model as built, from its initial weights."""
    out = project.parent / "exported.keras"
    assert main(["export", str(project), "-o", str(out)]) == 0
    return out


@pytest.mark.parametrize("flags", [[], ["--no-initial-weights"]], ids=["as-is", "flag"])
def test_show_writes_the_best_project_with_the_projects_own_section(tmp_path, flags):
    """--show runs no trial (no Keras): the section is copied, its file named from the
    best project's folder (the file is not read, only its digest kept)."""
    from kerascanvas.graph import initial_weights
    from kerascanvas.runtime.search.options import default_storage
    from tests.runtime.test_search import LR, UNITS, mlp_project
    from tests.runtime.test_search_listing import journal

    weights = tmp_path / "w" / "m.keras"
    weights.parent.mkdir()
    weights.write_bytes(b"not read by --show")
    project = mlp_project(tmp_path, [UNITS, {**LR, "high": 1.0}])
    data = json.loads(project.read_text())
    data["weights"] = initial_weights.relative_section(initial_weights.section_for(weights),
                                                       tmp_path)
    project.write_text(json.dumps(data))
    journal(default_storage(project), 2, name=project.stem)
    out = tmp_path / "best" / "b.json"
    out.parent.mkdir()
    assert main(["search", str(project), "--show", "--best-project", str(out), *flags]) == 0
    check_best_project(out, str(project), weights)
