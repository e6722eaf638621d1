"""The Application block against Keras: the measured table, build, codegen, fine-tuning.

Run `python -m tests.runtime.test_application ARCH...` to print measured rows for
the table in graph/layers/application_table.py (after a Keras upgrade, for instance).
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.graph import get_spec  # noqa: E402
from kerascanvas.graph.errors import ParamError  # noqa: E402
from kerascanvas.graph.layers.application import ARCHITECTURES  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime import finetune  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from tests.codegen.helpers import add, add_input  # noqa: E402
from tests.runtime.test_build import assert_same_model  # noqa: E402

SPEC = get_spec("Application")
FAST = ("MobileNetV2", "VGG16", "ResNet50")
SLOW = tuple(a for a in ARCHITECTURES if a not in FAST)


def _count(weights) -> int:
    return sum(math.prod(w.shape) for w in weights)


def keras_counts(model) -> tuple[int, int]:
    return _count(model.trainable_weights), _count(model.non_trainable_weights)


def ours(params: dict, shape) -> tuple[list, tuple[int, int]]:
    resolved = SPEC.resolve(params)
    return SPEC.output_shapes(resolved, [shape]), SPEC.count(resolved, [shape])


def check_architecture(arch: str) -> None:
    """One Keras build per architecture: odd size, 2 channels; freezing done in place."""
    shape = (None, 45, 45, 2)
    base = getattr(keras.applications, arch)(include_top=False, weights=None,
                                             input_shape=shape[1:])
    assert len(base.layers) == ARCHITECTURES[arch].num_layers
    outputs, counts = ours({"architecture": arch}, shape)
    assert outputs == [tuple(base.output.shape)]
    assert counts == keras_counts(base)
    other = getattr(keras.applications, arch)(include_top=False, weights=None,
                                              input_shape=(77, 50, 2))
    assert ours({"architecture": arch}, (None, 77, 50, 2)) == (
        [tuple(other.output.shape)], keras_counts(other))
    half = len(base.layers) // 2
    for layer in base.layers[:half]:
        layer.trainable = False
    assert ours({"architecture": arch, "freeze_first": half}, shape)[1] == keras_counts(base)
    base.trainable = False
    assert ours({"architecture": arch, "trainable": False}, shape)[1] == keras_counts(base)


@pytest.mark.parametrize("arch", FAST)
def test_table_matches_keras(arch):
    check_architecture(arch)


@pytest.mark.slow
@pytest.mark.parametrize("arch", SLOW)
def test_table_matches_keras_everywhere(arch):
    check_architecture(arch)


@pytest.mark.parametrize("arch, pooling", [("MobileNetV2", "max"), ("VGG16", "avg")])
def test_pooling_and_top_match_keras(arch, pooling):
    shape = (None, 64, 64, 3)
    pooled = getattr(keras.applications, arch)(include_top=False, weights=None,
                                               input_shape=shape[1:], pooling=pooling)
    assert ours({"architecture": arch, "pooling": pooling}, shape) == (
        [tuple(pooled.output.shape)], keras_counts(pooled))
    top = getattr(keras.applications, arch)(include_top=True, weights=None,
                                            input_shape=shape[1:], classes=7)
    assert ours({"architecture": arch, "include_top": True, "classes": 7}, shape) == (
        [tuple(top.output.shape)], keras_counts(top))


@pytest.mark.parametrize("value", ["imagenet", "https://example.org/w.h5", "w.h5"])
def test_weights_that_would_download_are_refused(value):
    with pytest.raises(ParamError, match="weights"):
        SPEC.resolve({"architecture": "MobileNetV2", "weights": value})


def test_too_small_input_is_an_issue_naming_the_minimum():
    doc, _ = transfer_doc((None, 16, 16, 3))
    messages = [i.message for i in analyze(doc).errors]
    assert any("at least 32" in m for m in messages), messages


def transfer_doc(shape=(None, 32, 32, 3), **params):
    from kerascanvas.graph.document import Document

    doc = Document()
    x = add_input(doc, "image", shape)
    base = add(doc, "Application", "base",
               {"architecture": "MobileNetV2", "pooling": "avg", **params}, [x])
    doc.outputs = [add(doc, "Dense", "head", {"units": 3, "activation": "softmax"}, [base])]
    return doc, base


@pytest.mark.parametrize("params", [{"trainable": False}, {"freeze_first": 40}])
def test_build_and_generated_code_agree(params):
    doc, _ = transfer_doc(**params)
    namespace: dict = {}
    exec(compile(generate(doc), "<generated>", "exec"), namespace)  # noqa: S102
    # the bases' inner layers get auto names from a counter
    keras.backend.clear_session(free_memory=False)
    model = build_model(doc)
    keras.backend.clear_session(free_memory=False)
    assert_same_model(model, namespace["build_model"]())
    assert keras_counts(model) == analyze(doc).total_params


def test_weights_file_is_loaded(tmp_path):
    path = str(tmp_path / "base.weights.h5")
    doc, _ = transfer_doc()
    first = build_model(doc)
    first.get_layer("base").save_weights(path)
    doc2, _ = transfer_doc(weights=path)
    second = build_model(doc2)
    for a, b in zip(first.get_layer("base").weights, second.get_layer("base").weights,
                    strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_missing_weights_file_is_a_clear_error(tmp_path):
    doc, _ = transfer_doc(weights=str(tmp_path / "absent.weights.h5"))
    with pytest.raises(finetune.FinetuneError, match="does not exist"):
        build_model(doc)


@pytest.mark.parametrize("raw, field", [
    ({"phase1_epochs": 0, "phase1_lr": 1e-3, "phase2_epochs": 1, "phase2_lr": 1e-5,
      "unfreeze_from": 0}, "phase1_epochs"),
    ({"phase1_epochs": 1, "phase1_lr": 1e-3, "phase2_epochs": 1, "phase2_lr": -1,
      "unfreeze_from": 0}, "phase2_lr"),
    ({"phase1_epochs": 1, "phase1_lr": 1e-3, "phase2_epochs": 1, "phase2_lr": 1e-5,
      "unfreeze_from": 0, "oops": 1}, "oops"),
])
def test_bad_finetune_settings_name_the_field(raw, field):
    with pytest.raises(finetune.FinetuneError, match=f"training.finetune.{field}"):
        finetune.finetune_settings({"finetune": raw})


def test_two_phases_freeze_then_unfreeze_and_continue_epochs():
    doc, _ = transfer_doc()
    model = build_model(doc)
    bases = finetune.application_bases(model, doc)
    settings = finetune.finetune_settings({"finetune": {
        "phase1_epochs": 2, "phase1_lr": 1e-3, "phase2_epochs": 1, "phase2_lr": 1e-5,
        "unfreeze_from": 100}})
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 32, 32, 3), dtype="float32"), rng.integers(0, 3, 16)
    seen, rates, trainable = [], [], []

    class Record(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(epoch)
            rates.append(float(self.model.optimizer.learning_rate))
            trainable.append(keras_counts(self.model)[0])

    def compile_at(lr):
        model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy")

    def fit(**kwargs):
        return model.fit(x, y, batch_size=8, verbose=0, callbacks=[Record()], **kwargs)

    h1, h2 = finetune.fit_in_phases(model, bases, settings, compile_at, fit)
    assert seen == [0, 1, 2]
    assert rates == pytest.approx([1e-3, 1e-3, 1e-5])
    head = model.get_layer("head").count_params()
    assert trainable[0] == head
    base = model.get_layer("base")
    batch_norms = [la for la in base.layers if isinstance(la, keras.layers.BatchNormalization)]
    assert all(not la.trainable for la in batch_norms)
    assert all(not la.trainable for la in base.layers[:100])
    expected = head + sum(_count(la.weights) for la in base.layers[100:]
                          if la.weights and not isinstance(la, keras.layers.BatchNormalization))
    assert trainable[2] == expected
    assert len(h1.history["loss"]) == 2 and len(h2.history["loss"]) == 1


def measure(arch: str) -> str:
    """The table row of `arch`, measured from Keras (two channel counts, three tops)."""
    build = getattr(keras.applications, arch)

    def per_layer(channels):
        model = build(include_top=False, weights=None, input_shape=(64, 64, channels))
        return model, {i: (_count(la.trainable_weights), _count(la.non_trainable_weights))
                       for i, la in enumerate(model.layers) if la.weights}

    _, one = per_layer(1)
    model, two = per_layer(2)
    base = {i: (2 * one[i][0] - two[i][0], 2 * one[i][1] - two[i][1]) for i in one}
    slopes = {i: (two[i][0] - one[i][0], two[i][1] - one[i][1]) for i in one if one[i] != two[i]}
    base_total = sum(t + n + 3 * sum(slopes.get(i, (0, 0))) for i, (t, n) in base.items())
    arch_row = ARCHITECTURES[arch]
    sizes = ((64, 10), (64, 20), (96, 10))
    tops = [_count(build(include_top=True, weights=None, input_shape=(s, s, 3),
                         classes=c).weights) - base_total for s, c in sizes]
    per_class = (tops[1] - tops[0]) // 10
    cells = [arch_row.spatial(64) ** 2, arch_row.spatial(96) ** 2]
    per_cell = (tops[2] - tops[0]) // (cells[1] - cells[0])
    top = (tops[0] - 10 * per_class - per_cell * cells[0], per_class, per_cell)
    weights = " ".join(f"{i}:{t}:{n}" for i, (t, n) in sorted(base.items()))
    return (f"{arch!r}: ({arch_row.min_size}, {arch_row.steps!r}, {model.output.shape[-1]}, "
            f"{len(model.layers)}, {weights!r}, {slopes!r}, {top!r}),")


def test_training_runs_both_phases_with_continued_epochs_and_refuses_to_continue(tmp_path):
    """One fine-tune through train(): its history holds both phases (one epoch each),
    epochs are numbered on through phase 2, which ends at phase 2's learning rate; the
    saved model cannot be continued as a fine-tune."""
    from kerascanvas.runtime.train import TrainingRefused, load_checked_data, prepare, train

    doc, _ = transfer_doc()
    doc.training = {"epochs": 5, "batch_size": 8, "data": "synthetic:16", "finetune": {
        "phase1_epochs": 1, "phase1_lr": 1e-3, "phase2_epochs": 1, "phase2_lr": 1e-5,
        "unfreeze_from": 100}}
    events = []
    doc, settings = prepare(doc)
    data = load_checked_data(doc, settings)
    result = train(doc, data, settings, sink=events.append)
    assert result.status == "ok", result.message
    assert len(result.history["loss"]) == 2  # phase 1's epoch, then phase 2's
    assert [e.epoch for e in events if e.kind == "epoch_end"] == [0, 1]
    assert float(result.model.optimizer.learning_rate) == pytest.approx(1e-5)
    saved = tmp_path / "m.keras"
    result.model.save(saved)
    with pytest.raises(TrainingRefused, match="finetune"):
        train(doc, data, settings, initial_model=str(saved), initial_epoch=1)


if __name__ == "__main__":  # pragma: no cover
    for name in sys.argv[1:]:
        print(measure(name))
