"""Models a Keras user writes, saved as `.keras` with trained-looking weights and imported
as `kerascanvas import` does: the project's shapes and counts are Keras', and the model
built from it starts from the archive's weights (every layer loaded) and predicts what
the original predicts. keras.applications networks (weights=None, small inputs) run in
the slow suite."""

from __future__ import annotations

import argparse
import contextlib
import io

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.graph import initial_weights, projectfile  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.cli import import_model  # noqa: E402
from kerascanvas.runtime.initial_weights import apply  # noqa: E402
from tests.roundtrip import assert_shapes_match_keras, counts, sample_inputs  # noqa: E402

L = keras.layers


def two_heads():
    a, b = keras.Input((10,), name="a"), keras.Input((5,), name="b")
    h = L.Concatenate(name="cat")([L.Dense(16, activation="relu", name="da")(a),
                                   L.Dense(8, activation="gelu", name="db")(b)])
    h = L.Dropout(0.2, name="drop")(h)
    return keras.Model([a, b], [L.Dense(3, activation="softmax", name="cls")(h),
                                L.Dense(1, name="reg")(h)], name="two_heads")


def masked_recurrent():
    x = keras.Input((9,), dtype="int32", name="tok")
    h = L.Embedding(30, 8, mask_zero=True, name="emb")(x)
    h = L.Bidirectional(L.LSTM(6, return_sequences=True), name="bi")(h)
    h = L.GRU(5, reset_after=False, name="gru")(h)
    return keras.Model(x, L.Dense(1, activation="sigmoid", name="out")(h), name="masked")


def embedding_conv1d():
    x = keras.Input((20,), dtype="int32", name="tok")
    h = L.Embedding(50, 16, name="emb")(x)
    h = L.Conv1D(12, 3, padding="same", activation="relu", name="c1")(h)
    h = L.MaxPooling1D(2, name="p1")(h)
    h = L.SeparableConv1D(8, 3, name="sc")(h)
    return keras.Model(x, L.Dense(3, name="out")(L.GlobalMaxPooling1D(name="gmp")(h)),
                       name="embedding_conv1d")


def attention():
    q, v = keras.Input((6, 16), name="q"), keras.Input((7, 16), name="v")
    m = L.MultiHeadAttention(num_heads=2, key_dim=8, name="mha")(q, v)
    h = L.LayerNormalization(name="ln")(L.Add(name="add")([q, m]))
    g = L.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2,
                              name="gqa")(h, v)
    a = L.AdditiveAttention(name="additive")([h, v])
    return keras.Model([q, v], L.Concatenate(name="cat")([g, a]), name="attention")


def normalizations():
    x = keras.Input((12, 12, 6), name="x")
    h = L.Conv2D(8, 3, use_bias=False, name="c")(x)
    h = L.BatchNormalization(momentum=0.9, name="bn")(h)
    h = L.GroupNormalization(groups=4, name="gn")(h)
    h = L.LayerNormalization(axis=[1, 2, 3], name="ln")(h)
    h = L.Dense(4, name="d")(L.Flatten(name="f")(h))
    return keras.Model(x, L.RMSNormalization(name="rms")(h), name="normalizations")


def preprocessing():
    x = keras.Input((32, 32, 3), name="img")
    h = L.Rescaling(1 / 255.0, offset=-0.5, name="rescale")(x)
    h = L.Resizing(24, 24, name="resize")(h)
    h = L.Normalization(mean=[0.5, 0.4, 0.3], variance=[0.1, 0.2, 0.3], name="norm")(h)
    h = L.RandomFlip(name="flip")(h)
    h = L.Conv2D(4, 3, name="conv")(h)
    return keras.Model(x, L.GlobalAveragePooling2D(name="gap")(h), name="preprocessing")


def per_frame():
    x = keras.Input((4, 12, 12, 3), name="frames")
    h = L.TimeDistributed(L.Conv2D(4, 3, activation="relu"), name="td_conv")(x)
    h = L.TimeDistributed(L.GlobalAveragePooling2D(), name="td_gap")(h)
    h = L.ConvLSTM1D(2, 2, return_sequences=False, name="clstm")(L.Reshape((4, 4, 1))(h))
    return keras.Model(x, L.Dense(2, name="out")(L.Flatten(name="f")(h)), name="per_frame")


def stacked_cells():
    x = keras.Input((6, 3), name="x")
    out, h0, c0, s1 = keras.tree.flatten(
        L.RNN([L.LSTMCell(8), L.GRUCell(4)], return_state=True, name="rnn")(x))
    return keras.Model(x, L.Concatenate(name="cat")([out, c0, s1]), name="stacked_cells")


def _application(name: str, side: int, **kwargs):
    def make():
        return getattr(keras.applications, name)(weights=None, input_shape=(side, side, 3),
                                                 classes=4, **kwargs)
    return make


def _transfer(name: str, side: int):
    """A frozen base called with training=False under a new head."""
    def make():
        base = getattr(keras.applications, name)(weights=None, include_top=False,
                                                 input_shape=(side, side, 3))
        base.trainable = False
        x = keras.Input((side, side, 3), name="img")
        h = L.GlobalAveragePooling2D(name="gap")(base(x, training=False))
        return keras.Model(x, L.Dense(3, name="head")(h), name="transfer")
    return make


SMALL = [two_heads, masked_recurrent, embedding_conv1d, attention, normalizations,
         preprocessing, per_frame, stacked_cells]
slow = pytest.mark.slow
CASES = [pytest.param(make, id=make.__name__) for make in SMALL] + [
    pytest.param(_application("MobileNetV3Small", 64), id="MobileNetV3Small", marks=slow),
    pytest.param(_application("EfficientNetB0", 64), id="EfficientNetB0", marks=slow),
    pytest.param(_application("DenseNet121", 64), id="DenseNet121", marks=slow),
    pytest.param(_application("ConvNeXtTiny", 64), id="ConvNeXtTiny", marks=slow),
    pytest.param(_transfer("MobileNetV2", 64), id="MobileNetV2_transfer", marks=slow),
    pytest.param(_transfer("EfficientNetV2B0", 64), id="EfficientNetV2B0_transfer",
                 marks=slow),
]


def _trained_looking(model) -> None:
    """Every weight moved off what a fresh build gives (moving variances kept positive)."""
    rng = np.random.default_rng(5)
    for weight in model.weights:
        value = keras.ops.convert_to_numpy(weight)
        if "int" in str(value.dtype):
            continue
        moved = value + rng.normal(size=value.shape) * 0.05
        weight.assign((np.abs(moved) if "variance" in weight.path else moved).astype(value.dtype))


@pytest.mark.parametrize("make", CASES)
def test_an_imported_archive_predicts_what_keras_predicts(make, tmp_path):
    model = make()
    _trained_looking(model)
    model.save(tmp_path / "m.keras")
    parser = argparse.ArgumentParser()
    import_model.add_arguments(parser)
    with contextlib.redirect_stdout(io.StringIO()):
        args = parser.parse_args([str(tmp_path / "m.keras"), "-o", str(tmp_path / "p.json")])
        assert import_model.run(args) == 0
    doc = projectfile.load(tmp_path / "p.json")
    initial_weights.anchored(doc, tmp_path)
    assert_shapes_match_keras(doc, model)
    assert analyze(doc).total_params == counts(model)
    rebuilt = build_model(doc, name=model.name)
    report = apply(rebuilt, doc)
    assert report.fresh == [], report.message()
    assert rebuilt.count_params() == model.count_params()
    data = sample_inputs(model)
    data = data[0] if len(data) == 1 else data
    got = keras.tree.flatten(rebuilt(data, training=False))
    want = keras.tree.flatten(model(data, training=False))
    assert len(got) == len(want)
    for have, expected in zip(got, want, strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(have),
                                   keras.ops.convert_to_numpy(expected), rtol=1e-5, atol=1e-6)
