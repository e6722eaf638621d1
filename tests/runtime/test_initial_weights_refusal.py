"""A weights file of which no layer matches the model is refused (almost surely the wrong
file), by a run, an export and the command line alike, naming both sides' layers as Keras
names them; `--no-initial-weights` starts one command from fresh weights instead."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.app.cli import main  # noqa: E402
from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.codegen.script_weights import FUNCTIONS  # noqa: E402
from kerascanvas.graph import initial_weights, projectfile  # noqa: E402
from kerascanvas.runtime import export  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.train import (  # noqa: E402
    TrainingRefused,
    load_checked_data,
    prepare,
    train,
)
from tests.runtime.test_initial_weights import imported_project  # noqa: E402

TRAINING = {"epochs": 1, "batch_size": 8, "data": "synthetic:16", "seed": 1}


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    return imported_project(tmp_path_factory.mktemp("imported"))


def _other_model():
    """A model none of whose layers is named (or, by position, shaped) as the project's."""
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(7, name="enc_a")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, name="enc_b")(hidden))


@pytest.fixture(scope="module", params=["wrong.keras", "wrong.weights.h5"])
def wrong_file(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("wrong") / request.param
    model = _other_model()
    model.compile("adam", "mse")  # its optimizer is saved beside its layers, not as one
    model.optimizer.build(model.trainable_variables)
    model.save_weights(path) if request.param.endswith(".h5") else model.save(path)
    return path


def _doc(project, weights_file):
    doc = projectfile.load(project)
    doc.weights = initial_weights.section_for(weights_file)
    doc.training = dict(TRAINING)
    return doc


def _held_names(path):
    """The file's layers as Keras names them: by layer name in an archive, by the class
    names Keras stores a .weights.h5 file's layers under."""
    model = _other_model()
    if str(path).endswith(".h5"):
        return [keras.src.utils.naming.to_snake_case(type(layer).__name__) + suffix
                for layer, suffix in zip(model.layers[1:], ["", "_1"], strict=True)]
    return [layer.name for layer in model.layers if layer.weights]


def _says_both_sides(message, original, wrong):
    assert message.startswith("weights.source: no layer of the model matches")
    assert str(wrong) in message
    assert f"the file holds {', '.join(_held_names(wrong))};" in message
    ours = [layer.name for layer in original.layers if layer.weights]
    ours = [("block/inner_dense, block/inner_bn" if name == "block" else name)
            for name in ours]
    assert f"the model has {', '.join(ours)} (" in message
    assert "--no-initial-weights" in message and "choose another file" in message


def test_a_run_refuses_a_file_that_matches_no_layer(imported, wrong_file):
    original, project = imported
    doc, settings = prepare(_doc(project, wrong_file))
    with pytest.raises(TrainingRefused) as refused:
        train(doc, load_checked_data(doc, settings), settings)
    _says_both_sides(str(refused.value), original, wrong_file)


def test_an_export_refuses_a_file_that_matches_no_layer(imported, wrong_file, tmp_path):
    original, project = imported
    with pytest.raises(export.ExportError) as refused:
        export.export_keras(_doc(project, wrong_file), tmp_path / "x.keras")
    _says_both_sides(str(refused.value), original, wrong_file)
    assert not (tmp_path / "x.keras").exists()


def _project_naming(project, weights_file, folder):
    data = json.loads(project.read_text())
    data["weights"] = initial_weights.relative_section(
        initial_weights.section_for(weights_file), folder)
    data["training"] = {**data.get("training", {}), **TRAINING}
    path = folder / "p.json"
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.parametrize("command", [
    ["run", "{p}", "--no-progress", "--no-keep"],
    ["export", "{p}", "-o", "{out}/x.keras"],
])
def test_the_commands_refuse_it_and_no_initial_weights_starts_fresh(
        imported, wrong_file, tmp_path, capsys, command):
    original, project = imported
    path = _project_naming(project, wrong_file, tmp_path)
    argv = [word.format(p=path, out=tmp_path) for word in command]
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert "no layer of the model matches the initial weights file" in err
    assert str(wrong_file) in err and not (tmp_path / "x.keras").exists()
    assert main([*argv, "--no-initial-weights"]) == 0
    assert "Initial weights" not in capsys.readouterr().err
    saved = json.loads((tmp_path / "p.json").read_text())["weights"]
    assert saved.get("enabled", True)  # for one command: the project keeps its section


def test_no_initial_weights_also_skips_a_missing_file(imported, tmp_path):
    _, project = imported
    gone = tmp_path / "gone.keras"
    gone.write_bytes((project.parent / "m.keras").read_bytes())
    path = _project_naming(project, gone, tmp_path)
    gone.unlink()
    assert main(["export", path, "-o", str(tmp_path / "x.keras")]) == 1
    assert main(["export", path, "-o", str(tmp_path / "x.keras"), "--no-initial-weights"]) == 0
    fresh = keras.saving.load_model(tmp_path / "x.keras")
    assert [layer.name for layer in fresh.layers] == \
        [layer.name for layer in imported[0].layers]


def test_search_takes_the_switch():
    import argparse

    from kerascanvas.runtime.cli import search

    parser = argparse.ArgumentParser()
    search.add_arguments(parser)
    assert parser.parse_args(["p.json", "--no-initial-weights"]).no_initial_weights
    assert not parser.parse_args(["p.json"]).no_initial_weights


def _shapes(layer) -> str:
    return ", ".join(str(tuple(w.shape)) for w in layer.weights)


@pytest.mark.slow  # another process trains, checks or exports: 5-8 s
def test_the_generated_script_stops_naming_a_layer_and_both_shapes(imported, wrong_file,
                                                                    tmp_path):
    """The script, run as a user runs it, stops before training: the model's first layer,
    the shapes it expects, the file's layers and the shapes they hold, as Keras has them."""
    original, project = imported
    script = tmp_path / "train.py"
    script.write_text(generate(_doc(project, wrong_file), script=True))
    done = subprocess.run([sys.executable, str(script), "--save", str(tmp_path / "x.keras")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and not (tmp_path / "x.keras").exists()
    message = done.stderr.strip().splitlines()[-1]
    held = "; ".join(f"{name} {_shapes(layer)}" for name, layer in zip(
        [layer.name for layer in _other_model().layers[1:]], _other_model().layers[1:],
        strict=True))
    by_position = " (a .weights.h5 file is loaded by layer position)" \
        if str(wrong_file).endswith(".h5") else ""
    assert message == (
        f"{wrong_file}: its weights do not fit the model, no layer could be loaded"
        f"{by_position}: layer 'd1' expects shapes {_shapes(original.get_layer('d1'))}, "
        f"but the file has no layer 'd1'; it holds {held}. Give the file saved from this "
        f"model, or delete the load_matching_weights call to start from fresh weights")
    assert "Traceback" not in done.stderr


def test_the_script_names_the_layer_the_file_holds_with_other_shapes(imported, tmp_path):
    """A file sharing a layer name with the model, in other shapes, is named by it."""
    original, project = imported
    inputs = keras.Input((6,))
    keras.Model(inputs, keras.layers.Dense(5, name="out")(inputs)).save(tmp_path / "o.keras")
    helpers = {"keras": keras, "np": np}
    exec(FUNCTIONS, helpers)  # the script's own helper
    with pytest.raises(SystemExit) as stopped:
        helpers["load_matching_weights"](build_model(projectfile.load(project)),
                                         str(tmp_path / "o.keras"))
    assert (f"layer 'out' expects shapes {_shapes(original.get_layer('out'))}, but the "
            f"file's 'out' holds (6, 5), (5,). ") in str(stopped.value)
