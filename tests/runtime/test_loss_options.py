"""A Keras loss with options (`from_logits`, `label_smoothing`, ...) in any spelling Keras
takes: the runtime, the generated script, the checks and the import all read it as Keras
does."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

from kerascanvas.app.cli import main as cli_main
from kerascanvas.codegen import generate
from kerascanvas.graph import loss_names, validate
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.project import Project
from kerascanvas.graph.training import resolve_training
from kerascanvas.graph.training_schema import check_training, resolve_extended
from kerascanvas.runtime.extras import resolve_loss
from kerascanvas.runtime.keras_env import import_keras
from kerascanvas.runtime.label_forms import label_form

keras = import_keras()
rng = np.random.default_rng(3)
SPELLINGS = [*((n, n) for n in loss_names.CLASSES),
             *((cls, n) for n, cls in loss_names.CLASSES.items()), *loss_names.ALIASES.items()]


@pytest.mark.parametrize("name", loss_names.CLASSES)
def test_the_table_names_keras_classes_and_their_options(name):
    cls = getattr(keras.losses, loss_names.CLASSES[name])
    assert cls().name in (name, f"{name}_loss")  # Huber names itself huber_loss
    takes = set(inspect.signature(cls.__init__).parameters) - {"self", "name"}
    assert takes == {*loss_names.OPTIONS[name], *loss_names.COMMON_OPTIONS}


@pytest.mark.parametrize(("spelling", "name"), SPELLINGS)
def test_every_spelling_is_the_loss_keras_computes(spelling, name):
    if name in ("ctc", "circle"):
        pytest.skip("takes labels of another form than predictions")
    y = rng.uniform(0.05, 0.95, (6, 4)).astype("float32")
    p = rng.uniform(0.05, 0.95, (6, 4)).astype("float32")
    if name == "sparse_categorical_crossentropy":
        y = rng.integers(0, 4, 6)
    expected = keras.ops.convert_to_numpy(keras.losses.get(spelling)(y, p))
    built = resolve_loss({"name": spelling, "reduction": "sum_over_batch_size"})
    assert isinstance(built, getattr(keras.losses, loss_names.CLASSES[name]))
    assert float(built(y, p)) == pytest.approx(float(np.mean(expected)), rel=1e-5)
    assert label_form(spelling, 4) == label_form(name, 4)


@pytest.mark.parametrize("loss", [
    {"name": "sparse_categorical_crossentropy", "from_logits": True},
    {"name": "SparseCategoricalCrossentropy", "from_logits": True, "ignore_class": 0},
    {"name": "categorical_crossentropy", "label_smoothing": 0.1},
    {"name": "bce", "from_logits": True},
    {"name": "huber", "delta": 0.5},
])
def test_a_loss_with_options_is_keras_class_with_them(loss):
    built = resolve_loss(loss)
    options = loss_names.options(loss)
    expected = getattr(keras.losses, loss_names.loss_class(loss))(**options)
    assert built.get_config() == expected.get_config()


def test_an_option_the_loss_does_not_take_is_named():
    loss = {"name": "mse", "from_logits": True}
    with pytest.raises(ValueError, match="from_logits"):
        resolve_loss(loss)
    doc = classifier("softmax", loss)
    (issue,) = [i for i in check_training(doc) if i.field == "training.loss.out"]
    assert issue.severity == "error" and "'from_logits'" in issue.message


def classifier(activation, loss) -> Document:
    doc = Document()
    x = doc.add_node("Input", params={"shape": [8]})
    out = doc.add_node("Dense", "out", {"units": 3, "activation": activation})
    doc.connect(Edge(x.id, 0, out.id, 0))
    doc.set_outputs([out.id])
    doc.training = {"loss": loss, "data": "synthetic:64", "epochs": 1}
    return doc


def test_one_loss_with_options_serves_every_output():
    loss = {"name": "SparseCategoricalCrossentropy", "from_logits": True}
    assert resolve_training(classifier("linear", loss))["loss"] == {"out": loss}


@pytest.mark.parametrize(("activation", "warned"), [("softmax", True), ("linear", False)])
def test_softmax_under_from_logits_is_warned_with_its_fix(activation, warned):
    doc = classifier(activation, {"name": "SparseCategoricalCrossentropy", "from_logits": True})
    found = [i for i in validate.analyze(doc).issues if i.code == "loss_mismatch"]
    assert bool(found) == warned
    if warned:
        assert found[0].fixes == ("set_linear",) and "from_logits=True" in found[0].message


def test_the_script_compiles_the_loss_with_its_options():
    loss = {"name": "categorical_crossentropy", "from_logits": True, "label_smoothing": 0.1}
    doc = classifier("linear", loss)
    code = generate(doc, script=True)
    space: dict = {"__name__": "generated"}
    exec(compile(code, "train.py", "exec"), space)  # defines; main() is not run
    built = space["LOSSES"]["out"]
    expected = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    assert built.get_config() == expected.get_config()
    assert space["label_form"](built) == "onehot"


def test_an_imported_loss_keeps_its_options_and_value(tmp_path, capsys):
    x = keras.Input((6,), name="x")
    model = keras.Model(x, keras.layers.Dense(3, name="a")(x))
    original = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)
    model.compile(optimizer="adam", loss=original)
    model.save(tmp_path / "m.keras")
    out = tmp_path / "p.json"
    assert cli_main(["import", str(tmp_path / "m.keras"), "-o", str(out)]) == 0
    assert "from_logits" not in capsys.readouterr().out  # nothing left out
    loss = resolve_extended(Project.open(out).doc)["loss"]["a"]
    assert loss == {"name": "CategoricalCrossentropy", "from_logits": True,
                    "label_smoothing": 0.2}
    y = np.eye(3)[rng.integers(0, 3, 5)].astype("float32")
    p = rng.standard_normal((5, 3)).astype("float32")
    assert float(resolve_loss(loss)(y, p)) == pytest.approx(float(original(y, p)), rel=1e-6)
    json.loads(out.read_text())  # the project file stays plain JSON
