"""Direct torch calls for the common Keras layers, in training mode.

Each lowering computes what the layer's own `call` computes on the torch
backend, with its variables (the same torch Parameters, updated in place), but
without Keras' per-op conversions:

* Dense: `F.linear(x, kernel.T, bias)` (matmul and bias in one kernel).
* Conv1D/2D/3D (channels_last): torch's convolution on the channels-first view
  of the same memory, with the bias, then the activation. Keras' own op copies
  the input to channels-first and back to channels-last for every layer.
* Max/AveragePooling: torch's pooling on that view, or Keras' backend op where
  "same" padding is uneven or the data is channels_first.
* BatchNormalization: torch's fused batch-norm kernel for the output, and
  Keras' moving-statistics rule (`moving = moving * momentum + batch *
  (1 - momentum)`, with the biased batch variance, Keras' epsilon): the
  fused kernel returns the batch mean and inverse deviation it used.
* Activation/ReLU/Softmax layers and the activations of the layers above:
  the torch function Keras' activation reaches (relu, softmax, sigmoid, tanh).
* Flatten, Add, GlobalAveragePooling1D/2D.

`lowering(layer)` returns the call, or None when the layer (or an option of
it: LoRA, quantization, renorm, causal padding...) is not covered; the program
then calls the layer's own `call`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..keras_env import import_keras

keras = import_keras()
_nn = keras.src.backend.torch.nn
_acts = keras.activations


def _activation(fn) -> Callable | None:
    if fn is None or fn is _acts.linear:
        return None
    table = {_acts.relu: torch.relu, _acts.sigmoid: torch.sigmoid, _acts.tanh: torch.tanh,
             _acts.softmax: lambda x: torch.softmax(x, dim=-1)}
    return table.get(fn, fn)


def _then(fn: Callable, activation) -> Callable:
    act = _activation(activation)
    if act is None:
        return fn
    return lambda x: act(fn(x))


def _dense(layer) -> Callable | None:
    if layer.lora_enabled or layer.quantization_mode is not None:
        return None
    kernel = layer.kernel.value
    bias = None if layer.bias is None else layer.bias.value
    return _then(lambda x: F.linear(x, kernel.t(), bias), layer.activation)


def _to_first(rank: int) -> tuple[int, ...]:
    return (0, rank + 1, *range(1, rank + 1))


def _to_last(rank: int) -> tuple[int, ...]:
    return (0, *range(2, rank + 2), 1)


def _memory_format(rank: int):
    return {2: torch.channels_last, 3: torch.channels_last_3d}.get(rank)


_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def _padding(layer, kernel_size) -> int | tuple | None:
    """Torch's symmetric padding for Keras' "valid"/"same", or None when "same" needs
    an uneven pad (then Keras' own backend op runs)."""
    if layer.padding == "valid":
        return 0
    strides = tuple(layer.strides)
    dilation = tuple(getattr(layer, "dilation_rate", (1,) * len(strides)))
    if any(s != 1 for s in strides) or any((k - 1) * d % 2 for k, d in
                                           zip(kernel_size, dilation, strict=True)):
        return None
    return tuple((k - 1) * d // 2 for k, d in zip(kernel_size, dilation, strict=True))


def _conv(layer) -> Callable | None:
    """Channels-last data stays channels-last in memory: the permuted view is what
    torch's channels-last kernels read, so no copy is made (Keras copies the input
    to channels-first and back for every convolution)."""
    rank = layer.rank
    if layer.padding not in ("valid", "same") or getattr(layer, "lora_enabled", False) or \
            layer.data_format != "channels_last" or rank not in _CONV:
        return None
    padding = _padding(layer, layer.kernel_size)
    if padding is None:
        return None
    kernel, op, fmt = layer.kernel.value, _CONV[rank], _memory_format(rank)
    bias = layer.bias.value if layer.use_bias else None
    strides, dilation, groups = tuple(layer.strides), tuple(layer.dilation_rate), layer.groups
    first, last = _to_first(rank), _to_last(rank)
    order = (rank + 1, rank, *range(rank))  # (k..., in, out) -> (out, in, k...)

    def conv(x):
        weight = kernel.permute(order)
        if fmt is not None:
            weight = weight.contiguous(memory_format=fmt)
        out = op(x.permute(first), weight, bias, strides, padding, dilation, groups)
        return out.permute(last)
    return _then(conv, layer.activation)


def _pool(table) -> Callable:
    def make(layer):
        rank = len(layer.pool_size)
        padding = _padding(layer, layer.pool_size)
        if layer.data_format != "channels_last" or padding is None:
            keras_op = _nn.max_pool if table is _MAX else _nn.average_pool
            size, strides, mode, form = layer.pool_size, layer.strides, layer.padding, \
                layer.data_format
            return lambda x: keras_op(x, size, strides, mode, form)
        op, size, strides = table[rank], tuple(layer.pool_size), tuple(layer.strides)
        first, last = _to_first(rank), _to_last(rank)
        if padding and table is _AVG:
            return None  # Keras counts only the real inputs in a padded window
        return lambda x: op(x.permute(first), size, strides, padding).permute(last)
    return make


def _batch_norm(layer) -> Callable | None:
    if layer.renorm or getattr(layer, "synchronized", False) or not layer.trainable:
        return None
    gamma = layer.gamma.value if layer.scale else None
    beta = layer.beta.value if layer.center else None
    mean_var, var_var = layer.moving_mean.value, layer.moving_variance.value
    momentum, eps, axis = float(layer.momentum), float(layer.epsilon), layer.axis

    def batch_norm(x):
        channel = axis % x.ndim
        moved = x.movedim(channel, 1) if channel != 1 else x
        out, mean, invstd = torch.native_batch_norm(moved, gamma, beta, None, None, True,
                                                    0.0, eps)
        with torch.no_grad():
            variance = invstd.pow(-2).sub_(eps)
            mean_var.mul_(momentum).add_(mean, alpha=1.0 - momentum)
            var_var.mul_(momentum).add_(variance, alpha=1.0 - momentum)
        return out.movedim(1, channel) if moved is not x else out
    return batch_norm


def _activation_layer(layer) -> Callable | None:
    act = _activation(layer.activation)
    return act or (lambda x: x)


def _relu_layer(layer) -> Callable | None:
    if layer.negative_slope or layer.max_value is not None or layer.threshold:
        return None
    return torch.relu


def _softmax_layer(layer) -> Callable | None:
    axis = layer.axis
    if not isinstance(axis, int):
        return None
    return lambda x: torch.softmax(x, dim=axis)


def _flatten(layer) -> Callable | None:
    if layer._channels_first:
        return None
    return lambda x: x.reshape(x.shape[0], -1)


def _add(layer) -> Callable:
    def add(xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out
    return add


def _global_average(layer) -> Callable:
    rank = 2 if isinstance(layer, keras.layers.GlobalAveragePooling2D) else 1
    axes = tuple(range(1, 1 + rank)) if layer.data_format == "channels_last" else \
        tuple(range(2, 2 + rank))
    keep = layer.keepdims
    return lambda x: x.mean(dim=axes, keepdim=keep)


L = keras.layers
LOWERINGS: dict[type, Callable] = {
    L.Dense: _dense, L.Conv1D: _conv, L.Conv2D: _conv, L.Conv3D: _conv,
    L.MaxPooling1D: _pool(_MAX), L.MaxPooling2D: _pool(_MAX), L.MaxPooling3D: _pool(_MAX),
    L.AveragePooling1D: _pool(_AVG), L.AveragePooling2D: _pool(_AVG),
    L.AveragePooling3D: _pool(_AVG),
    L.BatchNormalization: _batch_norm, L.Activation: _activation_layer, L.ReLU: _relu_layer,
    L.Softmax: _softmax_layer, L.Flatten: _flatten, L.Add: _add,
    L.GlobalAveragePooling1D: _global_average, L.GlobalAveragePooling2D: _global_average,
}


def lowering(layer) -> Callable | None:
    """The direct call for `layer` in training mode, or None (see the module docstring).

    Only the exact classes are lowered: a subclass may change `call`.
    """
    make = LOWERINGS.get(type(layer))
    return None if make is None else make(layer)
