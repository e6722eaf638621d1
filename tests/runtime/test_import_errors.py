"""A model file Keras refuses gives one line: the file, the layer, and Keras' own reason."""

from __future__ import annotations

import json
import zipfile

import pytest

from kerascanvas.runtime.importer import ModelImportError, load_file
from kerascanvas.runtime.keras_env import import_keras


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    keras = import_keras()
    a = keras.Input((6,), name="a")
    b = keras.Input((6,), name="b")
    shared = keras.layers.Dense(4, name="shared_dense")
    x = keras.layers.Concatenate(name="cat")([shared(a), shared(b)])
    model = keras.Model([a, b], keras.layers.Dense(1, name="out")(x))
    path = tmp_path_factory.mktemp("m") / "model.keras"
    model.save(path)
    return path


def _tampered(saved, tmp_path, edit) -> str:
    """A copy of the archive whose config.json went through `edit`."""
    out = tmp_path / "tampered.keras"
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()
            dst.writestr(item, data)
    return str(out)


def _layer(config, name):
    return next(entry for entry in config["config"]["layers"]
                if entry["config"]["name"] == name)


def _keras_reason(units) -> str:
    keras = import_keras()
    with pytest.raises(Exception) as caught:  # noqa: B017 - whatever Keras raises
        keras.layers.Dense(units)
    return str(caught.value)


@pytest.mark.parametrize("units", ["eight", -3])
def test_a_bad_layer_value_names_the_layer_and_keras_reason(saved, tmp_path, units):
    def edit(config):
        _layer(config, "shared_dense")["config"]["units"] = units

    path = _tampered(saved, tmp_path, edit)
    with pytest.raises(ModelImportError) as caught:
        load_file(path)
    message = str(caught.value)
    assert "config.json" in message and "'shared_dense' (Dense)" in message
    assert _keras_reason(units) in message
    assert "could not be deserialized" not in message and "\n" not in message


def test_the_cli_prints_one_line_and_writes_no_project(saved, tmp_path, capsys):
    from kerascanvas.app.cli import main

    def edit(config):
        _layer(config, "out")["class_name"] = "os.system"

    path = _tampered(saved, tmp_path, edit)
    out = tmp_path / "out.json"
    code = main(["import", path, "-o", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and not out.exists()
    assert "config.layers[4]: Keras refused layer 'out' (os.system): " in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_a_broken_wiring_keeps_keras_reason(saved, tmp_path):
    def edit(config):
        history = _layer(config, "cat")["inbound_nodes"][0]["args"][0][0]["config"]
        history["keras_history"][0] = "ghost"

    with pytest.raises(ModelImportError, match="ghost"):
        load_file(_tampered(saved, tmp_path, edit))


@pytest.mark.parametrize("name", ["legacy.h5", "legacy.hdf5", "model.keras", "model.json"])
def test_a_legacy_hdf5_model_is_named_with_the_way_to_a_keras_file(tmp_path, name):
    keras = import_keras()
    x = keras.Input((4,), name="x")
    legacy = tmp_path / "legacy.h5"
    keras.Model(x, keras.layers.Dense(2, name="d")(x)).save(legacy)  # Keras' HDF5 format
    path = tmp_path / name
    legacy.rename(path)
    with pytest.raises(ModelImportError) as info:
        load_file(path)
    message = str(info.value)
    assert str(path) in message and "HDF5" in message and ".save('model.keras')" in message


def test_a_folder_is_named_as_a_folder_not_as_a_missing_file(tmp_path):
    """A SavedModel folder (or any folder) given to import: 'no such file' was said of a
    folder that is there."""
    folder = tmp_path / "saved_model"
    folder.mkdir()
    with pytest.raises(ModelImportError, match="a folder, not a model file") as raised:
        load_file(folder)
    assert "model.save('model.keras')" in str(raised.value)
    with pytest.raises(ModelImportError, match="no such file"):
        load_file(tmp_path / "missing.keras")
