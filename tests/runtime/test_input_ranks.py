"""Input arrays one trailing axis of size 1 away from their Input's shape: a run takes
those Keras' functional models take (and refuses the others), as Keras computes them."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.data import check_data, load_data
from tests.runtime.test_data import classifier

CASES = [  # (the Input's sample shape, the array's shape)
    ((8, 8, 1), (6, 8, 8)),       # grey images without their channel axis
    ((8, 8), (6, 8, 8, 1)),       # images with a channel axis the Input lacks
    ((4, 1), (6, 4)),             # a series without its feature axis
    ((4,), (6, 4, 1)),            # a column of features
    ((8, 8, 3), (6, 8, 8)),       # 3 channels: no axis of 1 to add
    ((8, 8, 1), (6, 8, 8, 1, 1)),  # two axes too many
    ((8, 8, 2), (6, 8, 8, 1)),    # a channel axis of another size
    ((8, 8), (6, 8, 8, 2)),       # an extra axis that is not 1
]


def keras_takes(model, x) -> np.ndarray | None:
    """The model's outputs on `x`, or None where Keras refuses it."""
    try:
        return keras.ops.convert_to_numpy(model(x, training=False))
    except ValueError:
        return None


@pytest.mark.parametrize("shape, array", CASES)
def test_a_run_takes_the_arrays_keras_takes(shape, array, tmp_path):
    doc = classifier(units=3, shape=shape)
    model = build_model(doc)
    x = np.random.default_rng(0).random(array).astype("float32")
    path = tmp_path / "d.npz"
    np.savez(path, x=x, y=np.arange(6) % 3, x_val=x[:2], y_val=np.arange(2))
    data = load_data(str(path), doc)
    issues = check_data(doc, data)
    expected = keras_takes(model, x)
    assert (issues == []) == (expected is not None), [i.message for i in issues]
    if expected is None:
        assert "expects samples of shape" in issues[0].message
        return
    for part in (data.x, data.x_val):
        assert part["image"].shape[1:] == tuple(shape)
    got = keras.ops.convert_to_numpy(model(data.x["image"], training=False))
    np.testing.assert_array_equal(got, expected)


def test_doctests():
    import doctest

    from kerascanvas.runtime import input_ranks

    assert doctest.testmod(input_ranks).failed == 0
