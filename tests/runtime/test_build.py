"""build_model against models written by hand with keras.layers: same configs, same counts."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.graph import LAYER_SPECS
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.layers import custom
from kerascanvas.graph.spec import GENERIC
from kerascanvas.runtime.build import BuildError, apply_graph, build_model, make_layer
from tests.keras_ref import keras_verdict_call

L = keras.layers


def graph(nodes, edges, outputs) -> Document:
    """nodes: (name, kind, params); edges: (src, dst) or (src, src_port, dst, dst_port) by name."""
    doc = Document()
    ids = {name: doc.add_node(kind, name=name, params=params).id for name, kind, params in nodes}
    ports: dict[str, int] = {}
    for e in edges:
        src, src_port, dst, dst_port = (e[0], 0, e[1], None) if len(e) == 2 else e
        if dst_port is None:
            dst_port = ports.get(dst, 0)
        ports[dst] = dst_port + 1
        doc.connect(Edge(ids[src], src_port, ids[dst], dst_port))
    doc.set_outputs([ids[o] for o in outputs])
    return doc


def assert_same_model(ours, ref, drawn: tuple = ()):
    """Layer by layer (matched by name): same class and get_config (less the `drawn` keys,
    values Keras draws at random when constructing); same totals and shapes."""
    mine = {layer.name: layer for layer in ours.layers}
    theirs = {layer.name: layer for layer in ref.layers}
    assert sorted(mine) == sorted(theirs)
    for name, layer in theirs.items():
        assert type(mine[name]) is type(layer), name
        config, ref_config = mine[name].get_config(), layer.get_config()
        for key in drawn:
            config.pop(key, None), ref_config.pop(key, None)
        assert config == ref_config, name
        assert mine[name].count_params() == layer.count_params(), name
    assert ours.count_params() == ref.count_params()
    assert [t.name for t in ours.inputs] == [t.name for t in ref.inputs]
    assert [tuple(t.shape) for t in ours.inputs] == [tuple(t.shape) for t in ref.inputs]
    assert [tuple(t.shape) for t in ours.outputs] == [tuple(t.shape) for t in ref.outputs]


def _keras_input(shape, name):
    batch, rest = shape[0], shape[1:]
    return keras.Input(shape=rest, batch_size=batch, name=name)


def _input_params(shape):
    params = {"shape": list(shape[1:])}
    if shape[0] is not None:
        params["batch_size"] = shape[0]
    return params


# Each kind's first sample builds in the default suite, the rest in the slow one.
SAMPLES = [
    pytest.param(spec, sample, id=f"{spec.kind}-{i}", marks=pytest.mark.slow if i else ())
    for spec in LAYER_SPECS.values()
    if spec.kind not in ("Input", "KerasLayer") and not spec.is_block
    and spec.category not in ("Blocks", "Operations")  # operations: test_import_operations
    for i, sample in enumerate(spec.samples)
    if len({s[0] for s in sample.inputs}) <= 1  # one batch size for all inputs
]


@pytest.mark.parametrize("spec, sample", SAMPLES)
def test_every_spec_sample_builds_like_keras(spec, sample):
    names = [f"in{i}" for i in range(len(sample.inputs))]
    nodes = [(n, "Input", _input_params(s)) for n, s in zip(names, sample.inputs, strict=True)]
    doc = graph([*nodes, ("layer", spec.kind, dict(sample.params))],
                [(n, "layer") for n in names], ["layer"])
    tensors = [_keras_input(s, n) for n, s in zip(names, sample.inputs, strict=True)]
    try:
        _, out = keras_verdict_call(spec, dict(sample.params), tensors, name="layer")
        out = out[0] if isinstance(out, list | tuple) else out
        ref = keras.Model(tensors[0] if len(tensors) == 1 else tensors, out)
    except Exception:  # a sample (or model) Keras refuses: the builder must refuse it too
        with pytest.raises(BuildError):
            build_model(doc)
        return
    # Unseeded, some layers (RandomCrop) draw their own seed when constructed.
    drawn = ("seed",) if sample.params.get("seed") is None else ()
    assert_same_model(build_model(doc), ref, drawn)


# Generic and custom nodes take any number of inputs, but are no keras.layers class; nor
# are operations (ops.concatenate, ops.stack).
MERGES = sorted(k for k, s in LAYER_SPECS.items()
                if s.is_merge and k not in (GENERIC, custom.KIND) and s.category != "Operations")
# Keras requires `axes` for Dot. Inputs are (batch, time, features): the attention kinds
# take (batch, Tq, dim) queries, and every other merge accepts that rank too.
MERGE_PARAMS = {"Dot": {"axes": -1}}


@pytest.mark.parametrize("kind", MERGES)
def test_merge_gets_a_list_in_port_order(kind):
    params = MERGE_PARAMS.get(kind, {})
    doc = graph([("a", "Input", {"shape": [3, 6]}), ("b", "Input", {"shape": [3, 4]}),
                 ("da", "Dense", {"units": 5}), ("db", "Dense", {"units": 5}),
                 ("merge", kind, dict(params))],
                [("a", "da"), ("b", "db"), ("db", "merge"), ("da", "merge")], ["merge"])
    a, b = keras.Input((3, 6), name="a"), keras.Input((3, 4), name="b")
    da, db = L.Dense(5, name="da")(a), L.Dense(5, name="db")(b)
    ref = keras.Model([a, b], getattr(L, kind)(name="merge", **params)([db, da]))
    ours = build_model(doc)
    assert_same_model(ours, ref)
    x = [np.random.rand(2, 3, 6).astype("float32"), np.random.rand(2, 3, 4).astype("float32")]
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-6)


def test_several_inputs_and_outputs_follow_document_order():
    doc = graph([("image", "Input", {"shape": [8, 8, 1]}), ("meta", "Input", {"shape": [3]}),
                 ("flat", "Flatten", {}), ("cat", "Concatenate", {}),
                 ("score", "Dense", {"units": 1, "activation": "sigmoid"}),
                 ("label", "Dense", {"units": 4, "activation": "softmax"})],
                [("image", "flat"), ("flat", "cat"), ("meta", "cat"), ("cat", "score"),
                 ("cat", "label")], ["label", "score"])
    image, meta = keras.Input((8, 8, 1), name="image"), keras.Input((3,), name="meta")
    cat = L.Concatenate(name="cat")([L.Flatten(name="flat")(image), meta])
    score = L.Dense(1, activation="sigmoid", name="score")(cat)
    label = L.Dense(4, activation="softmax", name="label")(cat)
    ref = keras.Model([image, meta], [label, score])
    ours = build_model(doc)
    assert_same_model(ours, ref)
    assert ours.output_names == ["label", "score"]


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_rnn_states_are_indexed_by_source_port(kind):
    doc = graph([("seq", "Input", {"shape": [5, 3]}),
                 ("rnn", kind, {"units": 4, "return_state": True}),
                 ("head", "Dense", {"units": 2})],
                [("seq", "rnn"), ("rnn", 1, "head", 0)], ["head"])
    seq = keras.Input((5, 3), name="seq")
    states = getattr(L, kind)(4, return_state=True, name="rnn")(seq)
    ref = keras.Model(seq, L.Dense(2, name="head")(states[1]))
    ours = build_model(doc)
    assert_same_model(ours, ref)
    x = np.random.rand(2, 5, 3).astype("float32")
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5)


def test_attention_takes_query_value_key_positionally():
    doc = graph([("q", "Input", {"shape": [4, 8]}), ("v", "Input", {"shape": [6, 8]}),
                 ("k", "Input", {"shape": [6, 8]}),
                 ("mha", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3})],
                [("q", "mha"), ("v", "mha"), ("k", "mha")], ["mha"])
    q, v, k = (keras.Input(s, name=n) for n, s in (("q", (4, 8)), ("v", (6, 8)), ("k", (6, 8))))
    ref = keras.Model([q, v, k], L.MultiHeadAttention(2, 3, name="mha")(q, v, k))
    ours = build_model(doc)
    assert_same_model(ours, ref)
    x = [np.random.rand(2, *s).astype("float32") for s in ((4, 8), (6, 8), (6, 8))]
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5)


def test_input_passes_only_non_default_dtype_and_batch_size():
    doc = graph([("tokens", "Input", {"shape": [7], "dtype": "int32", "batch_size": 4}),
                 ("emb", "Embedding", {"input_dim": 50, "output_dim": 8}),
                 ("pool", "GlobalAveragePooling1D", {})],
                [("tokens", "emb"), ("emb", "pool")], ["pool"])
    tokens = keras.Input((7,), batch_size=4, dtype="int32", name="tokens")
    pool = L.GlobalAveragePooling1D(name="pool")(L.Embedding(50, 8, name="emb")(tokens))
    assert_same_model(build_model(doc), keras.Model(tokens, pool))


# ---- blocks, written out by hand from the block contract ------------------------------
def _conv(x, filters, kernel, name, stride=1, **kw):
    return L.Conv2D(filters, (kernel, kernel), strides=(stride, stride), name=name, **kw)(x)


def _bn_relu(x, bn, relu):
    return L.ReLU(name=relu)(L.BatchNormalization(name=bn)(x))


def residual(x, filters, stride, n):
    y = _conv(x, filters, 3, f"{n}_conv1", stride, padding="same", use_bias=False)
    y = _bn_relu(y, f"{n}_bn1", f"{n}_relu1")
    y = _conv(y, filters, 3, f"{n}_conv2", padding="same", use_bias=False)
    y = L.BatchNormalization(name=f"{n}_bn2")(y)
    s = _conv(x, filters, 1, f"{n}_proj_conv", stride, use_bias=False)
    s = L.BatchNormalization(name=f"{n}_proj_bn")(s)
    return L.ReLU(name=f"{n}_out")(L.Add(name=f"{n}_add")([y, s]))


def bottleneck(x, filters, stride, expansion, n):
    y = _conv(x, filters // expansion, 1, f"{n}_conv1", use_bias=False)
    y = _bn_relu(y, f"{n}_bn1", f"{n}_relu1")
    y = _conv(y, filters // expansion, 3, f"{n}_conv2", stride, padding="same", use_bias=False)
    y = _bn_relu(y, f"{n}_bn2", f"{n}_relu2")
    y = _conv(y, filters, 1, f"{n}_conv3", use_bias=False)
    y = L.BatchNormalization(name=f"{n}_bn3")(y)
    s = _conv(x, filters, 1, f"{n}_proj_conv", stride, use_bias=False)
    s = L.BatchNormalization(name=f"{n}_proj_bn")(s)
    return L.ReLU(name=f"{n}_out")(L.Add(name=f"{n}_add")([y, s]))


def inception(x, f, n):
    def c(src, kernel, name):
        return _conv(src, f, kernel, f"{n}_{name}", padding="same", activation="relu")

    b1 = c(x, 1, "b1_conv")
    b2 = c(c(x, 1, "b2_reduce"), 5, "b2_conv")
    b3 = c(c(x, 1, "b3_reduce"), 3, "b3_conv")
    pool = L.MaxPooling2D((3, 3), strides=(1, 1), padding="same", name=f"{n}_b4_pool")(x)
    return L.Concatenate(name=f"{n}_concat")([b1, b2, b3, c(pool, 1, "b4_conv")])


def dense_block(x, layers, growth, n):
    for i in range(1, layers + 1):
        y = _bn_relu(x, f"{n}_l{i}_bn1", f"{n}_l{i}_relu1")
        y = _conv(y, 4 * growth, 1, f"{n}_l{i}_conv1", use_bias=False)
        y = _bn_relu(y, f"{n}_l{i}_bn2", f"{n}_l{i}_relu2")
        y = _conv(y, growth, 3, f"{n}_l{i}_conv2", padding="same", use_bias=False)
        x = L.Concatenate(name=f"{n}_l{i}_concat")([x, y])
    return x


def transition(x, compression, n):
    y = _bn_relu(x, f"{n}_bn", f"{n}_relu")
    y = _conv(y, int(x.shape[-1] * compression), 1, f"{n}_conv", use_bias=False)
    return L.AveragePooling2D((2, 2), strides=(2, 2), name=f"{n}_pool")(y)


BLOCKS = [
    ("ResidualBlock", {"filters": 8, "stride": 2, "use_projection": True},
     lambda x: residual(x, 8, 2, "blk")),
    ("BottleneckBlock", {"filters": 16, "stride": 2}, lambda x: bottleneck(x, 16, 2, 4, "blk")),
    ("InceptionModule", {"filters": 4}, lambda x: inception(x, 4, "blk")),
    ("DenseBlock", {"num_layers": 2, "growth_rate": 4}, lambda x: dense_block(x, 2, 4, "blk")),
    ("TransitionLayer", {"compression": 0.5}, lambda x: transition(x, 0.5, "blk")),
]


@pytest.mark.parametrize("kind, params, by_hand", BLOCKS, ids=[b[0] for b in BLOCKS])
def test_blocks_are_inlined_with_prefixed_names(kind, params, by_hand):
    doc = graph([("image", "Input", {"shape": [8, 8, 6]}), ("blk", kind, params),
                 ("head", "GlobalAveragePooling2D", {})],
                [("image", "blk"), ("blk", "head")], ["head"])
    image = keras.Input((8, 8, 6), name="image")
    ref = keras.Model(image, L.GlobalAveragePooling2D(name="head")(by_hand(image)))
    assert_same_model(build_model(doc), ref)


def test_every_block_kind_has_a_hand_written_reference():
    assert {k for k, s in LAYER_SPECS.items() if s.is_block} == {b[0] for b in BLOCKS}


def test_generic_layer_is_deserialized_and_called_by_its_template():
    config = L.Dense(3, activation="tanh").get_config()
    doc = graph([("x", "Input", {"shape": [5]}),
                 ("odd", "KerasLayer", {"class_name": "Dense", "config": config,
                                        "output_shapes": [{"inputs": [[None, 5]],
                                                           "outputs": [[None, 3]]}]})],
                [("x", "odd")], ["odd"])
    x = keras.Input((5,), name="x")
    ref = keras.Model(x, L.Dense.from_config({**config, "name": "odd"})(x))
    assert_same_model(build_model(doc), ref)


def test_make_layer_passes_only_non_default_params():
    layer = make_layer("Conv2D", "c", {"filters": 4, "kernel_size": [3, 3], "padding": "valid"})
    assert layer.get_config() == L.Conv2D(4, (3, 3), name="c").get_config()


def test_apply_graph_reuses_layers_when_given_the_same_dict():
    doc = graph([("x", "Input", {"shape": [3]}), ("d", "Dense", {"units": 2})],
                [("x", "d")], ["d"])
    layers: dict = {}
    first = apply_graph(doc, {"x": keras.Input((3,))}, layers)
    second = apply_graph(doc, {"x": keras.Input((3,))}, layers)
    node = doc.find("d").id
    assert list(layers) == ["d"]
    assert first[node][0] is not second[node][0]
    assert len(layers["d"].weights) == 2  # built once, shared


def test_invalid_document_is_refused_with_every_issue_named():
    """Every error of the model is named; a node left out of it (it leads to no output)
    is not built, so its error is not one of them."""
    doc = graph([("x", "Input", {"shape": [3]}), ("a", "Dense", {"units": 2}),
                 ("b", "Conv2D", {"filters": 2, "kernel_size": 3}),
                 ("c", "Conv1D", {"filters": 2, "kernel_size": 3})],
                [("x", "a"), ("a", "b"), ("x", "c")], ["b", "c"])
    doc.add_node("Dense", name="loose", params={"units": 1})
    with pytest.raises(BuildError) as info:
        build_model(doc)
    text = str(info.value)
    assert "b (Conv2D)" in text and "c (Conv1D)" in text and "loose" not in text
    assert len(info.value.issues) == 2
