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
