"""A Keras Functional model's training forward pass as a flat list of calls.

Calling a Keras model runs, for every layer, `Layer.__call__` (argument
binding, autocast scopes, masks, name scopes, input checks) and then Keras'
op wrappers (tensor conversion and dtype resolution for every operand) before
the one torch kernel that does the work. On the CPU that Python costs about as
much as an MLP's arithmetic. `Program` walks the model's graph once, in Keras'
order, and keeps for each node a direct call:

* the common layers (`lowerings.LOWERINGS`: Dense, convolutions, pooling,
  BatchNormalization, activations, Add...) as the torch kernels Keras' own code
  reaches, reading the layers' variables (the same torch Parameters);
* any other layer as its own `layer.call(...)`, Keras' code without the
  `__call__` wrapper.

`plan_reason(model)` says why a model cannot take this path (a dtype policy
other than float32, masking, activity regularizers, nested models...); the
step then calls the model itself.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from ..input_ranks import keras_rank
from .lowerings import lowering

FLOAT32 = "float32"


def functional(model):
    """The Functional graph behind a Functional or Sequential model, or None."""
    keras = _keras()
    if isinstance(model, keras.Sequential):
        return getattr(model, "_functional", None)
    if isinstance(model, keras.Model) and hasattr(model, "_nodes_by_depth"):
        return model
    return None


def _torch_dtype(name):
    import torch

    return getattr(torch, name, None) if isinstance(name, str) else None


def _as_dtype(x, dtype):
    if dtype is None or getattr(x, "dtype", dtype) == dtype:
        return x
    return x.to(dtype) if hasattr(x, "to") else x


def _keras():
    from ..keras_env import import_keras

    return import_keras()


def plan_reason(model) -> str | None:
    """Why `Program` cannot run `model`'s forward pass, or None when it can."""
    graph = functional(model)
    if graph is None:
        return "the model is not a Functional or Sequential model"
    if model.dtype_policy.name != FLOAT32:
        return f"the dtype policy is {model.dtype_policy.name}"
    for layer in model._flatten_layers(include_self=False, recursive=False):
        reason = _layer_reason(layer)
        if reason:
            return f"layer {layer.name!r}: {reason}"
    if model.losses:
        return "the model adds losses while it runs"
    return None


def _layer_reason(layer) -> str | None:
    keras = _keras()
    if isinstance(layer, keras.Model):
        return "a nested model"
    if layer.dtype_policy.name != FLOAT32:
        return f"dtype policy {layer.dtype_policy.name}"
    if getattr(layer, "activity_regularizer", None) is not None:
        return "an activity regularizer"
    if isinstance(layer, keras.layers.ActivityRegularization):
        return "it adds a loss"
    if isinstance(layer, keras.layers.Masking | keras.layers.Embedding) and (
            isinstance(layer, keras.layers.Masking) or layer.mask_zero):
        return "it makes a mask"
    return None


def _keys(struct, flat) -> list | None:
    """The dict key of each tensor of `flat` (a Functional's inputs or outputs, in its
    flat order) when the model was made with a dict of tensors; else None."""
    if not isinstance(struct, dict):
        return None
    key_of = {id(t): key for key, t in struct.items()}
    keys = [key_of.get(id(t)) for t in flat]
    return keys if None not in keys else None


def _training_call(layer) -> Callable:
    call = layer.call
    if "training" in inspect.signature(call).parameters:
        return lambda *args, **kwargs: call(*args, training=True, **kwargs)
    return call


class Program:
    """`program(inputs)`: the model's outputs in training mode, as torch tensors.

    Args:
        model: a built Functional or Sequential model that `plan_reason` accepts.
        fast: use the lowerings; False calls every layer's own `call`.
    """

    def __init__(self, model, fast: bool = True):
        graph = functional(model)
        self.slots: dict[int, int] = {id(t): i for i, t in enumerate(graph.inputs)}
        self.input_names = [t.name for t in graph.inputs]
        self.input_shapes = [tuple(t.shape) for t in graph.inputs]
        self.input_dtypes = [_torch_dtype(t.dtype) for t in graph.inputs]
        self.steps: list[tuple] = []
        self.lowered: list[str] = []
        for depth in sorted(graph._nodes_by_depth, reverse=True):
            for node in graph._nodes_by_depth[depth]:
                if node.operation is None or node.is_input:
                    continue
                self._add(node, fast)
        self.outputs = [self.slots[id(t)] for t in graph.outputs]
        self.single = len(self.outputs) == 1 and not isinstance(graph._outputs_struct,
                                                                list | tuple | dict)
        self.input_keys = _keys(graph._inputs_struct, graph.inputs)
        self.output_keys = _keys(graph._outputs_struct, graph.outputs)
        self.size = len(self.slots)

    def _slot(self, tensor) -> int:
        return self.slots.setdefault(id(tensor), len(self.slots))

    def _add(self, node, fast: bool) -> None:
        layer = node.operation
        args = node.arguments
        fn = lowering(layer) if fast else None
        if fn is not None:
            self.lowered.append(layer.name)
        else:
            fn = _training_call(layer)
        single = args._single_positional_tensor
        # `training` is set by the step; a recorded None (mask=None) changes nothing.
        bare = all(v is None for k, v in args.kwargs.items() if k != "training")
        if single is None and bare and len(args.args) == 1 and \
                type(args.args[0]).__name__ == "KerasTensor":
            single = args.args[0]
        if single is not None:
            kind, ins = 0, self.slots[id(single)]
        elif (bare and len(args.args) == 1 and isinstance(args.args[0], list | tuple)
              and all(id(t) in self.slots for t in args.args[0])
              and len(args.keras_tensors) == len(args.args[0])):
            kind, ins = 1, [self.slots[id(t)] for t in args.args[0]]
        else:
            kind, ins = 2, args
        outs = [self._slot(t) for t in node.outputs]
        self.steps.append((fn, kind, ins, outs))

    def __call__(self, inputs):
        values: list = [None] * self.size
        if isinstance(inputs, dict):  # keyed as the model's dict, else by Input names
            keys = self.input_keys if self.input_keys and all(
                k in inputs for k in self.input_keys) else self.input_names
            flat = [inputs[key] for key in keys]
        else:
            flat = inputs if isinstance(inputs, list | tuple) else [inputs]
        # As Keras' Functional call does: each input in its Input's dtype (bool, integer or
        # float64 data would otherwise reach the kernels as it is), and at its rank.
        values[:len(flat)] = [_as_dtype(x, d) for x, d in zip(flat, self.input_dtypes,
                                                               strict=False)]
        for i, shape in enumerate(self.input_shapes):
            if values[i] is not None and values[i].ndim != len(shape):
                values[i] = keras_rank(shape[1:], values[i])
        for fn, kind, ins, outs in self.steps:
            if kind == 0:
                out = fn(values[ins])
            elif kind == 1:
                out = fn([values[i] for i in ins])
            else:
                out = self._generic(fn, ins, values)
            if len(outs) == 1:
                values[outs[0]] = out
            else:  # flat, as the node's outputs (a stack of cells' states come nested)
                for slot, value in zip(outs, _keras().tree.flatten(out), strict=True):
                    values[slot] = value
        results = [values[i] for i in self.outputs]
        if self.output_keys:
            return dict(zip(self.output_keys, results, strict=True))
        return results[0] if self.single else results

    def _generic(self, fn, arguments, values):
        table = {key: values[slot] for key, slot in self.slots.items()
                 if values[slot] is not None}
        args, kwargs = arguments.fill_in(table)
        kwargs.pop("training", None)
        return fn(*args, **kwargs)

