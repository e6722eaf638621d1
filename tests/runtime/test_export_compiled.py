"""An exported `.keras` loads (safe mode) compiled as the project's training settings say,
whatever weights it holds: fresh ones, a `.weights.h5`, the project's initial weights or
a run's trained model. Each is checked against the model Keras compiles by hand from
the same settings: compile config, optimizer config (its schedule too), `evaluate`'s
numbers, and a `fit` step."""

from __future__ import annotations

import math

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.app.cli import main as cli_main  # noqa: E402
from kerascanvas.graph.document import Document, Edge  # noqa: E402
from kerascanvas.graph.projectfile import save  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.export import export_keras  # noqa: E402
from kerascanvas.runtime.train import load_checked_data, prepare, train  # noqa: E402

from .test_initial_weights import _doc, imported_project  # noqa: E402

SAMPLES, BATCH, EPOCHS, SPLIT = 64, 16, 3, 0.25
TRAIN_STEPS = math.ceil(SAMPLES * (1 - SPLIT) / BATCH)  # a run's optimizer steps per epoch
RNG = np.random.default_rng(1)
X = RNG.random((20, 6), dtype=np.float32)
Y = [RNG.integers(0, 3, 20), RNG.random((20, 1), dtype=np.float32)]


def two_heads() -> Document:
    """A classifier head and a regression head, trained with SGD on a cosine decay, loss
    weights and a metric per head."""
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [6]})
    h = doc.add_node("Dense", "h", {"units": 8, "activation": "relu"})
    cls = doc.add_node("Dense", "cls", {"units": 3, "activation": "softmax"})
    reg = doc.add_node("Dense", "reg", {"units": 1})
    for a, b in ((x, h), (h, cls), (h, reg)):
        doc.connect(Edge(a.id, 0, b.id, 0))
    doc.set_outputs([cls.id, reg.id])
    doc.training = {
        "optimizer": {"name": "sgd", "learning_rate": 0.05, "momentum": 0.9},
        "schedule": {"name": "cosine_decay"}, "epochs": EPOCHS, "batch_size": BATCH,
        "validation_split": SPLIT, "data": f"synthetic:{SAMPLES}", "seed": 0,
        "loss": {"cls": "sparse_categorical_crossentropy", "reg": "mse"},
        "loss_weights": {"cls": 1.0, "reg": 0.3},
        "metrics": {"cls": ["accuracy"], "reg": ["mae"]}}
    return doc


def by_hand(model):
    """`model` compiled by hand, in plain Keras, as `two_heads`' settings say: the decay
    spans every optimizer step of the run."""
    schedule = keras.optimizers.schedules.CosineDecay(0.05, EPOCHS * TRAIN_STEPS)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9),
                  loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.3],
                  metrics=[["accuracy"], ["mae"]])
    return model


def unnamed(config: dict) -> dict:
    """`config` without the optimizer's name, which Keras numbers per process ("sgd_1")."""
    if "optimizer" in config:
        return {**config, "optimizer": {**config["optimizer"],
                                        "config": unnamed(config["optimizer"]["config"])}}
    return {k: v for k, v in config.items() if k != "name"}


def assert_compiled_as(loaded, reference) -> None:
    """`loaded` is compiled as `reference`: configs, and `evaluate` on the same weights."""
    assert loaded.compiled
    assert unnamed(loaded.get_compile_config()) == unnamed(reference.get_compile_config())
    assert unnamed(loaded.optimizer.get_config()) == unnamed(reference.optimizer.get_config())
    reference.set_weights(loaded.get_weights())
    np.testing.assert_allclose(loaded.evaluate(X, Y, verbose=0),
                               reference.evaluate(X, Y, verbose=0), rtol=1e-6)


def fit_one_step(model) -> int:
    """The optimizer's step count after one `fit` step (a model without its optimizer
    compiled cannot take it)."""
    before = int(model.optimizer.iterations)
    model.fit(X, Y, batch_size=len(X), epochs=1, verbose=0)
    assert int(model.optimizer.iterations) == before + 1
    return before


@pytest.mark.parametrize("weights", [None, "h5"])
def test_the_projects_own_weights_export_compiled(tmp_path, weights):
    """Failed before: `load_model` gave an uncompiled model (`compiled` False, no
    optimizer), which neither evaluates nor fits."""
    doc = two_heads()
    if weights:
        trained = build_model(doc)
        trained.set_weights([w + 0.5 for w in trained.get_weights()])
        weights = str(tmp_path / "w.weights.h5")
        trained.save_weights(weights)
    written = export_keras(doc, tmp_path / "m.keras", weights=weights)
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    if weights:
        for a, b in zip(loaded.get_weights(), trained.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    assert_compiled_as(loaded, by_hand(build_model(doc)))
    assert fit_one_step(loaded) == 0  # a fresh optimizer
    assert written.uncompiled is None


def test_a_runs_model_exports_with_its_trained_optimizer(tmp_path):
    doc, settings = prepare(two_heads())
    run = tmp_path / "run.keras"
    result = train(doc, load_checked_data(doc, settings), resolved=settings, save=str(run))
    assert result.saved == str(run)
    export_keras(doc, tmp_path / "m.keras", weights=str(run))
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    kept = keras.saving.load_model(run, safe_mode=True)
    assert int(loaded.optimizer.iterations) == int(kept.optimizer.iterations) \
        == EPOCHS * TRAIN_STEPS
    assert_compiled_as(loaded, by_hand(build_model(doc)))
    fit_one_step(loaded)


def test_a_kept_model_without_compile_config_is_compiled_from_the_settings(tmp_path):
    """Such an archive (saved uncompiled) was copied as it was."""
    doc = two_heads()
    build_model(doc).save(tmp_path / "bare.keras")
    written = export_keras(doc, tmp_path / "m.keras", weights=str(tmp_path / "bare.keras"))
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert_compiled_as(loaded, by_hand(build_model(doc)))
    assert written.uncompiled is None


def test_initial_weights_export_compiled_as_the_imported_model_was(tmp_path):
    """An imported model's project names the training settings of its compile config;
    the export with its initial weights loads compiled as the original was."""
    original, project = imported_project(tmp_path)
    export_keras(_doc(project), tmp_path / "x.keras")
    loaded = keras.saving.load_model(tmp_path / "x.keras", safe_mode=True)
    assert loaded.compiled
    assert unnamed(loaded.optimizer.get_config()) == unnamed(original.optimizer.get_config())
    ours, theirs = unnamed(loaded.get_compile_config()), unnamed(original.get_compile_config())
    assert [ours[k] for k in ("loss", "loss_weights", "optimizer")] == \
        [theirs[k] for k in ("loss", "loss_weights", "optimizer")]
    assert ours["metrics"] == [] and theirs["metrics"] is None  # both none
    x, y = np.random.default_rng(2).random((8, 4), dtype=np.float32), np.arange(8) % 3
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0),
                               original.evaluate(x, y, verbose=0), rtol=1e-6)
    loaded.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert int(loaded.optimizer.iterations) == 1


def test_the_cli_says_when_it_writes_an_uncompiled_file(tmp_path, capsys):
    """A schedule counts optimizer steps, so the data must be read to count them; data
    that cannot be read leaves the file uncompiled, said with the fields."""
    doc = two_heads()
    doc.training["data"] = str(tmp_path / "gone.npz")
    save(doc, tmp_path / "p.json")
    assert cli_main(["export", str(tmp_path / "p.json"), "-o", str(tmp_path / "m.keras")]) == 0
    said = capsys.readouterr().out
    assert "not compiled: training.schedule" in said and "gone.npz" in said
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert not loaded.compiled


def test_the_cli_export_loads_compiled(tmp_path, capsys):
    """`kerascanvas export` (File › Export Model runs it) writes the compiled file."""
    save(two_heads(), tmp_path / "p.json")
    assert cli_main(["export", str(tmp_path / "p.json"), "-o", str(tmp_path / "m.keras")]) == 0
    assert capsys.readouterr().out.strip() == f"Wrote {tmp_path / 'm.keras'}"
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert_compiled_as(loaded, by_hand(build_model(two_heads())))


CODE = ("import keras\n\n"
        "def half_mse(y_true, y_pred):\n"
        "    return 0.5 * keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)\n")


def test_a_custom_loss_compiles_when_trusted_and_is_named_when_not(tmp_path, capsys):
    """The training code's loss is compiled in once the code is trusted; untrusted, the
    model (which needs none of it) is written uncompiled, the message naming the field.
    Before, the untrusted export wrote nothing (exit 4) and the trusted one was
    uncompiled."""
    doc = two_heads()
    doc.training["custom_code"] = CODE
    doc.training["loss"]["reg"] = "half_mse"
    save(doc, tmp_path / "p.json")
    out = str(tmp_path / "m.keras")
    assert cli_main(["export", str(tmp_path / "p.json"), "-o", out]) == 0
    said = capsys.readouterr().out
    assert "not compiled: training.custom_code: custom code not trusted" in said
    assert not keras.saving.load_model(out, safe_mode=True).compiled
    assert cli_main(["export", str(tmp_path / "p.json"), "-o", out,
                     "--trust-custom-code"]) == 0
    said = capsys.readouterr().out  # Keras finds the loss only where it is registered
    assert said.startswith(f"Wrote {out}; its compile config names Custom>half_mse:")
    assert "training.custom_code" in said and "compile=False" in said
    loaded = keras.saving.load_model(out, safe_mode=True)  # the code is registered here
    assert loaded.compiled
    assert loaded.get_compile_config()["loss"][1]["config"] == "Custom>half_mse"  # registered
    reg = loaded.predict(X, verbose=0)[1]
    losses = loaded.evaluate(X, Y, verbose=0, return_dict=True)
    np.testing.assert_allclose(losses["reg_loss"], 0.5 * np.mean((Y[1] - reg) ** 2),
                               rtol=1e-5)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_a_mixed_precision_project_exports_the_model_a_run_trains(tmp_path, policy):
    """Under mixed precision a run builds its layers in half precision with the outputs
    in float32, and under mixed_float16 Keras compiles a loss-scaled optimizer; the export
    is that model (it was float32 with a plain optimizer), as Keras builds it by hand."""
    doc = two_heads()
    doc.training = {**doc.training, "mixed_precision": policy}
    export_keras(doc, tmp_path / "m.keras")
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)  # Keras compiles a loaded model by the policy
    try:
        loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
        x = keras.Input((6,), name="x")
        h = keras.layers.Dense(8, activation="relu", name="h")(x)
        reference = by_hand(keras.Model(x, [
            keras.layers.Dense(3, activation="softmax", name="cls", dtype="float32")(h),
            keras.layers.Dense(1, name="reg", dtype="float32")(h)]))
    finally:
        keras.config.set_dtype_policy(previous)
    assert loaded.get_layer("h").dtype_policy.name == policy
    for layer in reference.layers[1:]:
        assert loaded.get_layer(layer.name).dtype_policy.name == layer.dtype_policy.name
    assert type(loaded.optimizer) is type(reference.optimizer)
    assert (policy == "mixed_float16") == isinstance(
        loaded.optimizer, keras.optimizers.LossScaleOptimizer)
    assert [o.dtype for o in loaded.outputs] == ["float32", "float32"]
