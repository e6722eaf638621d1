"""Export to .keras, ONNX and Python, and the `kerascanvas export` command."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.app.cli import main as cli_main  # noqa: E402
from kerascanvas.graph.document import Document, Edge  # noqa: E402
from kerascanvas.graph.projectfile import save  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.export import (  # noqa: E402
    ExportError,
    export_keras,
    export_onnx,
    export_python,
)


def cnn_doc() -> Document:
    doc = Document()
    chain = [("Input", "image", {"shape": [12, 12, 3]}),
             ("Conv2D", "conv", {"filters": 4, "kernel_size": [3, 3], "activation": "relu"}),
             ("BatchNormalization", "bn", {}),
             ("MaxPooling2D", "pool", {}),
             ("Flatten", "flat", {}),
             ("Dense", "out", {"units": 3, "activation": "softmax"})]
    previous = None
    for kind, name, params in chain:
        node = doc.add_node(kind, name, params)
        if previous is not None:
            doc.connect(Edge(previous.id, 0, node.id, 0))
        previous = node
    doc.set_outputs([previous.id])
    return doc


def test_export_keras_loads_back_with_same_config(tmp_path):
    doc = cnn_doc()
    path = tmp_path / "m.keras"
    export_keras(doc, path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    reference = build_model(doc)
    assert loaded.count_params() == reference.count_params()
    for layer in reference.layers:
        assert loaded.get_layer(layer.name).get_config() == layer.get_config()


def test_export_keras_with_weights(tmp_path):
    doc = cnn_doc()
    trained = build_model(doc)
    trained.get_layer("out").set_weights([np.full(w.shape, 0.25, "float32")
                                          for w in trained.get_layer("out").get_weights()])
    trained.save_weights(tmp_path / "w.weights.h5")
    model = export_keras(doc, tmp_path / "m.keras", weights=tmp_path / "w.weights.h5").model
    assert np.all(keras.ops.convert_to_numpy(model.get_layer("out").kernel) == 0.25)


def test_export_keras_refuses_other_suffix(tmp_path):
    with pytest.raises(ExportError, match=r"ending in \.keras"):
        export_keras(cnn_doc(), tmp_path / "m.h5")


def test_export_python_builds_the_same_model(tmp_path):
    doc = cnn_doc()
    path = tmp_path / "model.py"
    export_python(doc, path)
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102
    rebuilt, reference = namespace["build_model"](), build_model(doc)
    assert rebuilt.count_params() == reference.count_params()
    assert [type(x) for x in rebuilt.layers] == [type(x) for x in reference.layers]


def test_export_onnx_matches_keras(tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxscript")
    ort = pytest.importorskip("onnxruntime")
    doc = cnn_doc()
    path = tmp_path / "m.onnx"
    worst = export_onnx(doc, path)
    assert worst is not None and worst <= 1e-4
    # The file also runs on a batch size other than the one it was traced with.
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).standard_normal((3, 12, 12, 3)).astype("float32")
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    assert got.shape == (3, 3)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-5)


# ---- CLI ------------------------------------------------------------------
@pytest.fixture()
def project(tmp_path):
    path = tmp_path / "p.json"
    save(cnn_doc(), path)
    return path


def test_cli_export_py_and_keras(project, tmp_path):
    assert cli_main(["export", str(project), "--format", "py", "-o",
                     str(tmp_path / "m.py")]) == 0
    assert "def build_model" in (tmp_path / "m.py").read_text()
    assert cli_main(["export", str(project), "--format", "keras", "-o",
                     str(tmp_path / "m.keras")]) == 0
    assert (tmp_path / "m.keras").stat().st_size > 0


def test_cli_export_exit_codes(project, tmp_path, capsys):
    assert cli_main(["export", str(tmp_path / "missing.json"), "--format", "py", "-o",
                     str(tmp_path / "x.py")]) == 2
    # Images need Qt: the headless exporter does not offer them, the app's command adds them.
    from argparse import ArgumentParser

    from kerascanvas.runtime.cli import export as cli_export

    headless = ArgumentParser()
    cli_export.add_arguments(headless)
    with pytest.raises(SystemExit):
        headless.parse_args([str(project), "--format", "png", "-o", "x.png"])
    assert "invalid choice: 'png'" in capsys.readouterr().err
    assert cli_main(["export", str(project), "--format", "keras", "-o",
                     str(tmp_path / "x.h5")]) == 1
    broken = cnn_doc()
    broken.set_param(broken.find("conv").id, "filters", 0)
    save(broken, tmp_path / "broken.json")
    assert cli_main(["export", str(tmp_path / "broken.json"), "--format", "py", "-o",
                     str(tmp_path / "b.py")]) == 1
    assert "conv" in capsys.readouterr().err


def test_cli_export_onnx_of_a_trained_model(project, tmp_path):
    """A run keeps its trained model as a .keras file, but ONNX export always wrote freshly
    initialised weights (--weights was read for --format keras only, and silently dropped
    for onnx): the ONNX graph now computes what the trained Keras model computes."""
    pytest.importorskip("onnxscript")
    ort = pytest.importorskip("onnxruntime")
    trained = build_model(cnn_doc())
    rng = np.random.default_rng(0)
    trained.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32")  # BN variances > 0
                         for w in trained.get_weights()])
    trained.save(tmp_path / "run_1.keras")
    trained.save_weights(tmp_path / "w.weights.h5")
    x = rng.standard_normal((2, 12, 12, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(trained(x, training=False))
    for weights in ("run_1.keras", "w.weights.h5"):
        out = tmp_path / f"{weights}.onnx"
        assert cli_main(["export", str(project), "-o", str(out),
                         "--weights", str(tmp_path / weights)]) == 0
        session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        (got,) = session.run(None, {session.get_inputs()[0].name: x})
        np.testing.assert_allclose(got, expected, atol=1e-4)
    assert cli_main(["export", str(project), "-o", str(tmp_path / "m.py"),
                     "--weights", str(tmp_path / "w.weights.h5")]) == 2  # not dropped unsaid
    assert not (tmp_path / "m.py").exists()


def test_cli_export_of_a_run_kept_before_the_graph_changed(project, tmp_path):
    """`--weights RUN.keras` exports the run's own model: with the project's graph changed
    since the run (its output layer widened), the export failed with Keras' "Cannot load
    weights ... into the model"; ONNX and .keras now compute what the run's model does."""
    pytest.importorskip("onnxscript")
    ort = pytest.importorskip("onnxruntime")
    trained = build_model(cnn_doc())
    rng = np.random.default_rng(0)
    trained.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32")
                         for w in trained.get_weights()])
    trained.save(tmp_path / "run_1.keras")
    changed = cnn_doc()
    changed.find("out").params["units"] = 5
    save(changed, project)
    x = rng.standard_normal((2, 12, 12, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(trained(x, training=False))
    run = str(tmp_path / "run_1.keras")
    assert cli_main(["export", str(project), "-o", str(tmp_path / "m.onnx"),
                     "--weights", run]) == 0
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert cli_main(["export", str(project), "-o", str(tmp_path / "m.keras"),
                     "--weights", run]) == 0
    exported = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(exported(x, training=False)),
                               expected, atol=1e-6)


def test_export_keras_of_a_run_keeps_its_compile_config_and_optimizer(tmp_path):
    """File › Export Model with a run's weights saved the run's model again, loaded
    without its optimizer: the .keras lost its losses, loss weights, metrics and
    optimizer (`get_compile_config()` was {}), which Results › Save trained model keeps."""
    doc = cnn_doc()
    trained = build_model(doc)
    trained.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                    loss_weights=[0.5], metrics=["accuracy"])
    rng = np.random.default_rng(0)
    trained.fit(rng.standard_normal((8, 12, 12, 3)).astype("float32"),
                rng.integers(0, 3, 8), epochs=1, verbose=0)
    trained.save(tmp_path / "run_1.keras")
    export_keras(doc, tmp_path / "m.keras", weights=str(tmp_path / "run_1.keras"))
    exported = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert exported.get_compile_config() == trained.get_compile_config()
    for ours, theirs in zip(exported.optimizer.variables, trained.optimizer.variables,
                            strict=True):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(ours),
                                      keras.ops.convert_to_numpy(theirs))
    for ours, theirs in zip(exported.get_weights(), trained.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_cli_export_refuses_a_kept_model_of_another_project(project, tmp_path, capsys):
    """`--weights OTHER.keras` exports that archive's own model: one that shares no layer
    with the project (another project's run, a model picked by mistake) was written under
    the project's name with exit 0, over whatever OUT held."""
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    other = keras.Model([a, b], keras.layers.Add(name="total")([a, b]))
    other.save(tmp_path / "other.keras")
    out = tmp_path / "m.onnx"
    out.write_bytes(b"kept")
    assert cli_main(["export", str(project), "-o", str(out),
                     "--weights", str(tmp_path / "other.keras")]) == 1
    assert out.read_bytes() == b"kept"
    err = capsys.readouterr().err
    assert "other.keras" in err and "shares no layer" in err
    assert "a, b, total" in err and "image, conv, bn" in err


@pytest.mark.parametrize("kind, what", [("missing", "does not exist"), ("folder", "is a folder")])
def test_cli_export_names_a_weights_file_it_cannot_read_before_building(project, tmp_path,
                                                                        capsys, kind, what):
    """A missing --weights file was named after the model was built, in h5py's words
    ("Unable to synchronously open file (unable to open file: name = ...")."""
    weights = tmp_path / ("nope.weights.h5" if kind == "missing" else "folder.weights.h5")
    if kind == "folder":
        weights.mkdir()
    out = tmp_path / "m.keras"
    assert cli_main(["export", str(project), "-o", str(out), "--weights", str(weights)]) == 1
    err = capsys.readouterr().err
    assert f"--weights {weights}: the file {what}; expected a .weights.h5 file" in err
    assert not out.exists()
