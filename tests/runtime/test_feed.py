"""Device-resident batches (`runtime.feed`): what the model sees is what Keras' own
array path gives it, checked against Keras' `fit` and Keras' class-weight helper."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kerascanvas.runtime import feed
from kerascanvas.runtime.data import Dataset
from kerascanvas.runtime.fitplan import plan_fit
from kerascanvas.runtime.keras_env import import_keras
from kerascanvas.runtime.train import prepare
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_worker import mlp

keras = import_keras()
L = keras.layers


def two_in_two_out(seed: int = 3):
    """A multi-input, multi-output model (float and int inputs, two losses)."""
    keras.utils.set_random_seed(seed)
    a, b = keras.Input((5,), name="a"), keras.Input((3,), name="b")
    h = L.Dense(8, activation="relu")(L.Concatenate()([a, L.Embedding(7, 4)(b)[:, 0]]))
    model = keras.Model([a, b], [L.Dense(3, activation="softmax", name="cls")(h),
                                 L.Dense(1, name="reg")(h)])
    model.compile("adam", ["sparse_categorical_crossentropy", "mse"])
    return model


def arrays(n: int = 50):
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(n, 5)), rng.integers(0, 7, (n, 3))]  # float64 on purpose
    y = [rng.integers(0, 3, n), rng.normal(size=(n, 1)).astype("float32")]
    return x, y


def test_unshuffled_training_equals_keras_fit_on_arrays():
    x, y = arrays()
    reference = two_in_two_out()
    reference.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    ours = two_in_two_out()
    tx = [feed.to_tensor(a, "cpu") for a in x]
    ty = [feed.to_tensor(a, "cpu") for a in y]
    ours.fit(feed.loader(tx, ty, None, 16, False, "cpu"), epochs=2, shuffle=False, verbose=0)
    for want, got in zip(reference.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_shuffled_training_with_dropout_equals_keras_fit_on_arrays():
    """Same seed, same batches and Dropout masks: the epoch's order is drawn as Keras'
    own loader draws it, and validation draws what Keras' validation loader draws."""
    x, y = arrays(70)

    def model():
        keras.utils.set_random_seed(9)
        a, b = keras.Input((5,), name="a"), keras.Input((3,), name="b")
        h = L.Dropout(0.5)(L.Dense(8, activation="relu")(
            L.Concatenate()([a, L.Embedding(7, 4)(b)[:, 0]])))
        m = keras.Model([a, b], [L.Dense(3, activation="softmax")(h), L.Dense(1)(h)])
        m.compile("adam", ["sparse_categorical_crossentropy", "mse"])
        return m

    held = ([a[50:] for a in x], [a[50:] for a in y])
    reference = model()
    reference.fit([a[:50] for a in x], [a[:50] for a in y], batch_size=16, epochs=3,
                  shuffle=True, validation_data=held, verbose=0)
    ours = model()
    tx, ty = ([feed.to_tensor(a, "cpu") for a in part] for part in (x, y))
    ours.fit(feed.loader([t[:50] for t in tx], [t[:50] for t in ty], None, 16, True, "cpu"),
             validation_data=feed.held_out([t[50:] for t in tx], [t[50:] for t in ty], 16,
                                           "cpu"), epochs=3, shuffle=False, verbose=0)
    for want, got in zip(reference.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_class_weights_train_as_keras_class_weight_does():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 4)).astype("float32"), rng.integers(0, 3, 40)
    weights = {0: 0.5, 2: 3.0}

    def model():
        keras.utils.set_random_seed(5)
        m = keras.Sequential([keras.Input((4,)), L.Dense(3, activation="softmax")])
        m.compile("sgd", "sparse_categorical_crossentropy")
        return m

    reference, ours = model(), model()
    reference.fit(x, y, batch_size=8, epochs=1, shuffle=False, class_weight=weights, verbose=0)
    sw = feed.to_tensor(feed.class_sample_weights(y, weights), "cpu")
    ours.fit(feed.loader(feed.to_tensor(x, "cpu"), feed.to_tensor(y, "cpu"), sw, 8, False,
                         "cpu"), epochs=1, shuffle=False, verbose=0)
    for want, got in zip(reference.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("labels", [
    np.array([0, 2, 1, 5, 2]),                              # class ids, 5 not weighted
    np.eye(3)[[0, 2, 1, 1]],                                # one-hot rows
    np.array([[0.2], [1.7], [2.0]]),                        # a trailing axis, rounded
])
def test_class_sample_weights_match_keras(labels):
    from keras.src.trainers.data_adapters.data_adapter_utils import (
        class_weight_to_sample_weights,
    )

    weights = {0: 0.25, 1: 2.0, 2: 4.0}
    np.testing.assert_array_equal(feed.class_sample_weights(labels, weights),
                                  class_weight_to_sample_weights(labels, weights))


def test_shuffled_epochs_cover_every_sample_once_in_a_new_order():
    batches = feed.Batches(length=37, batch_size=8, shuffle=True, device="cpu")
    assert len(batches) == 5
    epochs = [[b.tolist() for b in batches] for _ in range(2)]
    for epoch in epochs:
        assert [len(b) for b in epoch] == [8, 8, 8, 8, 5]
        assert sorted(i for b in epoch for i in b) == list(range(37))
    assert epochs[0] != epochs[1]
    torch.manual_seed(11)
    first = [b.tolist() for b in batches]
    torch.manual_seed(11)
    assert [b.tolist() for b in batches] == first  # a seed repeats the order


def test_unshuffled_batches_are_views_in_order():
    data = feed.to_tensor(np.arange(10, dtype="float32").reshape(5, 2), "cpu")
    loader = feed.loader(data, data[:, 0], None, 2, False, "cpu")
    got = list(loader)
    assert [b[0].shape[0] for b in got] == [2, 2, 1]
    assert got[0][0].data_ptr() == data.data_ptr()  # a slice, not a copy
    np.testing.assert_array_equal(torch.cat([b[1] for b in got]).numpy(), [0, 2, 4, 6, 8])


@pytest.mark.parametrize("dtype", ["float64", "float16", "float32", "int64", "int32",
                                   "int16", "int8", "uint8", "uint16", "uint32", "bool"])
def test_tensors_have_the_dtype_of_keras_own_batches(dtype):
    # uint16 and uint32 labels became torch's uint16/uint32, which index_select cannot
    # gather: a shuffled epoch failed where Keras' loader gives int32/int64 and trains.
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

    array = np.arange(12).reshape(4, 3).astype(dtype)
    batch = next(iter(ArrayDataAdapter(array, batch_size=4).get_torch_dataloader()))
    keras_x = batch[0] if isinstance(batch, tuple | list) else batch
    tensor = feed.to_tensor(array, "cpu")
    assert tensor.dtype == keras_x.dtype
    (gathered,) = next(iter(feed.loader(tensor, None, None, 4, True, "cpu")))[:1]
    np.testing.assert_array_equal(np.sort(gathered.numpy(), axis=0), array)


def test_strings_cannot_become_tensors():
    with pytest.raises(TypeError, match="<U"):
        feed.to_tensor(np.array(["a", "b"]), "cpu")


def planned(doc_training: dict, x, y):
    doc, settings = prepare(mlp(**doc_training))
    data = Dataset({"x": x}, {doc.node(doc.outputs[0]).name: y})
    return plan_fit(doc, data, settings)


def test_plan_moves_to_loaders_and_evaluates_on_the_validation_loader():
    rng = np.random.default_rng(2)
    plan = planned({"batch_size": 4, "validation_split": 0.25},
                   rng.normal(size=(20, 6)).astype("float32"), rng.integers(0, 3, 20))
    assert feed.on_device(plan, "cpu")
    assert set(plan.fit) == {"x", "validation_data", "shuffle"}
    assert len(plan.fit["x"]) == 4 and len(plan.fit["validation_data"]) == 2  # 15 / 5
    assert plan.evaluate == {"x": plan.fit["validation_data"]}
    assert not plan.fit["validation_data"].batch_sampler.shuffle


def test_plan_without_validation_evaluates_on_unshuffled_training_data():
    rng = np.random.default_rng(2)
    plan = planned({"batch_size": 8, "validation_split": 0.0, "class_weight": "balanced"},
                   rng.normal(size=(20, 6)).astype("float32"), rng.integers(0, 3, 20))
    assert feed.on_device(plan, "cpu")
    assert plan.fit["validation_data"] is None
    x, y, sw = next(iter(plan.fit["x"]))  # class weights became sample weights
    assert sw.shape == (8,)
    evaluated = plan.evaluate["x"]
    assert not evaluated.batch_sampler.shuffle and len(next(iter(evaluated))) == 2


def test_strings_keep_keras_own_path():
    plan = planned({"batch_size": 4, "validation_split": 0.0},
                   np.zeros((6, 6), "float32"), np.zeros(6, "int64"))
    plan.fit["x"] = np.array([["a"] * 6] * 6)
    before = dict(plan.fit)
    assert not feed.on_device(plan, "cpu")
    assert plan.fit == before


def test_data_larger_than_its_gpu_share_stays_on_the_host(monkeypatch):
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda *a: (1000, 8000))
    assert feed.fits_on("cuda", 500) and not feed.fits_on("cuda", 501)
    plan = planned({"batch_size": 4, "validation_split": 0.0},
                   np.zeros((64, 6), "float32"), np.zeros(64, "int64"))
    before = dict(plan.fit)
    assert not feed.on_device(plan, "cuda")  # 1 KiB of data, 500 bytes allowed
    assert plan.fit == before
