"""A Keras call event's arguments as a JSON template, and read back into a kind's ports.

Tensors become placeholders numbered in the order met, slices, Ellipsis, constant arrays
and indexing tuples get marked forms, and keywords that change nothing are left out
(`call_template`). A node of our own kind takes the call only when it is the one codegen
writes: its tensors in port order (`standard_inputs`), its call params and keyword ports
taken out first (`call_params`, `keyword_ports`).
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from kerascanvas.graph.layers.generic import ARRAY, ELLIPSIS, PLACEHOLDER, SLICE, TUPLE
from kerascanvas.graph.spec import LayerSpec

from .keras_env import import_keras


def normal_json(value: Any) -> Any:
    """`value` as JSON gives it back: tuples as lists, numpy values as numbers and lists."""
    return json.loads(json.dumps(value, default=_not_json))


def _not_json(value: Any):
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    raise TypeError(f"a {type(value).__name__} is not JSON data")


def _template(value: Any, tensors: list) -> Any:
    """JSON call template of an argument; appends the tensors it meets to `tensors`."""
    keras = import_keras()
    if isinstance(value, keras.KerasTensor):
        tensors.append(value)
        return {PLACEHOLDER: len(tensors) - 1}
    if isinstance(value, slice):
        return {SLICE: [_template(v, tensors) for v in (value.start, value.stop, value.step)]}
    if value is Ellipsis:
        return {ELLIPSIS: True}
    if _is_constant_array(value):
        dtype = keras.backend.standardize_dtype(value.dtype)
        return {ARRAY: {"value": keras.ops.convert_to_numpy(value).tolist(), "dtype": dtype}}
    if isinstance(value, tuple) and any(v is None or v is Ellipsis or isinstance(v, slice)
                                        for v in value):  # an indexing key stays a tuple
        return {TUPLE: [_template(v, tensors) for v in value]}
    if isinstance(value, list | tuple):
        return [_template(v, tensors) for v in value]
    if isinstance(value, dict):
        return {str(k): _template(v, tensors) for k, v in value.items()}
    return normal_json(value)


def _is_constant_array(value: Any) -> bool:
    """A numpy array or a backend tensor (not a numpy scalar, which JSON holds as a number)."""
    import numpy as np

    keras = import_keras()
    return (isinstance(value, np.ndarray) and value.ndim > 0) or (
        keras.ops.is_tensor(value) and not isinstance(value, np.generic))


def implied_keyword(name: str, value: Any) -> bool:
    """Keywords that change nothing: None, and the training=False Keras records by itself
    (a Functional call passes its own `training` down whenever it has one)."""
    if isinstance(value, dict):  # a model called on a dict: mask={"a": None, "b": None}
        value = list(value.values())
    if isinstance(value, list | tuple):  # a multi-input model's mask=[None, None]
        return all(v is None for v in value)
    return value is None or (name == "training" and value is False)


def argument_tensors(node) -> list:
    """The symbolic tensors of a Keras graph node's positional arguments, in Keras' order
    (a dict's by key): its inputs, without the tensors of its keywords (the mask Keras
    passes to a nested model on a masked tensor)."""
    keras = import_keras()
    return [t for t in keras.tree.flatten(node.arguments.args)
            if isinstance(t, keras.KerasTensor)]


def given_keywords(node) -> list[str]:
    """The keywords of a Keras graph node's call that were given, not passed by Keras
    itself (see `implied_keyword` and `_automatic_mask`): a nested model's call holding
    one cannot be a block's call on its inputs."""
    return sorted(k for k, v in node.arguments.kwargs.items()
                  if not implied_keyword(k, v) and not _automatic_mask(node, k, v))


def call_template(node) -> tuple[dict, list]:
    """(template, tensors) of a Keras graph node; keywords that change nothing are left out."""
    tensors: list = []
    args = [_template(a, tensors) for a in node.arguments.args]
    kwargs = {k: _template(v, tensors) for k, v in node.arguments.kwargs.items()
              if not implied_keyword(k, v) and not _call_default(node.operation, k, v)
              and not _automatic_mask(node, k, v)}
    return ({"args": args, "kwargs": kwargs} if kwargs else {"args": args}), tensors


def _automatic_mask(node, name: str, value: Any) -> bool:
    """Whether `mask=value` is the mask Keras passes by itself: the one its input tensor
    carries (a Masking layer's, which Keras records with the ops computing it). The
    rebuilt model passes it again by itself, so it takes no port and no node.

    A model loaded from a file holds two copies of a merged mask: the recorded ops (an Add
    of two masked tensors records logical_or) that compute the `mask=` argument, and the
    ones the merge layer computed again as it was rebuilt, which its output carries. They
    are the same computation on the same tensors (`_same_value`)."""
    args = node.arguments.args
    if name != "mask" or not args:
        return False
    inputs, masks = args[0], value
    if isinstance(inputs, dict) and isinstance(masks, dict):  # a model called on a dict
        if inputs.keys() != masks.keys():
            return False
        inputs, masks = list(inputs.values()), [masks[key] for key in inputs]
    inputs = inputs if isinstance(inputs, list | tuple) else [inputs]
    masks = masks if isinstance(masks, list | tuple) else [masks]
    return len(inputs) == len(masks) and all(
        mask is None or _same_value(mask, getattr(tensor, "_keras_mask", None))
        for tensor, mask in zip(inputs, masks, strict=True))


_DEPTH = 16  # a mask is a few ops from its Embedding or Masking layer


def _same_value(a: Any, b: Any, depth: int = _DEPTH) -> bool:
    """Whether symbolic tensors `a` and `b` are one value: the same tensor, or the same
    output of operations of one class and config (their names aside) called on arguments
    that are themselves the same values. Two inputs are never one value."""
    if a is b:
        return True
    keras = import_keras()
    if not (isinstance(a, keras.KerasTensor) and isinstance(b, keras.KerasTensor)):
        return False
    history_a, history_b = getattr(a, "_keras_history", None), getattr(b, "_keras_history", None)
    if depth == 0 or history_a is None or history_b is None:
        return False
    op_a, op_b = history_a.operation, history_b.operation
    if (history_a.tensor_index != history_b.tensor_index or type(op_a) is not type(op_b)
            or not _same_config(op_a, op_b)):
        return False
    node_a = op_a._inbound_nodes[history_a.node_index]
    node_b = op_b._inbound_nodes[history_b.node_index]
    if not node_a.arguments.keras_tensors:  # a source (an Input): only itself is itself
        return False
    return _same_arguments((node_a.arguments.args, node_a.arguments.kwargs),
                           (node_b.arguments.args, node_b.arguments.kwargs), depth - 1)


def _same_config(op_a, op_b) -> bool:
    if op_a is op_b:
        return True
    try:
        config_a, config_b = op_a.get_config(), op_b.get_config()
    except NotImplementedError:
        return False
    config_a.pop("name", None)
    config_b.pop("name", None)
    return config_a == config_b


def _same_arguments(a: Any, b: Any, depth: int) -> bool:
    keras = import_keras()
    if isinstance(a, keras.KerasTensor) or isinstance(b, keras.KerasTensor):
        return _same_value(a, b, depth)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(
            _same_arguments(x, y, depth) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_arguments(a[k], b[k], depth) for k in a)
    if _is_constant_array(a) or _is_constant_array(b):
        return False  # not compared: the mask stays a port
    return type(a) is type(b) and a == b


def _call_default(operation, name: str, value: Any) -> bool:
    """Whether `training=value` is the default of the operation's own call: Keras records
    training=True for the layers whose call defaults to it (image augmentation, Pipeline),
    and a call without it records the same."""
    if name != "training" or not isinstance(value, bool):
        return False
    try:
        parameter = inspect.signature(operation.call).parameters.get(name)
    except (TypeError, ValueError):
        return False
    return parameter is not None and parameter.default is value


def standard_inputs(spec: LayerSpec, template: dict, tensors: list) -> list | None:
    """The port-ordered tensors when the call is the one codegen writes, else None."""
    args, kwargs = template["args"], template.get("kwargs", {})
    ports = list(range(len(tensors)))
    if spec.is_merge:
        ok = not kwargs and len(args) == 1 and args[0] == [{PLACEHOLDER: i} for i in ports]
        return tensors if ok else None
    named = list(args) + [kwargs[n] for n in spec.input_names[len(args):] if n in kwargs]
    used = len(args) + sum(1 for n in spec.input_names[len(args):] if n in kwargs)
    if used != len(args) + len(kwargs) or named != [{PLACEHOLDER: i} for i in ports]:
        return None
    return tensors


def call_params(spec: LayerSpec, template: dict) -> tuple[dict, dict]:
    """(template without the kind's call params, their values) of one call."""
    kwargs = dict(template.get("kwargs", {}))
    values = {k: kwargs.pop(k) for k in spec.call_params if k in kwargs}
    rest = {"args": template["args"], **({"kwargs": kwargs} if kwargs else {})}
    return rest, values


def keyword_ports(spec: LayerSpec, template: dict, tensors: list) -> tuple[dict, list, dict]:
    """(template with the tensors of the kind's keyword ports as further positional args,
    the tensors numbered as it now uses them, the param that switches those ports on) of
    one call: `lstm(x, initial_state=[h, c])` reads as `lstm(x, h, c)` with
    initial_state=True. One bare tensor counts as a list of one, as Keras reads it
    (`gru(x, initial_state=h)`), and nested lists read flat, in order (a stack of cells'
    `[[h0, c0], s1]`). A keyword that is no list of tensors is left in place
    (the call then maps to a KerasLayer). A `single` port's keyword comes after all the
    kind's own ports: `mha(q, v, attention_mask=m)` reads as `mha(q, v, v, m)`."""
    ports = spec.keyword_ports
    kwargs = dict(template.get("kwargs", {}))
    value = kwargs.get(ports.param) if ports else None
    value = [value] if isinstance(value, dict) else value
    if isinstance(value, list) and not ports.single:  # a stack's states, a list per cell
        value = _flat(value)
    if not (isinstance(value, list) and value
            and all(isinstance(v, dict) and set(v) == {PLACEHOLDER} for v in value)):
        return template, tensors, {}
    del kwargs[ports.param]
    args = list(template["args"])
    if ports.single:
        args, kwargs, tensors = _own_ports(spec, args, kwargs, tensors, value)
        if args is None:
            return template, tensors, {}
    else:
        args = [*args, *value]
    rest = {"args": args, **({"kwargs": kwargs} if kwargs else {})}
    return rest, tensors, {ports.param: True}


def _flat(value: list) -> list:
    """A nested list flattened, in order (`[[h0, c0], s1]` -> `[h0, c0, s1]`)."""
    return [leaf for item in value
            for leaf in (_flat(item) if isinstance(item, list) else [item])]


def _own_ports(spec: LayerSpec, args: list, kwargs: dict, tensors: list, value: list):
    """(args, kwargs, tensors) of a call whose `single` keyword port follows all own
    ports: the own ports' tensors given by name become positional, the ones left out
    are completed (`KeywordPorts.fill`), then the keyword's tensor; the tensors are
    numbered again in that order. args None: the call does not read so."""
    for name in spec.input_names[len(args):]:
        if name not in kwargs:
            break
        args.append(kwargs.pop(name))
    fill = spec.keyword_ports.fill
    if fill is not None and len(args) < spec.max_inputs:
        args = fill(args)
    order = [*args, *value]
    if kwargs or len(args) != spec.max_inputs or not all(
            isinstance(a, dict) and set(a) == {PLACEHOLDER} for a in order):
        return None, kwargs, tensors
    tensors = [tensors[a[PLACEHOLDER]] for a in order]
    return [{PLACEHOLDER: i} for i in range(len(order))], {}, tensors
