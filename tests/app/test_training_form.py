"""The settings form: every field of the schema tables is shown, edited, undone, checked.

The cases are generated from `graph.training_schema` (OPTIMIZERS, SCHEDULES,
CALLBACKS) and `runtime.finetune.FIELDS`, so a new setting is covered the moment
it is added to a table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kerascanvas.app.panels.editors import BoolEditor, ChoiceEditor
from kerascanvas.app.training.form import TrainingForm
from kerascanvas.app.training.form_sections import GENERAL
from kerascanvas.app.training.settings_paths import lookup
from kerascanvas.graph import commands as cmd
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.params import ParamSpec
from kerascanvas.graph.project import Project
from kerascanvas.graph.training import DEFAULTS
from kerascanvas.graph.training_schema import (
    CALLBACKS,
    EXTRA_DEFAULTS,
    OPTIMIZERS,
    SCHEDULES,
    check_training,
)
from kerascanvas.runtime.finetune import FIELDS, finetune_settings

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"


def mlp(application: bool = False) -> Document:
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [32, 32, 3] if application else [4]})
    last = x
    if application:
        base = doc.add_node("Application", name="base", params={
            "architecture": "MobileNetV2", "pooling": "avg"})
        doc.connect(Edge(x.id, 0, base.id, 0))
        last = base
    out = doc.add_node("Dense", name="out", params={"units": 3, "activation": "softmax"})
    doc.connect(Edge(last.id, 0, out.id, 0))
    doc.outputs = [out.id]
    doc.training = {"epochs": 3}
    return doc


@pytest.fixture
def make_form(qtbot):
    def make(doc=None):
        form = TrainingForm(doc or mlp(), cmd.UndoStack())
        qtbot.addWidget(form)
        return form
    return make


def enter(editor, value) -> None:
    """Edit as a user would: tick, pick from the list, or type and press Enter."""
    if isinstance(editor, BoolEditor):
        editor.box.setChecked(value)
    elif isinstance(editor, ChoiceEditor):
        index = next(i for i in range(editor.combo.count()) if editor.combo.itemData(i) == value)
        editor.combo.setCurrentIndex(index)
        editor.combo.activated.emit(index)
    else:
        editor.commit(value if isinstance(value, str) else ", ".join(map(str, value))
                      if isinstance(value, list) else str(value))


def other_value(key: str, default):
    """A value unlike the default, of the type the setting takes."""
    if isinstance(default, bool):
        return not default
    if key in ("boundaries", "values"):
        return [2, 4] if key == "boundaries" else [0.1, 0.01, 0.001]
    if key == "mode":
        return "max"
    if isinstance(default, int):
        return default + 2
    if isinstance(default, float) or default is None:
        return 0.25
    return "somewhere/model.keras" if key == "filepath" else "val_accuracy" \
        if key == "monitor" else "text_value"


def shown(form, path):
    editor = form.fields[path]
    if isinstance(editor, BoolEditor):
        return editor.box.isChecked()
    if isinstance(editor, ChoiceEditor):
        return editor.combo.currentData()
    return editor.edit.text()


def visible(form, path) -> bool:
    return form.fields[path].isVisibleTo(form)


OPTIMIZER_CASES = [(n, k, d) for n, opts in OPTIMIZERS.items() for k, d in opts.items()]
SCHEDULE_CASES = [(n, k, d) for n, opts in SCHEDULES.items() for k, d in opts.items()]
CALLBACK_CASES = [(n, k, d) for n, opts in CALLBACKS.items() for k, d in opts.items()]


@pytest.mark.parametrize("name, key, default", OPTIMIZER_CASES,
                         ids=[f"{n}.{k}" for n, k, _ in OPTIMIZER_CASES])
def test_every_optimizer_option(make_form, name, key, default):
    form = make_form()
    enter(form.fields["optimizer", "name"], name)
    assert form.doc.training["optimizer"]["name"] == name
    assert visible(form, ("optimizer", key))
    hidden = {k for opts in OPTIMIZERS.values() for k in opts} - set(OPTIMIZERS[name])
    assert not any(visible(form, ("optimizer", k)) for k in hidden)
    value = other_value(key, default)
    enter(form.fields["optimizer", key], value)
    assert form.doc.training["optimizer"] == {"name": name, key: value}
    assert not form.errors["optimizer", key].text()
    assert not [i for i in check_training(form.doc) if i.field == f"training.optimizer.{key}"]


@pytest.mark.parametrize("name, key, default", SCHEDULE_CASES,
                         ids=[f"{n}.{k}" for n, k, _ in SCHEDULE_CASES])
def test_every_schedule_option(make_form, name, key, default):
    form = make_form()
    enter(form.fields["schedule", "name"], name)
    assert visible(form, ("schedule", key))
    value = other_value(key, default)
    enter(form.fields["schedule", key], value)
    assert form.doc.training["schedule"] == {"name": name, key: value}
    form.refresh()
    assert shown(form, ("schedule", key)) in (value, ", ".join(map(str, value))
                                              if isinstance(value, list) else str(value))


@pytest.mark.parametrize("name, key, default", CALLBACK_CASES,
                         ids=[f"{n}.{k}" for n, k, _ in CALLBACK_CASES])
def test_every_callback_option(make_form, name, key, default):
    form = make_form()
    assert not visible(form, ("callbacks", name, key))
    enter(form.fields["callbacks", name], True)
    assert visible(form, ("callbacks", name, key))
    value = other_value(key, default)
    enter(form.fields["callbacks", name, key], value)
    entry = next(cb for cb in form.doc.training["callbacks"] if cb["name"] == name)
    assert entry[key] == value
    enter(form.fields["callbacks", name], False)
    assert form.doc.training.get("callbacks", []) == []


def test_callbacks_without_options_are_switchable(make_form):
    form = make_form()
    for name in CALLBACKS:
        enter(form.fields["callbacks", name], True)
    assert [cb["name"] for cb in form.doc.training["callbacks"]] == list(CALLBACKS)
    assert not [i for i in check_training(form.doc) if i.severity == "error"]


@pytest.mark.parametrize("key", GENERAL)
def test_every_general_setting(make_form, key):
    form = make_form()
    default = {**DEFAULTS, **EXTRA_DEFAULTS}[key]
    value = {"class_weight": "balanced", "mixed_precision": "mixed_bfloat16",
             "device": "cpu", "validation_split": 0.3, "seed": 7,
             "test_data": "sklearn:digits"}.get(key) or \
        other_value(key, default)
    enter(form.fields[key,], value)
    assert form.doc.training[key] == value
    assert not [i for i in check_training(form.doc) if i.field == f"training.{key}"]


def test_per_class_weights_are_typed_as_pairs(make_form):
    form = make_form()
    form.fields["class_weight",].commit("0: 1.0, 2: 5")
    assert form.doc.training["class_weight"] == {"0": 1.0, "2": 5}
    assert not check_training(form.doc)
    form.fields["class_weight",].commit("")
    assert "class_weight" not in form.doc.training


def test_multi_output_document_has_loss_metrics_and_weight_per_output(make_form):
    doc = Project.open(EXAMPLES / "customer_tickets.json").doc
    form = make_form(doc)
    names = [doc.node(n).name for n in doc.outputs]
    assert len(names) == 2
    for name in names:
        assert shown(form, ("loss", name)) == doc.training["loss"][name]
        assert shown(form, ("loss_weights", name)) == str(doc.training["loss_weights"][name])
    enter(form.fields["loss", names[0]], "focal_loss")
    form.fields["metrics", names[1]].commit("accuracy, f1_macro")
    form.fields["loss_weights", names[1]].commit("0.5")
    assert doc.training["loss"][names[0]] == "focal_loss"
    assert doc.training["metrics"][names[1]] == ["accuracy", "f1_macro"]
    assert doc.training["loss_weights"][names[1]] == 0.5
    assert doc.training["metrics"][names[0]] == ["accuracy"]  # the other output is kept


def test_shared_loss_becomes_per_output_when_one_is_edited(make_form):
    doc = Project.open(EXAMPLES / "customer_tickets.json").doc
    doc.training["metrics"] = ["accuracy"]
    form = make_form(doc)
    names = [doc.node(n).name for n in doc.outputs]
    form.fields["metrics", names[0]].commit("mae")
    assert doc.training["metrics"] == {names[0]: ["mae"], names[1]: ["accuracy"]}


@pytest.mark.parametrize("key", list(FIELDS))
def test_finetune_fields_with_an_application_node(make_form, key):
    form = make_form(mlp(application=True))
    assert form.groups["Fine-tuning"].parentWidget().isVisibleTo(form)
    assert not visible(form, ("finetune", key))
    enter(form.fields["finetune",], True)
    assert visible(form, ("finetune", key))
    kind = FIELDS[key][0]
    value = 4 if kind is int else 0.005
    enter(form.fields["finetune", key], value)
    assert finetune_settings(form.doc.training)[key] == value
    assert not form.errors["finetune", key].text()


def test_finetune_section_is_hidden_without_an_application(make_form):
    form = make_form()
    assert not form.groups["Fine-tuning"].parentWidget().isVisibleTo(form)


def test_finetune_refusal_is_shown_next_to_its_field(make_form):
    form = make_form(mlp(application=True))
    enter(form.fields["finetune",], True)
    form.fields["finetune", "phase2_lr"].commit("0")
    assert "training.finetune.phase2_lr" in form.errors["finetune", "phase2_lr"].text()


def test_invalid_values_show_the_check_training_message(make_form):
    form = make_form()
    form.fields["optimizer", "learning_rate"].commit("-1")
    expected = [i.message for i in check_training(form.doc)
                if i.field == "training.optimizer.learning_rate"]
    assert expected and form.errors["optimizer", "learning_rate"].text() == expected[0]
    assert form.errors["optimizer", "learning_rate"].isVisibleTo(form)
    enter(form.fields["callbacks", "model_checkpoint"], True)
    form.fields["callbacks", "model_checkpoint", "filepath"].commit("best.txt")
    text = form.errors["callbacks", "model_checkpoint", "filepath"].text()
    assert "training.callbacks[0].filepath" in text and "best.txt" in text
    form.fields["batch_size",].commit("many")
    assert "'many'" in form.errors["batch_size",].text()
    form.fields["optimizer", "learning_rate"].commit("0.01")
    assert not form.errors["optimizer", "learning_rate"].isVisibleTo(form)


def test_each_edit_is_one_undoable_command(make_form):
    doc = mlp()
    form = make_form(doc)
    before = dict(doc.training)
    enter(form.fields["optimizer", "name"], "sgd")
    form.fields["optimizer", "momentum"].commit("0.9")
    enter(form.fields["optimizer", "nesterov"], True)
    enter(form.fields["schedule", "name"], "cosine_decay")
    enter(form.fields["callbacks", "early_stopping"], True)
    form.fields["callbacks", "early_stopping", "patience"].commit("4")
    assert doc.training["optimizer"] == {"name": "sgd", "momentum": 0.9, "nesterov": True}
    assert doc.training["callbacks"] == [{"name": "early_stopping", "patience": 4}]
    form.stack.undo()
    assert doc.training["callbacks"] == [{"name": "early_stopping"}]
    assert shown(form, ("callbacks", "early_stopping", "patience")) == ""
    for _ in range(5):
        form.stack.undo()
    assert doc.training == before
    assert shown(form, ("optimizer", "name")) == "adam"
    assert not visible(form, ("optimizer", "momentum"))
    assert not shown(form, ("callbacks", "early_stopping"))
    form.stack.redo()
    assert shown(form, ("optimizer", "name")) == "sgd"


def test_switching_optimizer_drops_options_it_does_not_take(make_form):
    doc = mlp()
    doc.training["optimizer"] = {"name": "rmsprop", "rho": 0.8, "learning_rate": 0.01}
    form = make_form(doc)
    enter(form.fields["optimizer", "name"], "adam")
    assert doc.training["optimizer"] == {"name": "adam", "learning_rate": 0.01}


def test_clearing_a_field_returns_it_to_its_default(make_form):
    form = make_form()
    form.fields["optimizer", "learning_rate"].commit("0.05")
    assert form.doc.training["optimizer"]["learning_rate"] == 0.05
    form.fields["optimizer", "learning_rate"].commit("")
    assert "learning_rate" not in form.doc.training.get("optimizer", {})
    editor = form.fields["optimizer", "learning_rate"]
    assert editor.edit.placeholderText() == f"default: {OPTIMIZERS['adam']['learning_rate']}"


def test_monitor_fields_offer_the_values_training_logs(make_form):
    doc = mlp()
    form = make_form(doc)

    def offered(name):
        completer = form.fields[("callbacks", name, "monitor")].edit.completer()
        return completer.model().stringList()

    assert offered("early_stopping") == ["val_loss", "loss"]
    enter(form.fields[("metrics", "out")], "accuracy")
    assert set(offered("reduce_lr_on_plateau")) == {"loss", "accuracy", "val_loss",
                                                    "val_accuracy"}
    enter(form.fields[("callbacks", "early_stopping")], True)
    enter(form.fields[("callbacks", "early_stopping", "monitor")], "val_acc")
    error = form.errors[("callbacks", "early_stopping", "monitor")]
    assert not error.isHidden() and "'val_acc'" in error.text()


def test_metric_fields_complete_the_last_word_with_known_metrics(make_form):
    form = make_form()
    edit = form.fields[("metrics", "out")].edit
    completer = edit.completer()
    assert completer.splitPath("accuracy, f1_m") == ["f1_m"]
    completer.setCompletionPrefix("f1_m")
    assert completer.currentCompletion() == "f1_macro"

    def picked():  # what QCompleter inserts for its current row (a source-model index)
        return completer.pathFromIndex(
            completer.completionModel().mapToSource(completer.currentIndex()))

    edit.setText("accuracy, f1_m")
    assert picked() == "accuracy, f1_macro"
    edit.setText("spa")
    completer.setCompletionPrefix("spa")
    assert picked().startswith("sparse_")


def entries_of(combo) -> dict:
    """A list's entries: value -> the text shown for it."""
    return {str(combo.itemData(i)): combo.itemText(i) for i in range(combo.count())}


def entries(form, path) -> dict:
    return entries_of(form.fields[path].combo)


@pytest.mark.parametrize("path, default", [
    (("optimizer", "name"), DEFAULTS["optimizer"]["name"]),
    (("schedule", "name"), EXTRA_DEFAULTS["schedule"]["name"]),
    (("mixed_precision",), EXTRA_DEFAULTS["mixed_precision"]),
    (("device",), EXTRA_DEFAULTS["device"]),
    (("callbacks", "early_stopping", "mode"), CALLBACKS["early_stopping"]["mode"]),
])
def test_lists_name_their_entries_as_the_properties_panel_does(make_form, path, default):
    """Each entry reads as the properties panel's lists read (`value_text`), the default
    marked "(default)" as there; the entries still hold the values written."""
    form = make_form()
    spec = ParamSpec(path[-1], "choice", default=default,
                     choices=tuple(form.fields[path].combo.itemData(i)
                                   for i in range(form.fields[path].combo.count())))
    panel = ChoiceEditor(spec)
    assert entries(form, path) == entries_of(panel.combo)
    other = next(c for c in spec.choices if c != default)
    enter(form.fields[path], other)
    assert lookup(form.doc.training, path) == (True, other)


@pytest.mark.parametrize("activation, loss", [("softmax", "sparse_categorical_crossentropy"),
                                              ("sigmoid", "binary_crossentropy")])
def test_the_loss_list_marks_the_loss_its_output_gets_by_default(make_form, activation, loss):
    doc = mlp()
    out = next(n for n in doc.nodes.values() if n.name == "out")
    doc.set_param(out.id, "activation", activation)
    form = make_form(doc)
    marked = [v for v, text in entries(form, ("loss", "out")).items() if "(default)" in text]
    assert marked == [loss]
    assert entries(form, ("loss", "out"))[loss] == f"{loss}  (default)"


def test_a_custom_loss_with_options_reads_as_its_call(make_form):
    """A loss read from the file as {"name": ..., options} showed as its raw JSON; it reads
    as the call the generated script makes, and picking it again writes the same dict."""
    doc = mlp()
    code = ("import keras\n\nclass ScaledMAE(keras.losses.Loss):\n"
            "    def __init__(self, scale=1.0, **kw):\n        super().__init__(**kw)\n"
            "        self.scale = scale\n\n    def call(self, y_true, y_pred):\n"
            "        return self.scale * keras.ops.mean(keras.ops.abs(y_true - y_pred))\n")
    loss = {"name": "ScaledMAE", "scale": 2.0}
    doc.training = {"epochs": 3, "custom_code": code, "loss": {"out": loss}}
    form = make_form(doc)
    combo = form.fields[("loss", "out")].combo
    assert combo.currentText() == "ScaledMAE(scale=2.0)"
    assert combo.currentData() == loss
    enter(form.fields[("loss", "out")], "mean_absolute_error")
    enter(form.fields[("loss", "out")], loss)
    assert form.doc.training["loss"] == {"out": loss}


def test_a_cross_entropy_on_logits_is_picked_from_the_list(make_form):
    """A linear output is trained on logits: the list offers each cross-entropy with
    from_logits=True, written as Keras' class with the option, which Keras builds."""
    from kerascanvas.runtime.extras import resolve_loss
    from kerascanvas.runtime.keras_env import import_keras

    keras = import_keras()
    doc = mlp()
    doc.node(doc.outputs[0]).params["activation"] = "linear"
    form = make_form(doc)
    loss = {"name": "SparseCategoricalCrossentropy", "from_logits": True}
    combo = form.fields[("loss", "out")].combo
    shown = {combo.itemText(i) for i in range(combo.count()) if combo.itemData(i) == loss}
    assert shown == {"SparseCategoricalCrossentropy(from_logits=True)"}
    enter(form.fields[("loss", "out")], loss)
    assert form.doc.training["loss"] == {"out": loss}
    expected = keras.losses.SparseCategoricalCrossentropy(from_logits=True).get_config()
    assert resolve_loss(form.doc.training["loss"]["out"]).get_config() == expected
    assert not [i for i in check_training(form.doc) if i.severity == "error"]
