"""Custom layers end to end: a VAE with a Sampling layer and a hand-written Dense.

Import (the classes from a Python file, run only once trusted), validate, generate
code, rebuild, and compare with the original Keras model: count_params, each
layer's class and get_config(), the forward outputs with copied weights, and a
save/load of the rebuilt model in safe mode. Untrusted code never runs.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import keras
import numpy as np
import pytest

from kerascanvas.app.cli import main
from kerascanvas.codegen import generate
from kerascanvas.graph.document import Edge
from kerascanvas.graph.layers import custom
from kerascanvas.graph.project import Project
from kerascanvas.graph.projectfile import save
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime import custom_code, trust
from kerascanvas.runtime.build import BuildError, build_model
from kerascanvas.runtime.custom_import import UntrustedCodeError, read_classes
from kerascanvas.runtime.importer import import_model_report, load_with_code

CODE = Path(__file__).parent / "data" / "custom_layers.py"


def user_module():
    """The user's classes, as the user's own script has them."""
    spec = importlib.util.spec_from_file_location("user_custom_layers", CODE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="module")
def vae_file(tmp_path_factory):
    """A VAE encoder-decoder: CustomDense -> (z_mean, z_log_var) -> Sampling -> Dense."""
    user = user_module()
    x = keras.Input((8,), name="x")
    h = user.CustomDense(16, name="hidden")(x)
    z_mean = keras.layers.Dense(2, name="z_mean")(h)
    z_log_var = keras.layers.Dense(2, name="z_log_var")(h)
    z = user.Sampling(seed=7, name="z")([z_mean, z_log_var])
    decoded = keras.layers.Dense(8, activation="sigmoid", name="decoded")(z)
    model = keras.Model(x, [z_mean, z_log_var, z, decoded], name="vae")
    path = tmp_path_factory.mktemp("vae") / "vae.keras"
    model.save(path)
    return path, model


def rebuilt_from_code(doc):
    source = generate(doc)
    compile(source, "generated.py", "exec")
    namespace: dict = {}
    exec(compile(source, "generated.py", "exec"), namespace)
    return namespace["build_model"](), source


def assert_same_model(original, rebuilt):
    """Same structure, configs and outputs. Both models must be fresh: Sampling's seed
    generator advances with every call, so equal draws need equal starting states."""
    assert rebuilt.count_params() == original.count_params()
    assert [type(a).__name__ for a in original.layers] == \
        [type(b).__name__ for b in rebuilt.layers]
    for a, b in zip(original.layers, rebuilt.layers, strict=True):
        assert a.get_config() == b.get_config(), a.name
    rebuilt.set_weights(original.get_weights())
    x = np.random.default_rng(0).normal(size=(5, 8)).astype("float32")
    expected = original.predict(x, verbose=0)
    for want, got in zip(expected, rebuilt.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_vae_imports_validates_generates_and_rebuilds_like_keras(vae_file, tmp_path):
    path, original = vae_file
    model, classes = load_with_code(path, CODE, trusted=True)
    doc = import_model_report(model, classes).doc
    kinds = {n.name: n.kind for n in doc.nodes.values()}
    assert kinds["z"] == kinds["hidden"] == "CustomLayer"
    assert doc.find("z").params["package"] == "canvas_tests"  # its registered package
    assert doc.find("z").params["kwargs"] == {"seed": 7}
    analysis = analyze(doc)
    assert analysis.valid, analysis.issues
    assert sum(analysis.total_params) == original.count_params()
    rebuilt, source = rebuilt_from_code(doc)
    original = load_with_code(path, CODE, trusted=True)[0]  # fresh: see assert_same_model
    assert "class Sampling(keras.layers.Layer):" in source
    assert '@keras.saving.register_keras_serializable(package="canvas_tests")' in source
    assert "package='Custom', name='CustomDense'" in source  # registered by the code
    assert_same_model(original, rebuilt)
    assert_same_model(load_with_code(path, CODE, trusted=True)[0], build_model(doc))
    saved = tmp_path / "rebuilt.keras"
    rebuilt.save(saved)
    again = keras.saving.load_model(saved, safe_mode=True)
    assert [type(a).__name__ for a in again.layers] == [type(b).__name__ for b in rebuilt.layers]


def test_project_round_trips_and_shapes_come_from_keras(vae_file, tmp_path):
    path, original = vae_file
    doc = import_model_report(*load_with_code(path, CODE, trusted=True)).doc
    project_path = tmp_path / "vae.json"
    save(doc, project_path)
    project = Project.open(project_path)  # a fresh document: nothing trusted
    assert {i.code for i in project.analysis.issues} == {"custom_untrusted"}
    trust.apply(project.doc, True)
    custom_code.resolve(project.doc)  # here in-process; the CLI and window use the worker
    analysis = analyze(project.doc)
    assert analysis.valid
    shapes = {project.doc.nodes[n].name: r.output_shapes for n, r in analysis.results.items()}
    assert shapes["hidden"] == [tuple(original.get_layer("hidden").output.shape)]
    assert shapes["z"] == [tuple(original.get_layer("z").output.shape)]


def test_import_needs_the_code_and_trust_and_runs_nothing_before(vae_file, tmp_path):
    path, original = vae_file
    marker = tmp_path / "ran.txt"
    hostile = tmp_path / "layers.py"
    hostile.write_text(f"open({str(marker)!r}, 'w').write('ran')\n" + CODE.read_text())
    notes: list[str] = []  # without the code, CustomDense comes in without source
    model, classes = load_with_code(path, None, trusted=False, notes=notes)
    assert [p["source"] for p in classes.values()] == [""]
    assert "registered name CustomDense" in notes[0] and "no source was given" in notes[0]
    with pytest.raises(UntrustedCodeError, match="nothing ran"):
        load_with_code(path, hostile, trusted=False)
    assert not marker.exists()
    assert set(read_classes(hostile)) == {"Sampling", "CustomDense"}
    out = tmp_path / "p.json"
    assert main(["import", str(path), "-o", str(out), "--custom-code", str(hostile)]) == 4
    assert not marker.exists() and not out.exists()
    assert main(["import", str(path), "-o", str(out), "--custom-code", str(CODE),
                 "--trust-custom-code"]) == 0
    assert main(["validate", str(out)]) == 4  # trusted for that command only
    saved = tmp_path / "m.keras"
    assert main(["export", str(out), "--format", "keras", "-o", str(saved)]) == 4
    assert not saved.exists()
    assert main(["export", str(out), "--format", "keras", "-o", str(saved),
                 "--trust-custom-code"]) == 0
    reloaded = keras.saving.load_model(saved, safe_mode=True)  # its classes are registered
    assert reloaded.get_layer("z").get_config()["seed"] == 7
    for name in ("hidden", "z_mean", "decoded"):  # the imported archive's own weights
        for mine, theirs in zip(reloaded.get_layer(name).get_weights(),
                                original.get_layer(name).get_weights(), strict=True):
            np.testing.assert_array_equal(mine, theirs)


def test_build_refuses_untrusted_code(vae_file):
    path, _ = vae_file
    doc = import_model_report(*load_with_code(path, CODE, trusted=True)).doc
    doc = Project.from_dict(Project(doc).to_dict()).doc
    with pytest.raises(BuildError, match="custom code not trusted"):
        build_model(doc)


def custom_dense_doc():
    """x (6,) -> CustomDense(3), its code trusted, its shapes not computed yet."""
    source = read_classes(CODE)["CustomDense"]
    doc = Project().doc
    x = doc.add_node("Input", "x", {"shape": [6]})
    d = doc.add_node("CustomLayer", "dense", {"class_name": "CustomDense", "source": source,
                                             "kwargs": {"units": 3}})
    doc.connect(Edge(x.id, 0, d.id, 0))
    doc.set_outputs([d.id])
    trust.apply(doc, True)
    return doc, d


def test_hand_written_custom_dense_matches_keras():
    doc, d = custom_dense_doc()
    custom_code.resolve(doc)
    result = analyze(doc).results[d.id]
    inputs = keras.Input((6,), name="x")
    reference = keras.Model(inputs, user_module().CustomDense(3, name="dense")(inputs))
    assert result.output_shapes == [tuple(reference.output.shape)]
    assert sum(result.count) == reference.count_params()
    rebuilt, _ = rebuilt_from_code(doc)
    assert rebuilt.layers[1].get_config() == reference.layers[1].get_config()


def test_training_overrides_share_keras_shapes_and_compute_nothing(monkeypatch):
    """A copy that differs only in its training settings has the same graph: it takes
    the source's trust and computed shapes as they are, and its analysis equals the one
    a copy resolved afresh gets (what `with_overrides` did before)."""
    from kerascanvas.graph.projectfile import from_dict, to_dict
    from kerascanvas.runtime.train import with_overrides

    doc, d = custom_dense_doc()
    pending = with_overrides(doc, {"epochs": 2})  # before Keras answered: nothing runs here
    assert {i.code for i in analyze(pending).errors} == {"custom_pending"}
    custom_code.resolve(doc)
    resolved_afresh = from_dict(to_dict(doc))
    resolved_afresh.training = {"epochs": 2}
    custom_code.carry_context(doc, resolved_afresh)
    monkeypatch.setattr(custom_code, "compute", lambda request: pytest.fail("computed"))
    shared = with_overrides(doc, {"epochs": 2})
    assert shared.training["epochs"] == 2
    assert analyze(shared) == analyze(resolved_afresh)
    assert analyze(shared).results[d.id].output_shapes == [(None, 3)]


def test_trust_store_is_keyed_by_path_and_code(tmp_path):
    from tests.graph.test_custom_layer import SOURCE, make_doc

    doc = make_doc()
    path = tmp_path / "p.json"
    assert not trust.is_trusted(path, doc)
    trust.trust(path, doc)
    assert trust.is_trusted(path, doc)
    assert trust.store_path().is_file()
    assert not trust.is_trusted(tmp_path / "other.json", doc)  # another project
    doc.set_param(doc.find("twice").id, "source", SOURCE + "\n# changed\n")
    assert not trust.is_trusted(path, doc)  # changed code asks again
    trust.trust(path, doc)
    trust.revoke(path)
    assert not trust.is_trusted(path, doc)
    assert custom.context(doc).trusted == frozenset()  # the store never touches a context


@pytest.mark.slow  # starts a worker process, which imports keras (about 10 s)
def test_cli_validate_and_codegen_compute_shapes_in_a_worker(vae_file, tmp_path, capsys):
    path, original = vae_file
    out = tmp_path / "vae.json"
    assert main(["import", str(path), "-o", str(out), "--custom-code", str(CODE),
                 "--trust-custom-code"]) == 0
    capsys.readouterr()
    assert main(["validate", str(out), "--json", "--trust-custom-code"]) == 0
    report = json.loads(capsys.readouterr().out)
    shapes = {n["name"]: n["output_shapes"] for n in report["nodes"]}
    assert shapes["z"] == [list(original.get_layer("z").output.shape)]
    total = report["total_params"]
    assert total["trainable"] + total["non_trainable"] == original.count_params()
    code = tmp_path / "vae.py"
    assert main(["codegen", str(out), "-o", str(code), "--trust-custom-code"]) == 0
    compile(code.read_text(), str(code), "exec")


def test_shared_custom_layer_round_trips_in_each_code_style(tmp_path):
    user = user_module()
    a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
    embed = user.CustomDense(4, name="embed")
    original = keras.Model([a, b], keras.layers.Subtract(name="diff")([embed(a), embed(b)]))
    path = tmp_path / "siamese.keras"
    original.save(path)
    doc = import_model_report(*load_with_code(path, CODE, trusted=True)).doc
    assert [n.kind for n in doc.nodes.values()].count("SharedCall") == 1
    assert analyze(doc).valid
    x = [np.ones((2, 6), "float32"), np.zeros((2, 6), "float32")]
    for style in ("functional", "subclass"):
        namespace: dict = {}
        exec(compile(generate(doc, style=style), "generated.py", "exec"), namespace)
        rebuilt = namespace["build_model"]()
        rebuilt(x)  # a subclassed model builds on its first call
        assert rebuilt.count_params() == original.count_params()
        rebuilt.set_weights(original.get_weights())
        np.testing.assert_allclose(rebuilt.predict(x, verbose=0),
                                   original.predict(x, verbose=0), atol=1e-6)
    fresh = Project.from_dict(Project(doc).to_dict()).doc
    assert [i.code for i in analyze(fresh).issues] == ["custom_untrusted"] * 2
    assert custom.context(fresh).pending == {}  # nothing untrusted is ever requested


def test_run_trains_a_custom_layer_only_when_trusted(tmp_path, capsys):
    from tests.graph.test_custom_layer import make_doc

    path = tmp_path / "p.json"
    save(make_doc(read_classes(CODE)["CustomDense"], "CustomDense", {"units": 3}), path)
    argv = ["run", str(path), "--data", "synthetic:32", "--epochs", "1", "--batch-size", "16"]
    assert main(argv) == 4
    assert main([*argv, "--trust-custom-code"]) == 0


def test_training_worker_runs_only_the_code_the_window_trusts():
    from kerascanvas.graph.projectfile import to_dict
    from kerascanvas.runtime.worker import train_document
    from tests.graph.test_custom_layer import make_doc

    doc = make_doc(read_classes(CODE)["CustomDense"], "CustomDense", {"units": 3})
    payload = {"document": to_dict(doc), "overrides": {"data": "synthetic:32", "epochs": 1}}
    refused = train_document(payload, lambda event: None)
    assert refused.status == "failed" and "custom code not trusted" in refused.message
    digest = custom.code_digest(doc.find("twice").params)
    done = train_document({**payload, "trusted_code": [digest]}, lambda event: None)
    assert done.status == "finished", done.message


def test_frozen_custom_layer_keeps_its_weights_non_trainable(tmp_path):
    user = user_module()
    inputs = keras.Input((5,), name="x")
    frozen = user.CustomDense(3, name="base", trainable=False)
    original = keras.Model(inputs, keras.layers.Dense(2, name="head")(frozen(inputs)))
    path = tmp_path / "frozen.keras"
    original.save(path)
    doc = import_model_report(*load_with_code(path, CODE, trusted=True)).doc
    node = doc.find("base")
    assert node.params["trainable"] is False and node.params["kwargs"] == {"units": 3}
    analysis = analyze(doc)
    non_trainable = sum(int(np.prod(w.shape)) for w in original.non_trainable_weights)
    assert analysis.results[node.id].count == (0, non_trainable)
    rebuilt, source = rebuilt_from_code(doc)
    assert "CustomDense(units=3, trainable=False, name='base')" in source
    assert rebuilt.get_layer("base").get_config() == original.get_layer("base").get_config()
    assert len(rebuilt.non_trainable_weights) == len(original.non_trainable_weights)


def test_a_future_import_in_the_source_stays_first_in_generated_code():
    # A class file often starts with `from __future__ import annotations`; Python only
    # accepts it before every other statement, so generated code must lift it to the top.
    from tests.graph.test_custom_layer import make_doc, trust_all

    source = ("from __future__ import annotations\n\nimport keras\n\n\n"
              "class Twice(keras.layers.Layer):\n    def call(self, x: keras.KerasTensor):\n"
              "        return x * 2\n")
    doc = make_doc(source)
    trust_all(doc)
    custom_code.resolve(doc)
    assert analyze(doc).valid
    for style, script in (("functional", False), ("subclass", False), ("functional", True)):
        generated = generate(doc, style=style, script=script)
        compile(generated, "generated.py", "exec")  # a misplaced __future__ fails here
        assert "from __future__ import annotations" in generated
    namespace: dict = {}
    exec(compile(generate(doc), "generated.py", "exec"), namespace)
    model = namespace["build_model"]()
    x = np.ones((2, 4), "float32")
    dense = model.get_layer("out")
    want = x * 2 @ keras.ops.convert_to_numpy(dense.kernel) + \
        keras.ops.convert_to_numpy(dense.bias)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), want, rtol=1e-6)


def test_a_failing_custom_layer_reports_keras_reason_without_terminal_styling():
    """Keras wraps a failing call in a message with bold names (terminal escapes); the
    issues list and the status line show plain text."""
    source = ("import keras\nfrom keras import ops\n\n\n"
              "class Broken(keras.layers.Layer):\n"
              "    def call(self, x):\n"
              "        return ops.reshape(x, (-1, 2, 3)) + ops.ones((5,))\n")
    doc = Project().doc
    x = doc.add_node("Input", "x", {"shape": [6]})
    node = doc.add_node("CustomLayer", "broken", {"class_name": "Broken", "source": source,
                                                  "kwargs": {}})
    doc.connect(Edge(x.id, 0, node.id, 0))
    doc.set_outputs([node.id])
    trust.apply(doc, True)
    analyze(doc)
    answers = [custom_code.compute(request)
               for request in custom.context(doc).pending.values()]
    assert len(answers) == 1 and "Broken.call()" in answers[0]["error"]
    assert "\x1b" not in answers[0]["error"]
