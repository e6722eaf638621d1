"""Nested models that once came in flattened now stay nested, checked against Keras.

An encoder sub-model returning two tensors (features and a skip) used by a decoder, a
sub-model calling one Dense twice, and a functional backbone holding a keras.applications
network under a head: each imports as a nested-model block named as the sub-model, and
the runtime build and the generated code both rebuild the original (`model.layers` and
names at every depth, classes and `get_config()`, counts, forward outputs).
"""

from __future__ import annotations

import json

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.graph.projectfile import from_dict, to_dict  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.importer import import_model_report  # noqa: E402
from tests.roundtrip import assert_subclass_rebuild_equal  # noqa: E402
from tests.runtime.test_import import assert_shapes_match_keras, exec_generated  # noqa: E402
from tests.runtime.test_roundtrip_models import (  # noqa: E402
    assert_rebuilds_equal,
    assert_same_outputs,
    counts,
    structure,
)

layers = keras.layers


def encoder_decoder():
    """An encoder giving features and a skip tensor, both read by a decoder sub-model."""
    image = keras.Input((8, 8, 3), name="enc_in")
    skip = layers.Conv2D(4, 3, padding="same", activation="relu", name="enc_conv")(image)
    features = layers.MaxPooling2D(name="enc_pool")(skip)
    encoder = keras.Model(image, [features, skip], name="encoder")
    low, high = keras.Input((4, 4, 4), name="dec_low"), keras.Input((8, 8, 4), name="dec_high")
    up = layers.UpSampling2D(name="dec_up")(low)
    joined = layers.Concatenate(name="dec_join")([up, high])
    decoder = keras.Model([low, high], layers.Conv2D(2, 1, name="dec_out")(joined),
                          name="decoder")
    x = keras.Input((8, 8, 3), name="image")
    feats, skip_out = encoder(x)
    return keras.Model(x, [decoder([feats, skip_out]), feats], name="unet")


def shared_inside():
    """A sub-model calling one Dense twice (and one nested model twice), then a head."""
    tower_in = keras.Input((5,), name="tower_in")
    tower = keras.Model(tower_in, layers.Dense(5, name="tower_dense")(tower_in), name="tower")
    block_in = keras.Input((5,), name="block_in")
    twice = layers.Dense(5, activation="tanh", name="twice")
    h = twice(twice(block_in))
    h = layers.Add(name="add")([tower(h), tower(block_in)])
    block = keras.Model(block_in, h, name="block")
    x = keras.Input((5,), name="x")
    return keras.Model(x, layers.Dense(2, name="head")(block(x)), name="shared_inside")


def backbone_with_application():
    """A functional backbone wrapping MobileNetV2 and a projection, under a head."""
    image = keras.Input((32, 32, 3), name="backbone_in")
    base = keras.applications.MobileNetV2(weights=None, include_top=False,
                                          input_shape=(32, 32, 3), alpha=0.35)
    pooled = layers.GlobalAveragePooling2D(name="pool")(base(image))
    backbone = keras.Model(image, layers.Dense(8, name="project")(pooled), name="backbone")
    x = keras.Input((32, 32, 3), name="image")
    return keras.Model(x, layers.Dense(3, activation="softmax", name="head")(backbone(x)),
                       name="classifier")


def seq2seq_models():
    """The seq2seq inference pair as sub-models: an encoder giving the LSTM states, a
    decoder taking tokens and states and giving probabilities and its own states."""
    source = keras.Input((None, 7), name="enc_tokens")
    _, h, c = layers.LSTM(16, return_state=True, name="enc_lstm")(source)
    encoder = keras.Model(source, [h, c], name="encoder")
    tokens = keras.Input((None, 9), name="dec_tokens")
    h_in, c_in = keras.Input((16,), name="dec_h"), keras.Input((16,), name="dec_c")
    seq, h_out, c_out = layers.LSTM(16, return_sequences=True, return_state=True,
                                    name="dec_lstm")(tokens, initial_state=[h_in, c_in])
    probs = layers.Dense(9, activation="softmax", name="next_token")(seq)
    decoder = keras.Model([tokens, h_in, c_in], [probs, h_out, c_out], name="decoder")
    s, t = keras.Input((None, 7), name="source"), keras.Input((None, 9), name="target")
    state_h, state_c = encoder(s)
    out, _, last_c = decoder([t, state_h, state_c])
    return keras.Model([s, t], [out, last_c], name="seq2seq_nested")


def _import(model):
    report = import_model_report(model)
    assert not report.notes, report.notes  # nothing inlined
    return from_dict(json.loads(json.dumps(to_dict(report.doc)))), report


def test_an_encoder_with_two_outputs_stays_one_nested_model():
    model = encoder_decoder()
    doc, _ = _import(model)
    assert [n.name for n in doc.nodes.values()] == ["image", "encoder", "decoder"]
    encoder = doc.find("encoder")
    assert doc.blocks["encoder"]["outputs"] == [{"node": n, "port": 0} for n in (
        _inner_id(doc, "encoder", "enc_pool"), _inner_id(doc, "encoder", "enc_conv"))]
    into_decoder = sorted((e.dst_port, e.src_port) for e in doc.edges
                          if e.src == encoder.id and e.dst == doc.find("decoder").id)
    assert into_decoder == [(0, 0), (1, 1)]
    assert doc.output_refs() == [(doc.find("decoder").id, 0), (encoder.id, 0)]
    assert_shapes_match_keras(doc, model)
    assert_rebuilds_equal(model, doc)


def test_a_further_port_of_a_nested_model_is_a_model_output():
    model = encoder_decoder()
    x = model.inputs[0]
    feats, skip = model.get_layer("encoder")(x)
    skip_only = keras.Model(x, [skip, feats], name="skip_first")
    doc, _ = _import(skip_only)
    encoder = doc.find("encoder").id
    assert doc.output_refs() == [(encoder, 1), (encoder, 0)]
    assert_rebuilds_equal(skip_only, doc)


def test_a_frozen_two_output_sub_model_called_twice_shares_its_weights():
    enc_in = keras.Input((6,), name="enc_in")
    hidden = layers.Dense(5, name="enc_hidden")(enc_in)
    encoder = keras.Model(enc_in, [layers.Dense(3, name="enc_features")(hidden), hidden],
                          name="encoder")
    encoder.trainable = False
    a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
    (fa, ha), (fb, hb) = encoder(a), encoder(b)
    model = keras.Model([a, b], [layers.Concatenate(name="cat")([fa, hb, ha]), fb],
                        name="twice")
    doc, _ = _import(model)
    assert [n.kind for n in doc.nodes.values()] == ["Input", "Input", "UserBlock",
                                                    "SharedCall", "Concatenate"]
    assert_shapes_match_keras(doc, model)
    assert_rebuilds_equal(model, doc)


def test_a_sub_model_giving_a_list_of_one_tensor_keeps_giving_a_list():
    """`keras.Model(x, [y])` returns [y] when called; its config lists the output so."""
    sub_in = keras.Input((6,), name="sub_in")
    sub = keras.Model(sub_in, [layers.Dense(3, name="dense")(sub_in)], name="sub")
    a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
    (ya,), (yb,) = sub(a), sub(b)
    model = keras.Model([a, b], layers.Add(name="add")([ya, yb]), name="listed")
    doc, _ = _import(model)
    assert doc.blocks["sub"]["outputs"] == [{"node": _inner_id(doc, "sub", "dense"),
                                             "port": 0}]
    assert_rebuilds_equal(model, doc)
    rebuilt = exec_generated(doc, style="subclass", model_name=model.name)
    assert counts(rebuilt) == counts(model)
    assert_same_outputs(model, rebuilt)


def test_a_sequential_built_by_add_stays_nested():
    """Each `add` rebuilds the Sequential's graph, leaving its layers stale calls: those
    are no calls outside the model."""
    seq = keras.Sequential(name="seq")
    seq.add(keras.Input((6,)))
    for units, name in ((4, "a"), (3, "b")):
        seq.add(layers.Dense(units, name=name))
    x = keras.Input((6,), name="x")
    model = keras.Model(x, layers.Dense(1, name="head")(seq(x)), name="added")
    doc, _ = _import(model)
    assert [n.kind for n in doc.nodes.values()] == ["Input", "UserBlock", "Dense"]
    assert_rebuilds_equal(model, doc)


def test_layers_shared_inside_a_sub_model_stay_inside_it():
    model = shared_inside()
    doc, _ = _import(model)
    assert [n.name for n in doc.nodes.values()] == ["x", "block", "head"]
    kinds = {n["name"]: n["kind"] for n in doc.blocks["block"]["nodes"]}
    assert kinds == {"twice": "Dense", "twice_call1": "SharedCall", "tower": "UserBlock",
                     "tower_call1": "SharedCall", "add": "Add"}
    assert_shapes_match_keras(doc, model)
    assert_rebuilds_equal(model, doc)


def test_sub_models_passing_lstm_states_stay_nested():
    model = seq2seq_models()
    doc, _ = _import(model)
    assert [n.name for n in doc.nodes.values()] == ["source", "target", "encoder", "decoder"]
    decoder = doc.find("decoder").id
    assert doc.output_refs() == [(decoder, 0), (decoder, 2)]
    assert_shapes_match_keras(doc, model)
    assert_rebuilds_equal(model, doc)


@pytest.mark.parametrize("make", [encoder_decoder, shared_inside], ids=lambda f: f.__name__)
def test_subclass_style_unpacks_and_shares_inside_nested_models(make):
    model = make()
    rebuilt = exec_generated(_import(model)[0], style="subclass", model_name=model.name)
    assert_subclass_rebuild_equal(model, rebuilt)


@pytest.mark.slow
def test_a_backbone_holding_an_application_stays_nested():
    model = backbone_with_application()
    doc, _ = _import(model)
    assert [n.kind for n in doc.nodes.values()] == ["Input", "UserBlock", "Dense"]
    kinds = [n["kind"] for n in doc.blocks["backbone"]["nodes"]]
    assert kinds.count("Application") + kinds.count("UserBlock") == 1
    assert_shapes_match_keras(doc, model)
    assert_rebuilds_equal(model, doc)


def _inner_id(doc, block: str, name: str) -> str:
    return next(n["id"] for n in doc.blocks[block]["nodes"] if n["name"] == name)


@pytest.mark.slow
def test_a_sequential_holding_a_frozen_application_stays_nested():
    """keras.Sequential([MobileNetV2, pooling, Dense]) inside a model: the base is made and
    frozen before the Sequential that holds it."""
    base = keras.applications.MobileNetV2(weights=None, include_top=False,
                                          input_shape=(32, 32, 3))
    base.trainable = False
    seq = keras.Sequential([keras.Input((32, 32, 3)), base, layers.GlobalAveragePooling2D(
        name="gap"), layers.Dense(4, name="proj")], name="seq")
    x = keras.Input((32, 32, 3), name="image")
    model = keras.Model(x, layers.Dense(2, name="head")(seq(x)), name="outer")
    doc, _ = _import(model)
    assert [n["kind"] for n in doc.blocks["seq"]["nodes"]] == ["Application",
                                                              "GlobalAveragePooling2D", "Dense"]
    assert analyze(doc).total_params == counts(model)
    for rebuilt in (build_model(doc, name=model.name), exec_generated(doc, model_name=model.name)):
        assert counts(rebuilt) == counts(model)
        # the application's own Input is auto-named (input_layer_<uid>), the rest is equal
        assert structure(rebuilt)[1][:3] == structure(model)[1][:3]
        assert structure(rebuilt.get_layer("seq"))[1:] == structure(seq)[1:]
        assert_same_outputs(model, rebuilt)


def test_a_custom_layer_inside_a_nested_model_keeps_the_block_valid(tmp_path, monkeypatch):
    """With the user's code trusted, a custom class inside a sub-model becomes a CustomLayer
    node of the block, holding its code: the document is valid."""
    from kerascanvas.runtime.importer import load_with_code
    from tests.runtime.test_custom_layers import CODE, user_module

    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(tmp_path / "data"))
    sub_in = keras.Input((6,), name="sub_in")
    sub = keras.Model(sub_in, user_module().CustomDense(4, name="embed")(sub_in), name="sub")
    x = keras.Input((6,), name="x")
    keras.Model(x, layers.Dense(2, name="head")(sub(x))).save(tmp_path / "m.keras")
    model, classes = load_with_code(tmp_path / "m.keras", CODE, trusted=True)
    report = import_model_report(model, classes)
    assert [n.kind for n in report.doc.nodes.values()] == ["Input", "UserBlock", "Dense"]
    assert [n["kind"] for n in report.doc.blocks["sub"]["nodes"]] == ["CustomLayer"]
    analysis = analyze(report.doc)
    assert analysis.valid, analysis.errors
    assert sum(analysis.total_params) == model.count_params()


def test_a_plain_block_with_two_outputs_builds_alike_from_code_and_runtime():
    """A block that is not a nested model: its helper returns both tensors, and the code
    and the runtime build the same layers (names, configs), wired alike."""
    import copy

    from tests.graph.test_block_outputs import ENCODER, encoder_decoder

    definition = copy.deepcopy(ENCODER)
    del definition["model"]
    doc, _ = encoder_decoder(definition)
    built, written = build_model(doc, name="m"), exec_generated(doc, model_name="m")
    assert [(type(la).__name__, la.name) for la in written.layers] == [
        ("InputLayer", "x"), ("Dense", "encoder_skip"), ("Dense", "encoder_features"),
        ("Concatenate", "join")]
    assert [la.get_config() for la in written.layers] == [la.get_config() for la in
                                                           built.layers]
    assert [tuple(t.shape) for t in written.outputs] == [(None, 9), (None, 6)]
    assert_same_outputs(built, written)
