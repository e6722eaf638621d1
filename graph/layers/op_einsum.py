"""`ops.einsum`: Einstein summation over one or more tensors, as an operation kind.

The subscripts are Keras' (numpy's): one group of letters per operand, `,` between them,
at most one `...` per group, then optionally `->` and the output's letters. Without
`->` the output is `...` then the letters that appear once, sorted. A letter's dims
must agree across operands (or be 1, which broadcasts); the `...` parts broadcast.
Keras' own symbolic rule checks less (a contracted letter's sizes only fail when the
model runs); this one refuses those at edit time.

>>> einsum_shape({"subscripts": "bij,bjk->bik", "__kind__": "ops.einsum"},
...              [(None, 4, 6), (None, 6, 3)])
(None, 4, 3)
>>> einsum_shape({"subscripts": "...ij,...jk", "__kind__": "ops.einsum"},
...              [(None, 2, 4, 6), (1, 6, 3)])
(None, 2, 4, 3)
"""

from __future__ import annotations

import re

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt
from ..spec import Sample
from .op_shapes import broadcast
from .operations import register_operations

_GROUP = re.compile(r"[A-Za-z]*(\.\.\.)?[A-Za-z]*")


def _subscripts_problem(value: str) -> str | None:
    parts = value.split("->")
    groups = parts[0].split(",")
    if not value or len(parts) > 2 or not all(_GROUP.fullmatch(g) for g in (*groups, *parts[1:])):
        return ("letters for each operand separated by commas, at most one '...' in each, "
                "then optionally '->' and the output's letters, with no spaces ('bij,bjk->bik')")
    if len(parts) == 2 and len(set(parts[1].replace("...", ""))) != \
            len(parts[1].replace("...", "")):
        return "output letters that appear once each"
    return None


def _parse(subscripts: str) -> tuple[list[str], str]:
    """(input groups, output group) with the implicit output spelt out."""
    inputs, _, output = subscripts.partition("->")
    groups = inputs.split(",")
    if "->" not in subscripts:
        letters = inputs.replace("...", "").replace(",", "")
        output = "..." + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return groups, output


def _split(group: str, shape, kind: str, port: int) -> tuple[dict, tuple]:
    """(letter -> dim, the dims `...` stands for) of one operand."""
    head, dots, tail = group.partition("...")
    rank = len(head) + len(tail)
    if (not dots and rank != len(shape)) or rank > len(shape):
        raise ShapeError(f"{kind}: operand {port} has rank {len(shape)}, but its subscripts "
                         f"{group!r} name {rank} axes. Received: {fmt(shape)}", port=port)
    dims = {**dict(zip(head, shape[:len(head)], strict=True)),
            **dict(zip(tail, shape[len(shape) - len(tail):], strict=True))}
    return dims, tuple(shape[len(head):len(shape) - len(tail)])


def einsum_shape(params, inputs):
    kind, (groups, output) = params["__kind__"], _parse(params["subscripts"])
    if len(groups) != len(inputs):
        raise ShapeError(f"{kind}: the subscripts {params['subscripts']!r} name "
                         f"{len(groups)} operand(s). Received: {len(inputs)} input(s)",
                         port=min(len(groups), len(inputs) - 1))
    sizes: dict[str, tuple] = {}
    rest: tuple = ()
    for port, (group, shape) in enumerate(zip(groups, inputs, strict=True)):
        dims, dotted = _split(group, tuple(shape), kind, port)
        try:
            rest = broadcast(rest, dotted, f"{kind} (the dims of '...')")
            for letter, dim in dims.items():
                sizes[letter] = broadcast(sizes.get(letter, ()), (dim,),
                                          f"{kind} (the dims of {letter!r})")
        except ShapeError as exc:  # the operand at fault is this one
            raise ShapeError(str(exc), port=port) from None
    missing = sorted(set(output.replace("...", "")) - set(sizes))
    if missing:
        raise ShapeError(f"{kind}: output letter {missing[0]!r} is in no operand's "
                         f"subscripts. Received: {params['subscripts']!r}", port=0)
    head, dots, tail = output.partition("...")
    return (*(sizes[c][0] for c in head), *(rest if dots else ()),
            *(sizes[c][0] for c in tail))


def _einsum_call(values: dict, kwargs: dict, inputs: list) -> tuple[list, dict]:
    return [values["subscripts"], *inputs], {}


register_operations({"einsum": dict(
    params=(ParamSpec("subscripts", "str", initial="bij,bjk->bik", check=_subscripts_problem,
                      doc="Letters per operand, then -> and the output's ('bij,bjk->bik')"),),
    shape=einsum_shape, max_inputs=None, call=_einsum_call,
    doc="keras.ops.einsum: sums of products over the axes the subscripts name",
    samples=(Sample({"subscripts": "bij,bjk->bik"}, ((None, 4, 6), (None, 6, 3))),
             Sample({"subscripts": "bij->bji"}, ((None, 4, 6),)),
             Sample({"subscripts": "...ij,...jk"}, ((None, 2, 4, 6), (1, 6, 3))),
             Sample({"subscripts": "bi,bj->bij"}, ((None, 4), (None, 3))),
             Sample({"subscripts": "bij,bij->b"}, ((None, 4, 6), (None, 4, 6)))),
)})
