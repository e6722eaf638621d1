"""A BatchNormalization momentum as PyTorch counts it (0.1): a warning whose fix sets
Keras' 1 - momentum, which averages the moving statistics as torch's BatchNorm does."""

from __future__ import annotations

import numpy as np
import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.fixes import apply_fix, fix_label
from kerascanvas.graph.validate import analyze

from .fix_graphs import chain


def bn_graph(momentum):
    doc, ids = chain(("Input", {"shape": [4]}), ("BatchNormalization", {"momentum": momentum}),
                     ("Dense", {"units": 2}))
    doc.outputs = [ids[-1]]
    return doc, ids[1]


def moving_means(momentum_keras, batches):
    """Keras' moving mean after training steps on `batches`, and torch's BatchNorm1d's
    with momentum 0.1, from the same batches."""
    import keras
    import torch

    layer = keras.layers.BatchNormalization(momentum=momentum_keras)
    torch_bn = torch.nn.BatchNorm1d(4, momentum=0.1)
    for batch in batches:
        layer(batch, training=True)
        torch_bn(torch.from_numpy(batch))
    return np.asarray(keras.ops.convert_to_numpy(layer.moving_mean)), \
        torch_bn.running_mean.detach().numpy()


@pytest.mark.parametrize("momentum", [0.1, 0.01, 0.3])
def test_a_torch_momentum_is_warned_and_fixed_to_average_as_torch_does(momentum):
    doc, bn = bn_graph(momentum)
    (issue,) = [i for i in analyze(doc).issues if i.code == "torch_momentum"]
    assert issue.node == bn and issue.severity == "warning"
    assert f"momentum={momentum!r}" in issue.message
    assert fix_label("set_keras_momentum", issue, doc) == f"Set momentum to {1 - momentum!r}"
    stack = UndoStack()
    apply_fix(doc, issue, "set_keras_momentum", stack)
    assert doc.nodes[bn].params["momentum"] == pytest.approx(1 - momentum)
    assert not [i for i in analyze(doc).issues if i.code == "torch_momentum"]
    stack.undo()
    assert doc.nodes[bn].params["momentum"] == momentum


def test_the_fixed_momentum_gives_torchs_moving_statistics():
    rng = np.random.default_rng(0)
    batches = [rng.normal(3.0, 2.0, size=(16, 4)).astype("float32") for _ in range(5)]
    kept, torch_mean = moving_means(0.1, batches)  # as written: follows the last batch
    fixed, _ = moving_means(1 - 0.1, batches)
    np.testing.assert_allclose(fixed, torch_mean, rtol=1e-5, atol=1e-6)
    assert np.abs(kept - batches[-1].mean(0)).max() < np.abs(fixed - batches[-1].mean(0)).max()


def test_a_momentum_of_0_is_warned_without_a_fix():
    """Keras' 0 keeps nothing of the moving statistics; torch's 0 would never update
    them, so 1 - 0 is no fix."""
    doc, _ = bn_graph(0)
    (issue,) = [i for i in analyze(doc).issues if i.code == "torch_momentum"]
    assert issue.fixes == ()


@pytest.mark.parametrize("momentum", [0.5, 0.9, 0.99])
def test_keras_momenta_are_not_warned(momentum):
    doc, _ = bn_graph(momentum)
    assert not [i for i in analyze(doc).issues if i.code == "torch_momentum"]
