"""keras.ops calls whose symbolic call Keras accepts while its torch backend fails or
computes something else when the model runs: each is refused or warned about at edit
time, and each test first shows Keras' torch backend doing what the message says."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.graph.document import Document  # noqa: E402
from kerascanvas.graph.errors import KerasCanvasError  # noqa: E402
from kerascanvas.graph.keras_quirks import PAD_CODE  # noqa: E402
from kerascanvas.graph.spec import LAYER_SPECS  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.importer import import_model_report  # noqa: E402
from tests.codegen.helpers import add, add_input  # noqa: E402


def data_for(shapes) -> list:
    """Random data for Inputs of `shapes`, a batch of 2 where the batch is unknown."""
    rng = np.random.default_rng(0)
    return [rng.uniform(0.5, 1.5, (2, *s[1:]) if s[0] is None else s).astype("float32")
            for s in shapes]


def run(fn, shapes):
    """A functional model of `fn` on Inputs of `shapes`, called on `data_for(shapes)`."""
    inputs = [keras.Input(batch_shape=s) for s in shapes]
    model = keras.Model(inputs, fn(*inputs))
    return model, keras.ops.convert_to_numpy(model(data_for(shapes)))


def test_repeat_by_a_list_of_counts_fails_on_torch_and_is_refused_at_once():
    with pytest.raises(ValueError, match="Invalid dtype: object"):
        run(lambda x: keras.ops.repeat(x, [1, 2, 3], axis=1), [(None, 3, 4)])
    with pytest.raises(KerasCanvasError, match="fails on Keras' torch backend") as refused:
        LAYER_SPECS["ops.repeat"].resolve({"repeats": [1, 2, 3], "axis": 1})
    assert "repeats=[1, 2, 3]" in str(refused.value)
    x = keras.Input((3, 4))
    report = import_model_report(keras.Model(x, keras.ops.repeat(x, [1, 2, 3], axis=1)))
    assert [n.kind for n in report.doc.nodes.values()] == ["Input", "KerasLayer"]
    assert "torch backend" in next(iter(report.generic.values()))


@pytest.mark.parametrize("axis,weights", [(1, (4,)), (None, (None, 4, 6))])
def test_weights_off_the_last_axis_fail_or_miscompute_on_torch_and_are_refused(axis, weights):
    """Keras' symbolic call accepts both; on torch axis=1 fails, and axis=None gives one
    value per row instead of numpy's single one."""
    def average(x, w):
        return keras.ops.average(x, axis=axis, weights=w)

    if axis is None:
        assert run(average, [(None, 4, 6), weights])[1].shape == (2, 4)  # numpy: ()
    else:
        with pytest.raises(RuntimeError, match="must match"):
            run(average, [(None, 4, 6), weights])
    spec = LAYER_SPECS["ops.average"]
    with pytest.raises(KerasCanvasError, match="last axis only"):
        spec.output_shapes(spec.resolve({"axis": axis}), [(None, 4, 6), weights])


@pytest.mark.parametrize("weights", [(6,), (None, 4, 6)])
def test_weights_on_the_last_axis_compute_numpys_average(weights):
    shapes = [(None, 4, 6), weights]
    _, got = run(lambda x, w: keras.ops.average(x, axis=-1, weights=w), shapes)
    x, w = data_for(shapes)
    np.testing.assert_allclose(got, np.average(x, axis=-1, weights=w), rtol=1e-5)
    spec = LAYER_SPECS["ops.average"]
    assert spec.output_shapes(spec.resolve({"axis": -1}), shapes) == [(None, 4)]


@pytest.mark.parametrize("kind,call,shapes,params,text", [
    ("ops.rms_normalization", lambda x: keras.ops.rms_normalization(x, axis=1),
     [(None, 4, 6)], {"axis": 1}, "expected input with shape"),
    ("ops.layer_normalization", lambda x, g: keras.ops.layer_normalization(x, g),
     [(None, 4, 6), (1, 6)], {}, "same shape as normalized_shape"),
])
def test_normalizations_torch_refuses_are_refused_at_once(kind, call, shapes, params, text):
    """Consecutive axes go to torch's own kernel: the last axes only, and a scale of
    exactly their shape; Keras' symbolic call accepts both."""
    with pytest.raises(RuntimeError, match=text):
        run(call, shapes)
    spec = LAYER_SPECS[kind]
    with pytest.raises(KerasCanvasError, match="torch"):
        spec.output_shapes(spec.resolve(params), shapes)


def pad_doc(mode: str, pad_width) -> Document:
    doc = Document()
    x = add_input(doc, "x", (None, 4))
    doc.outputs = [add(doc, "ops.pad", "pad", {"pad_width": pad_width, "mode": mode}, [x])]
    return doc


@pytest.mark.parametrize("before,after", [(2, 1), (3, 0), (0, 6)])
def test_symmetric_pad_warns_with_what_torch_computes(before, after):
    """The warning's example is Keras' torch result on entries a b c d (1 2 3 4 here),
    and numpy's symmetric padding is the other one it names."""
    pad_width = [[0, 0], [before, after]]
    _, got = run(lambda x: keras.ops.pad(x, pad_width, mode="symmetric"), [(None, 4)])
    letters = dict(zip("abcd", range(4), strict=True))
    data = data_for([(None, 4)])[0]
    warned = [i for i in analyze(pad_doc("symmetric", pad_width)).issues if i.code == PAD_CODE]
    assert len(warned) == 1 and warned[0].severity == "warning"
    become, numpy_gives = (part.split("]")[0] for part in
                           warned[0].message.split("become [")[1].split("gives [")[:2])
    torch_indices = [letters[c] for c in become.split()]
    numpy_indices = [letters[c] for c in numpy_gives.split()]
    np.testing.assert_array_equal(got, data[:, torch_indices])
    np.testing.assert_array_equal(np.pad(data, pad_width, mode="symmetric"),
                                  data[:, numpy_indices])
    assert torch_indices != numpy_indices


@pytest.mark.parametrize("mode", ["reflect", "constant"])
def test_other_pad_modes_do_not_warn(mode):
    assert not [i for i in analyze(pad_doc(mode, [[0, 0], [2, 1]])).issues
                if i.code == PAD_CODE]


@pytest.mark.parametrize("k,axes,shape", [(2, (1, 2), (None, 4, 6)), (0, (1, 2), (None, 4, 6)),
                                          (2, (0, 1), (None, 4, 6))])
def test_rot90_by_an_even_k_keeps_the_shape_on_torch_and_is_refused(k, axes, shape):
    """Keras' symbolic call exchanges the two axes' dims for every k; the rotated tensor
    keeps its shape when the model runs (numpy's too), so the rule refuses an even k
    unless both dims are known and equal."""
    model, got = run(lambda x: keras.ops.rot90(x, k=k, axes=axes), [shape])
    data = data_for([shape])[0]
    assert got.shape == data.shape == np.rot90(data, k=k, axes=axes).shape
    symbolic = list(model.outputs[0].shape)
    assert symbolic[axes[0]] == shape[axes[1]] != shape[axes[0]]
    spec = LAYER_SPECS["ops.rot90"]
    with pytest.raises(KerasCanvasError, match="keeps its shape"):
        spec.output_shapes(spec.resolve({"k": k, "axes": axes}), [shape])
    assert spec.output_shapes(spec.resolve({"k": k, "axes": (1, 2)}), [(None, 5, 5)]) \
        == [(None, 5, 5)]


@pytest.mark.parametrize("kind", ["ops.quantile", "ops.nanquantile"])
def test_a_list_of_one_q_gives_an_axis_on_torch_and_is_refused(kind):
    """Keras' symbolic call counts q=[v] as the number v; torch gives an axis of size 1.
    (The percentiles' symbolic call gives that axis too: tests/graph' edge cases.)"""
    function, q = kind.removeprefix("ops."), 0.5
    model, got = run(lambda x: getattr(keras.ops, function)(x, [q], axis=1), [(None, 4, 6)])
    assert tuple(model.outputs[0].shape) == (None, 6) and got.shape == (1, 2, 6)
    spec = LAYER_SPECS[kind]
    with pytest.raises(KerasCanvasError, match="list of one q") as refused:
        spec.output_shapes(spec.resolve({"q": [q], "axis": 1}), [(None, 4, 6)])
    assert f"q=[{q}]" in str(refused.value)
    x = keras.Input((4, 6))
    report = import_model_report(keras.Model(x, getattr(keras.ops, function)(x, [q], axis=1)))
    assert [n.kind for n in report.doc.nodes.values()] == ["Input", "KerasLayer"]


@pytest.mark.parametrize("kind", ["ops.bitwise_and", "ops.left_shift", "ops.gcd"])
def test_integer_ops_on_floats_fail_on_torch_and_the_node_says_integers(kind):
    """Keras' symbolic call takes float tensors (and gives float32); torch refuses them
    when the model runs. The canvas tracks no dtypes: the node's description says it."""
    function = kind.removeprefix("ops.")
    with pytest.raises(NotImplementedError, match="not implemented for 'Float'"):
        run(lambda x, y: getattr(keras.ops, function)(x, y), [(None, 4), (None, 4)])
    assert "integer tensors only" in LAYER_SPECS[kind].doc


@pytest.mark.parametrize("function", ["bitwise_or", "right_shift"])
def test_bitwise_ops_broadcast_on_torch_where_keras_says_x_shape_and_are_refused(function):
    """Keras' symbolic call gives x's shape (None, 1, 6); torch broadcasts to (2, 4, 6)."""
    x, y = keras.Input((1, 6), dtype="int32"), keras.Input((4, 6), dtype="int32")
    model = keras.Model([x, y], getattr(keras.ops, function)(x, y))
    data = [np.ones((2, 1, 6), "int32"), np.ones((2, 4, 6), "int32")]
    assert tuple(model.outputs[0].shape) == (None, 1, 6)
    assert tuple(keras.ops.convert_to_numpy(model(data)).shape) == (2, 4, 6)
    spec = LAYER_SPECS[f"ops.{function}"]
    with pytest.raises(KerasCanvasError, match="must broadcast to x"):
        spec.output_shapes(spec.resolve({}), [(None, 1, 6), (None, 4, 6)])
