"""Training settings in validation: each problem names its field, and nothing raises."""

from hypothesis import given, settings
from hypothesis import strategies as st

from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.training_schema import check_training
from kerascanvas.graph.validate import analyze


def model(**training) -> Document:
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [4]})
    out = doc.add_node("Dense", name="out", params={"units": 2, "activation": "softmax"})
    doc.connect(Edge(x.id, 0, out.id, 0))
    doc.outputs = [out.id]
    doc.training = training
    return doc


def test_setting_problems_are_graph_issues_naming_the_field():
    doc = model(optimizer={"name": "adamx"}, batch_size=0,
                callbacks=[{"name": "early_stopping", "monitor": "val_loss"}],
                validation_split=0.0)
    issues = [i for i in analyze(doc).issues if i.code == "bad_setting"]
    fields = {"training.optimizer.name", "training.batch_size", "training.callbacks[0].monitor"}
    assert {i.message.split(":")[0] for i in issues} == fields
    assert all(i.node is None and i.port is None for i in issues)
    # They never make the graph itself invalid: it still builds and generates code.
    assert analyze(doc).valid and all(i.severity == "warning" for i in issues)
    refused = [i for i in issues if "training cannot start" in i.message]
    assert len(refused) == 2  # the monitor without validation data is only a warning


def test_good_settings_add_no_issue():
    doc = model(optimizer={"name": "sgd", "momentum": 0.9}, schedule={"name": "cosine_decay"},
                callbacks=[{"name": "csv_logger", "filename": "log.csv"}])
    assert check_training(doc) == []
    assert not [i for i in analyze(doc).issues if i.code == "bad_setting"]


values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                      lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)
keys = st.sampled_from(["optimizer", "schedule", "callbacks", "class_weight", "batch_size",
                        "epochs", "validation_split", "shuffle", "seed", "mixed_precision",
                        "device", "loss", "metrics"])


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, values, max_size=4))
def test_any_training_section_gives_issues_never_an_exception(training):
    for issue in check_training(model(**training)):
        assert issue.message.startswith(issue.field)
    analyze(model(**training))


def test_a_nan_setting_is_refused_naming_its_field():
    """NaN compares False with every bound, so it passed each range check: `--optimizer
    adam:beta_1=NaN` or `--validation-split nan` (option values read as JSON or float)
    trained into a NaN loss whose message advised a lower learning rate."""
    nan = float("nan")
    doc = model(optimizer={"name": "adam", "beta_1": nan}, validation_split=nan,
                schedule={"name": "exponential_decay", "decay_rate": nan},
                callbacks=[{"name": "early_stopping", "min_delta": nan}])
    fields = {i.field: i.message for i in check_training(doc)}
    for field in ("training.optimizer.beta_1", "training.validation_split",
                  "training.schedule.decay_rate", "training.callbacks[0].min_delta"):
        assert fields[field].endswith("Received: nan"), fields
