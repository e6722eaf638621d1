"""Initial-state input ports of the recurrent kinds (a seq2seq decoder's `initial_state`).

With `initial_state` on, a recurrent node takes its starting states from input ports
after the sequence's port 0, and its call is `layer(x, initial_state=[h, c])`:
LSTM and ConvLSTM take h then c, GRU and SimpleRNN one state, and Bidirectional the
forward layer's states then the backward copy's. Each state must have the shape of
the layer's final state (batch, units), or (batch, *spatial_out, filters) for a
ConvLSTM (filters first with channels_first). Keras itself does not check that when
the model is built (a wrong state fails at the first batch), so the rule does.

>>> from ..spec import get_spec
>>> spec = get_spec("LSTM")
>>> params = spec.resolve({"units": 4, "initial_state": True})
>>> spec.max_ports(params), spec.port_name(2, params)
(3, 'initial c')
>>> spec.output_shapes(params, [(None, 5, 3), (None, 4), (None, 6)])
Traceback (most recent call last):
...
kerascanvas.graph.errors.ShapeError: LSTM's initial c must have the shape (None, 4), \
as the layer's state (batch, units=4). Received: (None, 6)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt
from ..spec import KeywordPorts, Shape, get_spec

PARAM = "initial_state"
# The states of each recurrent kind, in Keras' order.
STATES = {"LSTM": ("h", "c"), "GRU": ("state",), "SimpleRNN": ("state",),
          **{f"ConvLSTM{r}D": ("h", "c") for r in (1, 2, 3)}}
# The param that sizes each kind's states, and where it sits in a state's shape.
_SIZE = {"LSTM": "units", "GRU": "units", "SimpleRNN": "units",
         **{f"ConvLSTM{r}D": "filters" for r in (1, 2, 3)}}


def initial_state_param() -> ParamSpec:
    """The switch of the state ports."""
    return ParamSpec(PARAM, "bool", default=False,
                     doc="Start from states given on extra input ports (e.g. an encoder's "
                         "final states) instead of zeros")


def _size_axis(kind: str, params: Mapping[str, Any]) -> int:
    channels_first = params.get("data_format") == "channels_first"
    return 1 if kind.startswith("ConvLSTM") and channels_first else -1


def _resize(kind: str):
    """The param change that sizes the layer like the state on `port`, or None."""
    def resize(params: Mapping[str, Any], inputs: list[Shape], port: int):
        if not 1 <= port < len(inputs):
            return None
        size = inputs[port][_size_axis(kind, params)] if inputs[port] else None
        if not isinstance(size, int) or size < 1:
            return None
        return _SIZE[kind], size

    return resize


def ports(kind: str) -> KeywordPorts:
    """The state ports of one recurrent kind: `initial h`, `initial c` (LSTM)."""
    names = tuple(f"initial {s}" for s in STATES[kind])
    return KeywordPorts(PARAM, lambda params: names, _resize(kind))


def _inner(params: Mapping[str, Any]):
    layer = params["layer"]
    spec = get_spec(layer["kind"])
    return spec, spec.resolve(layer.get("params", {}))


def _inner_states(spec, inner: Mapping[str, Any]) -> tuple[str, ...]:
    """The state names of an inner layer: its own ports' labels, less `initial `."""
    names = spec.keyword_ports.names({**inner, PARAM: True})
    return tuple(n.removeprefix("initial ") for n in names)


def _bidirectional_names(params: Mapping[str, Any]) -> tuple[str, ...]:
    states = _inner_states(*_inner(params))
    return tuple(f"{way} {s}" for way in ("forward", "backward") for s in states)


def _bidirectional_resize(params: Mapping[str, Any], inputs: list[Shape], port: int):
    """Size the inner layer like the state on `port` (its `layer` param changed): a
    backward state sizes what the forward state at its place does."""
    spec, inner = _inner(params)
    count = len(_inner_states(spec, inner))
    if not 1 <= port < len(inputs):
        return None
    forward = list(inputs[:1 + count])
    forward[(port - 1) % count + 1] = inputs[port]
    found = spec.keyword_ports.resize(inner, forward, (port - 1) % count + 1)
    if found is None:
        return None
    layer = dict(params["layer"])
    layer["params"] = {**layer.get("params", {}), found[0]: found[1]}
    return "layer", layer


def _bidirectional_group(params: Mapping[str, Any], items: list) -> list:
    """The forward then the backward states, each half as the inner layer reads its own
    (a stack of cells: a list per LSTMCell)."""
    spec, inner = _inner(params)
    group = spec.keyword_ports.group if spec.keyword_ports else None
    half = len(items) // 2
    if group is None:
        return list(items)
    return [*group(inner, items[:half]), *group(inner, items[half:])]


BIDIRECTIONAL_PORTS = KeywordPorts(PARAM, _bidirectional_names, _bidirectional_resize,
                                   group=_bidirectional_group)


def check_states(kind: str, params: Mapping[str, Any], inputs: list[Shape],
                 expected: list[Shape]) -> None:
    """Refuse (ShapeError on the port) a state on ports 1.. whose shape is not `expected`'s.

    A dim unknown on either side fits; so does a known batch size against an unknown one.
    """
    given = inputs[1:]
    if len(given) != len(expected):
        raise ShapeError(f"{kind} with initial_state=True takes {len(expected)} state "
                         f"tensor(s) after the sequence. Received: {len(given)}")
    spec = get_spec(kind)
    for port, (shape, want) in enumerate(zip(given, expected, strict=True), start=1):
        if not _fits(shape, want):
            raise ShapeError(
                f"{kind}'s {spec.port_name(port, params)} must have the shape {fmt(want)}, "
                f"as the layer's state {_layout(kind, params)}. Received: {fmt(shape)}",
                port=port)


def _fits(shape: Shape, want: Shape) -> bool:
    return len(shape) == len(want) and all(
        a is None or b is None or a == b for a, b in zip(shape, want, strict=True))


def _layout(kind: str, params: Mapping[str, Any]) -> str:
    inner = _inner(params) if kind == "Bidirectional" else (get_spec(kind), params)
    spec, values = inner
    if spec.kind == "RNN":
        return "(batch, units of the cell that keeps it)"
    name = _SIZE[spec.kind]
    if name == "units":
        return f"(batch, units={values['units']})"
    if values.get("data_format") == "channels_first":
        return f"(batch, filters={values['filters']}, *spatial output)"
    return f"(batch, *spatial output, filters={values['filters']})"
