"""`kerascanvas validate` refuses a KerasLayer naming a class Keras cannot locate.

graph/ reads the shipped table of locatable classes (graph/keras_classes.json); these
tests check it against Keras' own lookup, and against a table made afresh from the
installed Keras.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from kerascanvas.app.cli import main
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.keras_classes import locate_problem, table
from kerascanvas.graph.projectfile import save
from kerascanvas.graph.validate import analyze


def keras_layer_doc(**params) -> Document:
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [4]})
    layer = doc.add_node("KerasLayer", name="kept", params={
        "output_shapes": [{"inputs": [[None, 4]], "outputs": [[None, 4]]}], **params})
    doc.connect(Edge(x.id, 0, layer.id, 0))
    doc.outputs = [layer.id]
    return doc


@pytest.mark.parametrize(("module", "class_name"), [
    ("keras.layers", "NoSuchLayer"), ("keras.layers", "Dens"), ("os", "system"),
    ("keras.src.ops.numpy", "Nope"), ("keras.layers", "__class__")])
def test_validate_refuses_a_class_keras_cannot_locate(tmp_path, capsys, module, class_name):
    doc = keras_layer_doc(module=module, class_name=class_name)
    errors = analyze(doc).errors
    assert len(errors) == 1 and errors[0].node == doc.outputs[0]
    assert f"cannot locate a layer class {class_name!r} in module {module!r}" in \
        errors[0].message
    path = tmp_path / "p.json"
    save(doc, path)
    assert main(["validate", str(path)]) == 1
    assert class_name in capsys.readouterr().out


def test_a_close_name_is_suggested():
    assert locate_problem("keras.layers", "Dens", None).endswith("Did you mean 'Dense'?")


@pytest.mark.parametrize(("module", "class_name"), [
    (None, "Identity"), ("keras.layers", "GRU"), ("keras.src.ops.numpy", "Add"),
    ("keras_hub.layers", "Anything")])
def test_classes_keras_finds_stay_valid(module, class_name):
    params = {"class_name": class_name, **({"module": module} if module else {})}
    assert not [i for i in analyze(keras_layer_doc(**params)).errors if "locate" in i.message]


def test_every_listed_class_is_one_keras_locates():
    from kerascanvas.runtime.keras_env import import_keras

    import_keras()
    from keras.src.saving.serialization_lib import _retrieve_class_or_fn

    for module, classes in table()["modules"].items():
        for name in classes:
            found = _retrieve_class_or_fn(name, None, module, "class", {"class_name": name})
            assert isinstance(found, type), (module, name)
    with pytest.raises((TypeError, ValueError), match="NoSuchLayer"):
        _retrieve_class_or_fn("NoSuchLayer", None, "keras.layers", "class", {})


def test_the_shipped_table_matches_the_installed_keras():
    # A fresh interpreter: classes loaded by other tests must not count.
    proc = subprocess.run([sys.executable, "-m", "kerascanvas.runtime.keras_classes",
                           "--check"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_a_custom_class_counts_only_where_its_code_registered_it(monkeypatch):
    from kerascanvas.graph import keras_classes

    doc = keras_layer_doc(module="mypackage.layers", class_name="Scale",
                          registered_name="mypackage>Scale")
    monkeypatch.setattr(keras_classes, "registry_lookup", None)
    (error,) = analyze(doc).errors
    assert "registered as 'mypackage>Scale'" in error.message
    monkeypatch.setattr(keras_classes, "registry_lookup", lambda name: name == "mypackage>Scale")
    assert analyze(doc).valid
