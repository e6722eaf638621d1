"""Wrapper kinds: Bidirectional, TimeDistributed, SpectralNormalization and Pipeline.

A wrapper node holds its inner layer in its `layer` param, a nested dict
`{"kind": "LSTM", "params": {"units": 32}}` (plus an optional "name"; the inner
layer is otherwise named after its kind, as Keras names a layer). The inner kind
is one of the table's kinds that the wrapper accepts, and its params are checked
by that kind's own spec (bounds, choices, cross-parameter checks). The shape and
count rules run the inner kind's rules:

- TimeDistributed applies the layer to every step: input (batch, time, *rest),
  the inner rule on (batch, *rest), output (batch, time, *inner_rest).
- Bidirectional runs a recurrent layer forwards and a copy backwards (twice the
  weights). merge_mode concat doubles the last dim, sum/mul/ave keep it, None
  gives two output ports. With return_state the forward then the backward states
  follow on more ports; with initial_state both directions start from states given
  on input ports (forward first, see `recurrent_state`).
- SpectralNormalization normalizes the inner kernel by its largest singular value,
  estimated by power iteration on a non-trainable vector u of the kernel's last dim.
- Pipeline holds a list of inner layers (`layers`), applied in turn; its rules chain
  the inner rules.

>>> spec = get_spec("Bidirectional")
>>> p = spec.resolve({"layer": {"kind": "LSTM", "params": {"units": 8}}})
>>> spec.output_shapes(p, [(None, 5, 3)]), spec.count(p, [(None, 5, 3)])
([(None, 16)], (768, 0))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ParamError, ShapeError
from ..params import REQUIRED, ParamSpec
from ..shapes import fmt, require_min_rank
from ..spec import (
    AS_LISTS,
    GENERIC,
    INPUT,
    LAYER_SPECS,
    SHARED_CALL,
    LayerSpec,
    Sample,
    get_spec,
    register,
)
from .recurrent_state import BIDIRECTIONAL_PORTS, check_states, initial_state_param

WRAPPERS = ("Bidirectional", "TimeDistributed", "SpectralNormalization", "Pipeline")
_RECURRENT = ("LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")
# The kinds with a `kernel` (or Embedding's `embeddings`) SpectralNormalization can
# normalize, and the last dim of that weight, which sizes the vector u.
_KERNEL_LAST = {
    "Dense": lambda p, shape: p["units"],
    "Embedding": lambda p, shape: p["output_dim"],
    **{f"Conv{r}D": (lambda p, shape: p["filters"]) for r in (1, 2, 3)},
    **{f"Conv{r}DTranspose": (lambda p, shape: _channels(p, shape)) for r in (1, 2, 3)},
    **{f"DepthwiseConv{r}D": (lambda p, shape: p["depth_multiplier"]) for r in (1, 2)},
}
_KEYS = {"kind", "params", "name"}


def _channels(params, shape) -> int | None:
    return shape[1] if params.get("data_format") == "channels_first" else shape[-1]


def inner_name(inner: Mapping[str, Any]) -> str:
    """The Keras name of an inner layer: its own "name", else its kind's snake name."""
    from ..document import default_name

    return inner.get("name") or default_name(inner["kind"])


def coerce_inner(p: ParamSpec, value: Any, where: str | None = None,
                 find: Callable[[str], LayerSpec] = get_spec) -> dict:
    """The normal form of an inner layer (only non-default params kept), or ParamError.
    `where` names it in messages (`layers[1]`); the param's name by default. `find` gives
    the spec of a kind (an RNN's cells have a table of their own)."""
    where = where or p.name
    if not isinstance(value, Mapping) or not isinstance(value.get("kind"), str) \
            or set(value) - _KEYS or not isinstance(value.get("params", {}), Mapping):
        _fail(p, where, 'a layer as {"kind": ..., "params": {...}}', value)
    try:
        spec = find(value["kind"])
    except KeyError:
        spec = None
    if spec is None or spec.kind not in p.choices:
        _fail(p, where, "a layer of one of the kinds " + ", ".join(p.choices), value)
    try:
        resolved = spec.resolve(value.get("params", {}))
        params = spec.non_default(resolved)
    except ParamError as exc:
        raise ParamError(f"{where} ({spec.kind}): {exc}", param=p.name) from None
    if spec.keyword_port_names(resolved):
        raise ParamError(f"{where} ({spec.kind}): an inner layer has no input ports of its "
                         f"own, so its {spec.keyword_ports.param} must be false (a "
                         f"Bidirectional takes initial states itself). Received: "
                         f"{spec.keyword_ports.param}=True", param=p.name)
    if AS_LISTS in resolved:  # kept, so that the inner layer is built with its lists
        params[AS_LISTS] = list(resolved[AS_LISTS])
    out = {"kind": spec.kind, "params": params}
    name = value.get("name")
    if name is not None:
        if not isinstance(name, str) or not name or "/" in name:
            _fail(p, where, "an inner layer name without '/'", value)
        out["name"] = name
    return out


def coerce_inner_list(p: ParamSpec, value: Any,
                      find: Callable[[str], LayerSpec] = get_spec) -> list[dict]:
    """A non-empty list of inner layers in normal form, or ParamError naming the item."""
    if not isinstance(value, list | tuple) or not value:
        _fail(p, p.name, "a non-empty list of layers", value)
    return [coerce_inner(p, item, f"{p.name}[{i}]", find) for i, item in enumerate(value)]


def _fail(p: ParamSpec, where: str, expected: str, value: Any):
    raise ParamError(f"Received an invalid value for {where}, expected {expected}. "
                     f"Received: {where}={value!r}", param=p.name)


def inner_names(layers: list[Mapping[str, Any]]) -> list[str]:
    """Keras names of a Pipeline's layers: their own, else the kind's snake name, made
    unique within the list as Keras would (`dense`, `dense_1`)."""
    names, seen = [], set()
    for layer in layers:
        base = inner_name(layer)
        name, n = base, 0
        while name in seen:
            n += 1
            name = f"{base}_{n}"
        seen.add(name)
        names.append(name)
    return names


def inner(params) -> tuple[LayerSpec, dict]:
    """(spec, resolved params) of a wrapper's inner layer."""
    spec = get_spec(params["layer"]["kind"])
    return spec, spec.resolve(params["layer"]["params"])


def _layer_param(kinds: tuple[str, ...], initial: dict, doc: str) -> ParamSpec:
    return ParamSpec("layer", "layer", default=REQUIRED, initial=initial, choices=kinds, doc=doc)


# -- Bidirectional ------------------------------------------------------------------------

def _bidirectional_shape(params, inputs):
    spec, inner_params = inner(params)
    out, *states = spec.output_shapes(inner_params, inputs[:1])
    if params["initial_state"]:
        each = spec.output_shapes({**inner_params, "return_state": True}, inputs[:1])[1:]
        check_states("Bidirectional", params, inputs, each + each)
    mode = params["merge_mode"]
    if mode == "concat":
        out = (*out[:-1], None if out[-1] is None else 2 * out[-1])
    outs = [out, out] if mode is None else [out]
    shapes = outs + states + states
    return shapes if len(shapes) > 1 else shapes[0]


def _bidirectional_count(params, inputs):
    spec, inner_params = inner(params)
    trainable, frozen = spec.count(inner_params, inputs[:1])
    return (2 * trainable, 2 * frozen)


def _bidirectional_outputs(params) -> int:
    spec, inner_params = inner(params)
    states = spec.outputs(inner_params) - 1
    return (2 if params["merge_mode"] is None else 1) + 2 * states


def _bidirectional_check(params) -> str | None:
    spec, inner_params = inner(params)
    if inner_params["go_backwards"]:
        return ("Bidirectional runs its layer forwards and a copy backwards, so the inner "
                "layer's go_backwards must be false. Received: go_backwards=True")
    if params["initial_state"] and spec.check is not None:  # the states go to the inner
        return spec.check({**inner_params, "initial_state": True})  # layer: its own rule
    return None


register(LayerSpec(
    kind="Bidirectional",
    category="Recurrent",
    doc="Runs a recurrent layer forwards and backwards and merges the two outputs",
    params=(
        _layer_param(_RECURRENT, {"kind": "LSTM", "params": {"units": 32}},
                     "The recurrent layer run both ways"),
        ParamSpec("merge_mode", "choice", default="concat",
                  choices=("concat", "sum", "mul", "ave", None),
                  doc="How the two directions combine; empty: two separate outputs"),
        initial_state_param(),
    ),
    shape=_bidirectional_shape,
    count=_bidirectional_count,
    check=_bidirectional_check,
    outputs=_bidirectional_outputs,
    unexposed=("backward_layer",),
    keyword_ports=BIDIRECTIONAL_PORTS,
    samples=(
        Sample({"layer": {"kind": "LSTM", "params": {"units": 4}}}, ((None, 6, 3),)),
        Sample({"layer": {"kind": "GRU", "params": {"units": 3, "return_sequences": True}},
                "merge_mode": "sum"}, ((None, None, 5),)),
        Sample({"layer": {"kind": "LSTM", "params": {"units": 2, "return_state": True}},
                "merge_mode": None}, ((2, 4, 3),)),
        Sample({"layer": {"kind": "SimpleRNN", "params": {"units": 5, "return_state": True,
                                                          "return_sequences": True}},
                "merge_mode": "ave"}, ((None, 4, 3),)),
        Sample({"layer": {"kind": "ConvLSTM1D", "params": {"filters": 2, "kernel_size": 3},
                          "name": "conv"}, "merge_mode": "mul"}, ((None, 3, 8, 2),)),
        Sample({"layer": {"kind": "LSTM", "params": {"units": 4, "go_backwards": True}}},
               ((None, 6, 3),)),
        Sample({"layer": {"kind": "LSTM", "params": {"units": 4}}}, ((None, 6),)),
        Sample({"layer": {"kind": "LSTM", "params": {"units": 3, "return_state": True}},
                "initial_state": True}, ((None, 6, 2), *[(None, 3)] * 4)),
        Sample({"layer": {"kind": "GRU", "params": {"units": 3, "return_sequences": True}},
                "initial_state": True, "merge_mode": None}, ((None, 6, 2), (None, 3), (None, 3))),
        Sample({"layer": {"kind": "LSTM", "params": {"units": 3}}, "initial_state": True},
               ((None, 6, 2), (None, 3), (None, 3), (None, 4), (None, 3))),
        Sample({"layer": {"kind": "ConvLSTM1D", "params": {"filters": 2, "kernel_size": 3}},
                "initial_state": True}, ((None, 3, 8, 2), *[(None, 6, 2)] * 4)),
        Sample({"layer": {"kind": "RNN", "params": {"return_state": True, "cell": [
            {"kind": "GRUCell", "params": {"units": 3}},
            {"kind": "SimpleRNNCell", "params": {"units": 4}}]}}}, ((None, 5, 3),)),
        Sample({"layer": {"kind": "RNN", "params": {"cell": {
            "kind": "LSTMCell", "params": {"units": 3}}}}, "initial_state": True,
                "merge_mode": "sum"}, ((None, 5, 2), *[(None, 3)] * 4)),
    ),
))


# -- TimeDistributed ----------------------------------------------------------------------

def _child_shape(shape) -> tuple:
    require_min_rank(shape, 3, "TimeDistributed")
    return (shape[0], *shape[2:])


def _time_distributed_shape(params, inputs):
    (shape,) = inputs
    spec, inner_params = inner(params)
    outs = spec.output_shapes(inner_params, [_child_shape(shape)])
    if len(outs) != 1:
        raise ShapeError(f"TimeDistributed needs an inner layer with one output; {spec.kind} "
                         f"here has {len(outs)}. Received: input_shape={fmt(shape)}", port=0)
    return (outs[0][0], shape[1], *outs[0][1:])


def _time_distributed_count(params, inputs):
    spec, inner_params = inner(params)
    return spec.count(inner_params, [_child_shape(inputs[0])])


def _per_step_kinds() -> tuple[str, ...]:
    """Kinds with one input of their own that TimeDistributed can apply per step."""
    skip = {INPUT, GENERIC, SHARED_CALL, *WRAPPERS}
    return tuple(sorted(k for k, s in LAYER_SPECS.items()
                        if k not in skip and not s.is_composite and s.category != "Blocks"
                        and s.min_inputs == 1 and s.max_inputs == 1
                        and s.keras_module == "keras.layers"))


register(LayerSpec(
    kind="TimeDistributed",
    category="Recurrent",
    doc="Applies a layer to every step of a sequence (axis 1), with the same weights",
    params=(_layer_param(_per_step_kinds(), {"kind": "Dense", "params": {"units": 32}},
                         "The layer applied to each step"),),
    shape=_time_distributed_shape,
    count=_time_distributed_count,
    samples=(
        Sample({"layer": {"kind": "Dense", "params": {"units": 4}}}, ((None, 6, 3),)),
        Sample({"layer": {"kind": "Conv2D", "params": {"filters": 2, "kernel_size": 3}}},
               ((None, None, 8, 8, 3),)),
        Sample({"layer": {"kind": "Flatten", "params": {}}}, ((2, 5, 4, 3),)),
        Sample({"layer": {"kind": "LSTM", "params": {"units": 3}, "name": "step_lstm"}},
               ((None, 4, 6, 2),)),
        Sample({"layer": {"kind": "Dense", "params": {"units": 4}}}, ((None, 6),)),
        Sample({"layer": {"kind": "Conv2D", "params": {"filters": 2, "kernel_size": 3}}},
               ((None, 4, 8, 3),)),
    ),
))


# -- SpectralNormalization ----------------------------------------------------------------

def _spectral_count(params, inputs):
    spec, inner_params = inner(params)
    trainable, frozen = spec.count(inner_params, inputs)
    return (trainable, frozen + _KERNEL_LAST[spec.kind](inner_params, inputs[0]))


register(LayerSpec(
    kind="SpectralNormalization",
    category="Normalization",
    doc="Divides a layer's kernel by its spectral norm (largest singular value)",
    params=(
        _layer_param(tuple(_KERNEL_LAST), {"kind": "Dense", "params": {"units": 32}},
                     "The layer whose kernel is normalized"),
        ParamSpec("power_iterations", "int", default=1, min=1,
                  doc="Power-iteration steps per call that estimate the norm"),
    ),
    shape=lambda params, inputs: inner(params)[0].shape(inner(params)[1], inputs),
    count=_spectral_count,
    samples=(
        Sample({"layer": {"kind": "Dense", "params": {"units": 4}}}, ((None, 6),)),
        Sample({"layer": {"kind": "Conv2D", "params": {"filters": 3, "kernel_size": 3}},
                "power_iterations": 2}, ((None, 8, 8, 2),)),
        Sample({"layer": {"kind": "Conv2DTranspose", "params": {"filters": 3, "kernel_size": 2}}},
               ((None, 4, 4, 5),)),
        Sample({"layer": {"kind": "DepthwiseConv2D",
                          "params": {"kernel_size": 3, "depth_multiplier": 2}}},
               ((None, 6, 6, 3),)),
        Sample({"layer": {"kind": "Embedding", "params": {"input_dim": 10, "output_dim": 4}}},
               ((None, 5),)),
        Sample({"layer": {"kind": "Conv1D", "params": {"filters": 3, "kernel_size": 2}}},
               ((None, 8, 2),)),
    ),
))


# -- Pipeline -----------------------------------------------------------------------------

def _chain(params, inputs) -> list[tuple]:
    """The input shape of each layer of the pipeline, then the output shape."""
    shapes = [tuple(inputs[0])]
    for i, layer in enumerate(params["layers"]):
        spec = get_spec(layer["kind"])
        outs = spec.output_shapes(spec.resolve(layer["params"]), [shapes[-1]])
        if len(outs) != 1:
            raise ShapeError(f"Pipeline layer {i} ({spec.kind}) has {len(outs)} outputs; a "
                             "pipeline passes one tensor from layer to layer", port=0)
        shapes.append(tuple(outs[0]))
    return shapes


def _pipeline_count(params, inputs):
    shapes, total = _chain(params, inputs), [0, 0]
    for layer, shape in zip(params["layers"], shapes, strict=False):
        spec = get_spec(layer["kind"])
        counted = spec.count(spec.resolve(layer["params"]), [shape])
        total = [total[0] + counted[0], total[1] + counted[1]]
    return tuple(total)


register(LayerSpec(
    kind="Pipeline",
    category="Preprocessing",
    doc="Several layers applied in turn, as one layer (a preprocessing pipeline)",
    params=(ParamSpec("layers", "layers", default=REQUIRED, choices=_per_step_kinds(),
                      initial=[{"kind": "Rescaling", "params": {"scale": 1 / 255}}],
                      doc="The layers, in order, each with its params"),),
    shape=lambda params, inputs: _chain(params, inputs)[-1],
    count=_pipeline_count,
    freezable=False,  # Keras' Pipeline takes only layers and name
    samples=(
        Sample({"layers": [{"kind": "Rescaling", "params": {"scale": 0.5}},
                           {"kind": "Dense", "params": {"units": 3}}]}, ((None, 4),)),
        Sample({"layers": [{"kind": "Conv2D", "params": {"filters": 2, "kernel_size": 3}},
                           {"kind": "Conv2D", "params": {"filters": 3, "kernel_size": 3}},
                           {"kind": "Flatten", "params": {}}]}, ((None, 7, 7, 1),)),
        Sample({"layers": [{"kind": "Dense", "params": {"units": 3}},
                           {"kind": "Conv2D", "params": {"filters": 3, "kernel_size": 3}}]},
               ((None, 4),)),
    ),
))
