"""An ONNX graph that computes something other than Keras never replaces the file."""

from __future__ import annotations

import pytest

from kerascanvas.runtime.export import ExportError, agreement, export_onnx
from kerascanvas.runtime.importer import import_model
from kerascanvas.runtime.keras_env import import_keras

pytest.importorskip("onnx")
pytest.importorskip("onnxscript")
pytest.importorskip("onnxruntime")


def _lstm_doc(steps):
    keras = import_keras()
    inp = keras.Input((steps, 3), name="seq")
    x = keras.layers.LSTM(4, return_sequences=True, name="lstm")(inp)
    return import_model(keras.Model(inp, keras.layers.Dense(2, name="out")(x)))


def test_a_mismatching_graph_keeps_the_previous_file(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"the previous export")
    # Traced on one length, the LSTM's loop differs from Keras on the checked length.
    with pytest.raises(ExportError) as caught:
        export_onnx(_lstm_doc(None), path)
    message = str(caught.value)
    assert "differs from Keras" in message and "seq (None, None, 3)" in message
    assert "nothing was written" in message
    assert path.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


def test_fixed_sizes_export_and_match_keras_without_tracer_warnings(tmp_path):
    """Keras' shape checks make torch's tracer warn (`d = int(d)`, a Conv2D's `if
    in_channels % kernel_in_channels != 0:`); the export hides those, only while it runs."""
    import warnings

    from torch.jit import TracerWarning

    path = tmp_path / "m.onnx"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        before = list(warnings.filters)
        worst = export_onnx(_lstm_doc(5), path)
        assert warnings.filters == before  # nothing left behind for the rest of the process
        warnings.warn_explicit("after the export", TracerWarning, "x.py", 1)
    assert worst is not None and worst <= 1e-4 and path.stat().st_size > 0
    tracer = [str(w.message) for w in seen if issubclass(w.category, TracerWarning)]
    assert tracer == ["after the export"]


def test_a_nested_random_layer_is_named_when_the_exporter_fails(tmp_path):
    keras = import_keras()
    augment = keras.Sequential([keras.layers.RandomFlip("horizontal", name="flip")],
                               name="augment")
    model = keras.Sequential([keras.Input((8, 8, 3), name="image"), augment,
                              keras.layers.Flatten(name="flat"),
                              keras.layers.Dense(2, name="head")])
    path = tmp_path / "m.onnx"
    with pytest.raises(ExportError, match=r"random layer\(s\) flip \(RandomFlip\)"):
        export_onnx(import_model(model), path)
    assert not path.exists()


@pytest.mark.parametrize(("diff", "said"), [
    (0.0, "onnxruntime matches Keras exactly"),
    (3.1e-07, "onnxruntime matches Keras within 3.1e-07"),
])
def test_the_check_says_exactly_when_nothing_differs(diff, said):
    assert agreement(diff) == said
