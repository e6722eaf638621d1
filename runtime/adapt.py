"""Preprocessing layers that learn their state from the training data (`adapt`).

A Normalization node without mean and variance, or a Discretization node with
num_bins instead of bin_boundaries, has no state until it sees data. Before
the first epoch the trainer feeds the training inputs through the model up to
each such layer and calls its `adapt` on what arrives there; the learned mean,
variance or bin boundaries are the layer's weights or config, so they are
saved with the model.

Keras implements `Discretization.adapt` with TensorFlow only, so without
TensorFlow a Discretization node must be given its bin_boundaries; training
says so by name instead of failing inside Keras.
"""

from __future__ import annotations

from .keras_env import import_keras


def needs_adapt(layer) -> bool:
    """Whether `layer` is a preprocessing layer still waiting for `adapt`."""
    keras = import_keras()
    if isinstance(layer, keras.layers.Normalization):
        return layer.input_mean is None
    if isinstance(layer, keras.layers.Discretization):
        return layer.bin_boundaries is None
    return False


def _layers(model) -> list:
    """Every layer of `model`, nested models opened up, in call order."""
    keras = import_keras()
    out = []
    for layer in model.layers:
        out += _layers(layer) if isinstance(layer, keras.Model) else [layer]
    return out


def adapt_layers(model, x, batch_size: int = 256) -> list[str]:
    """Adapt each layer of `model` that needs it on the inputs it receives from `x`.

    Args:
        model: a built functional model.
        x: the model inputs (an array, a list of arrays, or a PyDataset yielding (x, y)).
        batch_size: batch size of the forward pass that computes each layer's inputs.

    Returns:
        The names of the adapted layers, in call order.
    """
    from .train import TrainingRefused

    keras = import_keras()
    adapted = []
    for layer in _layers(model):
        if not needs_adapt(layer):
            continue
        if isinstance(layer, keras.layers.Discretization) and not _has_tensorflow():
            raise TrainingRefused(
                f"Layer {layer.name!r} (Discretization) has num_bins={layer.num_bins} and no "
                "bin_boundaries: Keras learns the boundaries with TensorFlow, which is not "
                "installed. Set bin_boundaries (a sorted list of edges) on the node instead")
        feeder = keras.Model(model.inputs, layer.input)
        kwargs = {} if isinstance(x, keras.utils.PyDataset) else {"batch_size": batch_size}
        layer.adapt(feeder.predict(x, verbose=0, **kwargs))
        adapted.append(layer.name)
    return adapted


def _has_tensorflow() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorflow") is not None
