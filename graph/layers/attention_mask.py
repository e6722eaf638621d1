"""The `attention_mask` input port of MultiHeadAttention and GroupQueryAttention.

With the `attention_mask` param on, the node takes a mask on port 3, after query, value
and key, and its call is `layer(query, value, key, attention_mask=mask)`: query step t
attends to key step s where the mask is true (a nonzero number counts as true). The
port comes after key so that a port's number never depends on which others are wired:
with the mask on, key must be connected too (wire the value's tensor there for Keras'
default), and an imported `layer(q, v, attention_mask=m)` gets v on its key port.

Keras broadcasts the mask against the attention scores (batch, heads, T, S): axes of 1
go in before the mask's last two dims up to the scores' rank, then each dim must equal
the scores' or be 1. So (batch, T, S) is the usual mask, (batch, 1, S) a padding mask,
(T, S) one for every sample, (batch, heads, T, S) one per head. (With more attention
axes, the mask's last 2 x axes dims are T... and S...; the scores are as
`attention._scores_shape` gives them.) Keras does not check the mask when the model is
built (a wrong one fails at the first batch), so the rule does.

>>> from ..spec import get_spec
>>> spec = get_spec("MultiHeadAttention")
>>> params = spec.resolve({"num_heads": 2, "key_dim": 4, "attention_mask": True})
>>> spec.port_name(3, params), spec.split_inputs(["q", "v", "k", "m"], params)
('attention mask', (['q', 'v', 'k'], {'attention_mask': 'm'}))
>>> spec.output_shapes(params, [(None, 5, 8), (None, 7, 6), (None, 7, 6), (None, 5, 6)])
Traceback (most recent call last):
...
kerascanvas.graph.errors.ShapeError: MultiHeadAttention's attention mask must broadcast \
to the attention scores (batch, heads, T, S) = (None, 2, 5, 7): Keras adds axes of 1 \
before its last 2 (T, S) dims up to that rank, then each dim must equal the scores' or \
be 1, as (batch, T, S) does. Received: (None, 5, 6)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt
from ..spec import KeywordPorts, Shape

MASK = "attention_mask"
PORT = 3  # after query, value and key


def mask_param() -> ParamSpec:
    """The switch of the mask port."""
    return ParamSpec(MASK, "bool", default=False,
                     doc="Take a mask (batch, T, S) on an extra port after key: query step "
                         "t attends to key step s where it is true (a keyword of the "
                         "call; key must be connected, the value's tensor by default)")


def _fill(args: list) -> list:
    """query, value -> query, value, value: Keras' key when none is given."""
    return [*args, args[1]] if len(args) == 2 else list(args)


MASK_PORTS = KeywordPorts(MASK, lambda params: ("attention mask",), single=True, fill=_fill)


def own_inputs(kind: str, params: Mapping[str, Any], inputs: list[Shape]) -> list[Shape]:
    """The query, value and key shapes of `inputs`; ShapeError for a mask without a key."""
    if not params.get(MASK):
        return list(inputs)
    if len(inputs) != PORT + 1:
        raise ShapeError(
            f"{kind} with attention_mask=True takes the mask on port {PORT} (attention "
            "mask), after key: connect key too (the value's tensor, as Keras' default). "
            f"Received: {len(inputs)} inputs", port=len(inputs) - 1)
    return list(inputs[:PORT])


def check_mask(kind: str, params: Mapping[str, Any], inputs: list[Shape],
               scores: Shape, axes: int) -> None:
    """Refuse (ShapeError on the mask's port) a mask that does not broadcast to `scores`
    (the attention scores' shape, with `axes` attention axes) as Keras broadcasts it."""
    if not params.get(MASK):
        return
    mask = tuple(inputs[PORT])
    expanded = broadcast(mask, len(scores), axes)
    if expanded is None or not _fits(expanded, scores):
        names = "(batch, heads, T, S)" if len(scores) == 4 else "(batch, ..., heads, T..., S...)"
        raise ShapeError(
            f"{kind}'s attention mask must broadcast to the attention scores {names} = "
            f"{fmt(scores)}: Keras adds axes of 1 before its last {2 * axes} (T, S) dims up "
            "to that rank, then each dim must equal the scores' or be 1, as (batch, T, S) "
            f"does. Received: {fmt(mask)}", port=PORT)


def broadcast(mask: Shape, rank: int, axes: int) -> Shape | None:
    """The mask as Keras expands it for scores of `rank` with `axes` attention axes (axes
    of 1 inserted before its last 2 * axes dims), or None where it cannot."""
    keep = len(mask) - 2 * axes
    if keep < 0 or len(mask) > rank:
        return None
    return (*mask[:keep], *(1,) * (rank - len(mask)), *mask[keep:])


def _fits(shape: Shape, want: Shape) -> bool:
    return len(shape) == len(want) and all(
        a is None or b is None or a in (1, b) for a, b in zip(shape, want, strict=True))
