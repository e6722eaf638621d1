"""Attention kinds: MultiHeadAttention, Attention, AdditiveAttention (GroupQueryAttention is
in `attention_grouped.py`).

Ports: 0 = query (batch, target..., query_dim), 1 = value (batch, source...,
value_dim), optional 2 = key (defaults to value); Keras calls it as
`layer(query, value[, key])`. The output has the query's shape, with the last
dim replaced by `output_shape` when that is set.

With return_attention_scores (a keyword of the call, not of the constructor) port 1
carries the attention scores, (batch, heads, T, S) for sequences. use_causal_mask, also
a keyword of the call (of every attention kind), lets query step i attend to key steps
0..i only; it changes no shape and no weight.

Weights: query and key projections to num_heads x key_dim, value (and, with
use_gate, a gate from the query) to num_heads x value_dim, and an output
projection from num_heads x value_dim to the output dims; each has a bias of its
output size when use_bias.
"""

from __future__ import annotations

from math import prod

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt, require_known, require_min_rank, require_rank
from ..spec import LayerSpec, Sample, register
from .attention_mask import MASK, MASK_PORTS, check_mask, mask_param, own_inputs
from .common import rate, seed_param, use_bias, weight_params

PORTS = ("query", "value", "key")
CAUSAL = "use_causal_mask"
SCORES = "return_attention_scores"


def scores_param(shape: str) -> ParamSpec:
    """The call keyword of every attention kind that adds the scores as port 1."""
    return ParamSpec(SCORES, "bool", default=False,
                     doc=f"Also output the attention scores {shape} on port 1 (a keyword "
                         "of the call)")


def scores_outputs(params) -> int:
    return 2 if params.get(SCORES) else 1


def causal_mask() -> ParamSpec:
    """The call keyword of every attention kind that masks later key steps."""
    return ParamSpec(CAUSAL, "bool", default=False,
                     doc="Query step i attends only to key steps 0..i, as a decoder does "
                         "(a keyword of the call)")


def _attention_axes(params, rank: int) -> tuple[int, ...]:
    """Attention axes of the query, non-negative, as Keras resolves them."""
    axes = params["attention_axes"]
    if axes is None:
        return tuple(range(1, rank - 1))
    axes = (axes,) if isinstance(axes, int) else axes
    # Keras counts negative axes on the projected query (one rank more, heads added).
    out = tuple(a if a >= 0 else rank + a for a in axes)
    for a in out:
        if not 0 <= a < rank - 1:
            raise ShapeError(
                f"MultiHeadAttention: attention axis out of range for a query of rank {rank} "
                f"(the last axis holds the features). Received: attention_axes="
                f"{params['attention_axes']}",
                port=0,
            )
    return out


def _check_inputs(params, query, value, key) -> None:
    require_min_rank(query, 3, "MultiHeadAttention (query)", port=0)
    if len(value) != len(query):
        raise ShapeError(
            f"MultiHeadAttention expects query and value of equal rank. Received: "
            f"query_shape={fmt(query)}, value_shape={fmt(value)}", port=1)
    if value[1:-1] != key[1:-1]:
        raise ShapeError(
            "All dimensions of value and key, except the last one, must be equal. "
            f"Received: value_shape={fmt(value)} and key_shape={fmt(key)}", port=2)
    for port, shape in enumerate((query, value, key)):
        require_known(shape[-1], f"The last dim of the {PORTS[port]} input", shape, port=port)
    attention = _attention_axes(params, len(query))
    for axis in range(len(query) - 1):
        q, v = query[axis], value[axis]
        if axis not in attention and None not in (q, v) and q != v:
            raise ShapeError(
                f"MultiHeadAttention expects query and value to agree on axis {axis}, "
                f"which is not an attention axis. Received: query_shape={fmt(query)}, "
                f"value_shape={fmt(value)}", port=1)


def split_inputs(inputs) -> tuple[tuple, tuple, tuple]:
    """(query, value, key) shapes; the key is the value when no key is wired."""
    query, value = tuple(inputs[0]), tuple(inputs[1])
    key = tuple(inputs[2]) if len(inputs) > 2 else value
    return query, value, key


def _mha_shape(params, inputs):
    query, value, key = split_inputs(own_inputs("MultiHeadAttention", params, inputs))
    _check_inputs(params, query, value, key)
    scores = _scores_shape(params, query, key)
    axes = len(_attention_axes(params, len(query)))
    check_mask("MultiHeadAttention", params, inputs, scores, axes)
    out = (*query[:-1], *_dims(params["output_shape"])) if params["output_shape"] else query
    if not params["return_attention_scores"]:
        return out
    return [out, scores]


def _scores_shape(params, query, key) -> tuple:
    """(batch, *other query axes, heads, *query attention axes, *key attention axes): the
    scores Keras computes. (Keras 3.15's symbolic spec says (batch, heads, T, T) whatever
    the inputs, which is right only for rank-3 inputs of equal length.)"""
    axes = _attention_axes(params, len(query))
    others = [query[i] for i in range(1, len(query) - 1) if i not in axes]
    return (query[0], *others, params["num_heads"], *(query[a] for a in axes),
            *(key[a] for a in axes))


def _dims(output_shape) -> tuple:
    # Keras takes an int (one output dim) or a tuple of dims.
    return (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)


def _mha_count(params, inputs):
    query, value, key = split_inputs(inputs)
    heads, key_dim = params["num_heads"], params["key_dim"]
    value_dim = params["value_dim"] or key_dim
    out = prod(_dims(params["output_shape"])) if params["output_shape"] else query[-1]
    projections = [(query[-1], heads * key_dim), (key[-1], heads * key_dim),
                   (value[-1], heads * value_dim), (heads * value_dim, out)]
    if params["use_gate"]:
        projections.append((query[-1], heads * value_dim))
    bias = params["use_bias"]
    return (sum(n_in * n_out + (n_out if bias else 0) for n_in, n_out in projections), 0)


register(LayerSpec(
    kind="MultiHeadAttention",
    category="Attention",
    doc="Multi-head scaled dot-product attention of a query over value (and key)",
    params=(
        ParamSpec("num_heads", "int", initial=4, min=1, doc="Number of attention heads"),
        ParamSpec("key_dim", "int", initial=32, min=1, doc="Size of each head for query and key"),
        ParamSpec("value_dim", "int", default=None, allow_none=True, min=1,
                  doc="Size of each head for value, or empty for key_dim"),
        rate("dropout", 0.0, "Fraction of the attention weights to drop"),
        use_bias(),
        ParamSpec("output_shape", "int_or_list", default=None, allow_none=True, min=1,
                  doc="Dims of the output besides batch and query axes, or empty for "
                      "the query's last dim"),
        ParamSpec("attention_axes", "axis", default=None, allow_none=True,
                  doc="Query axes attention runs over, or empty for all but batch and "
                      "features"),
        ParamSpec("sliding_window", "int", default=None, allow_none=True, min=1,
                  doc="Each position attends only to positions closer than this, or empty"),
        ParamSpec("use_gate", "bool", default=False,
                  doc="Gate the attention output with a sigmoid projection of the query"),
        *weight_params("kernel"),
        seed_param(),
        scores_param("(batch, heads, T, S)"),
        causal_mask(),
        mask_param(),
    ),
    shape=_mha_shape,
    count=_mha_count,
    call_params=(SCORES, CAUSAL),
    outputs=scores_outputs,
    min_inputs=2,
    max_inputs=3,
    input_names=PORTS,
    keyword_ports=MASK_PORTS,
    samples=(
        Sample({"num_heads": 2, "key_dim": 4}, ((None, 5, 8), (None, 7, 6))),
        Sample({"num_heads": 2, "key_dim": 4, MASK: True},
               ((None, 5, 8), (None, 7, 6), (None, 7, 6), (None, 5, 7))),
        Sample({"num_heads": 2, "key_dim": 4, MASK: True, CAUSAL: True},
               ((None, 6, 8), (None, 6, 8), (None, 6, 8), (None, 1, 6))),
        Sample({"num_heads": 2, "key_dim": 4, MASK: True, "return_attention_scores": True},
               ((2, 5, 8), (2, 7, 6), (2, 7, 6), (2, 2, 5, 7))),
        Sample({"num_heads": 2, "key_dim": 4, "attention_axes": 2, MASK: True},
               ((None, 5, 4, 8), (None, 5, 3, 6), (None, 5, 3, 6), (None, 5, 4, 3))),
        Sample({"num_heads": 2, "key_dim": 4, MASK: True},
               ((2, 5, 8), (2, 7, 6), (2, 7, 6), (2, 5, 6))),
        Sample({"num_heads": 2, "key_dim": 4, MASK: True},
               ((2, 5, 8), (2, 7, 6), (2, 7, 6), (5, 7))),
        Sample({"num_heads": 2, "key_dim": 4, MASK: True},
               ((2, 5, 8), (2, 7, 6), (2, 7, 6), (7,))),
        Sample({"num_heads": 2, "key_dim": 4, MASK: True},
               ((2, 5, 8), (2, 7, 6), (2, 7, 6), (3, 5, 7))),
        Sample({"num_heads": 2, "key_dim": 4, CAUSAL: True}, ((None, 6, 8), (None, 6, 8))),
        Sample({"num_heads": 4, "key_dim": 8}, ((None, None, 16), (None, None, 16))),
        Sample({"num_heads": 2, "key_dim": 4, "value_dim": 3, "output_shape": (2, 3),
                "use_gate": True}, ((None, 5, 8), (None, 7, 6), (None, 7, 9))),
        Sample({"num_heads": 3, "key_dim": 5, "output_shape": (10,), "use_bias": False},
               ((2, 6, 12), (2, 4, 7))),
        Sample({"num_heads": 2, "key_dim": 3, "output_shape": 6}, ((None, 5, 8), (None, 7, 6))),
        Sample({"num_heads": 2, "key_dim": 4, "attention_axes": (1, 2)},
               ((None, 5, 4, 8), (None, 7, 3, 6))),
        Sample({"num_heads": 2, "key_dim": 4, "attention_axes": 2},
               ((None, 5, 4, 8), (None, 5, 3, 6))),
        Sample({"num_heads": 2, "key_dim": 4, "dropout": 0.1, "sliding_window": 3, "seed": 7},
               ((None, 9, 8), (None, 9, 8))),
        Sample({"num_heads": 2, "key_dim": 4}, ((None, 5, 8), (None, 7, 6), (None, 6, 6))),
        Sample({"num_heads": 2, "key_dim": 4}, ((None, 5, None), (None, 7, 6))),
        Sample({"num_heads": 3, "key_dim": 2, "return_attention_scores": True},
               ((None, None, 8), (None, 7, 6), (None, 7, 5))),
        Sample({"num_heads": 2, "key_dim": 4, "attention_axes": 2,
                "return_attention_scores": True}, ((2, 5, 4, 8), (2, 5, 3, 6))),
        Sample({"num_heads": 2, "key_dim": 4, "attention_axes": 5},
               ((None, 5, 8), (None, 7, 6))),
    ),
))


# -- Attention and AdditiveAttention: called on the list [query, value(, key)] -------------

def _dot_attention_shape(kind: str):
    def rule(params, inputs):
        if not 2 <= len(inputs) <= 3:
            raise ShapeError(f"{kind} takes [query, value] or [query, value, key]. "
                             f"Received: {len(inputs)} inputs", port=len(inputs) - 1)
        query, value, key = split_inputs(inputs)
        for port, shape in enumerate((query, value, key)):
            require_rank(shape, 3, f"{kind} ({PORTS[port]})", port=port)
        if query[-1] is not None and key[-1] is not None and query[-1] != key[-1]:
            raise ShapeError(
                f"{kind} scores the query against the key: their last dims must be equal. "
                f"Received: query_shape={fmt(query)}, key_shape={fmt(key)}", port=len(inputs) - 1)
        if value[1] is not None and key[1] is not None and value[1] != key[1]:
            raise ShapeError(f"{kind} expects value and key of equal length. Received: "
                             f"value_shape={fmt(value)}, key_shape={fmt(key)}", port=2)
        out = (*query[:-1], value[-1])
        return [out, (query[0], query[1], key[1])] if params.get(SCORES) else out

    return rule


def _attention_count(params, inputs):
    return (int(params["use_scale"]) + int(params["score_mode"] == "concat"), 0)


def _additive_count(params, inputs):
    if not params["use_scale"]:
        return (0, 0)
    return (require_known(inputs[0][-1], "The last dim of the query", inputs[0]), 0)


_ATTENTION_SAMPLES = (
    Sample({}, ((None, 5, 8), (None, 7, 8))),
    Sample({CAUSAL: True}, ((None, 6, 4), (None, 6, 4))),
    Sample({SCORES: True}, ((None, 5, 8), (None, 7, 6), (None, 7, 8))),
    Sample({"use_scale": True, "dropout": 0.1, "seed": 2},
           ((None, None, 4), (None, 6, 3), (None, 6, 4))),
)

register(LayerSpec(
    kind="Attention",
    category="Attention",
    doc="Dot-product (Luong) attention of a query over value (and key), on a list",
    params=(
        ParamSpec("use_scale", "bool", default=False, doc="Learn a scalar that scales the scores"),
        ParamSpec("score_mode", "choice", default="dot", choices=("dot", "concat"),
                  doc="dot: query-key dot product; concat: tanh of their sum"),
        rate("dropout", 0.0, "Fraction of the attention weights to drop"),
        seed_param(),
        causal_mask(),
        scores_param("(batch, Tq, Tv)"),
    ),
    shape=_dot_attention_shape("Attention"),
    count=_attention_count,
    call_params=(CAUSAL, SCORES),
    outputs=scores_outputs,
    min_inputs=2,
    max_inputs=None,  # called on a list, as merges are; the rule takes 2 or 3
    input_names=PORTS,
    samples=_ATTENTION_SAMPLES,
))

register(LayerSpec(
    kind="AdditiveAttention",
    category="Attention",
    doc="Additive (Bahdanau) attention of a query over value (and key), on a list",
    params=(
        ParamSpec("use_scale", "bool", default=True,
                  doc="Learn a scale per feature of the scores"),
        rate("dropout", 0.0, "Fraction of the attention weights to drop"),
        seed_param(),
        causal_mask(),
        scores_param("(batch, Tq, Tv)"),
    ),
    shape=_dot_attention_shape("AdditiveAttention"),
    count=_additive_count,
    call_params=(CAUSAL, SCORES),
    outputs=scores_outputs,
    min_inputs=2,
    max_inputs=None,
    input_names=PORTS,
    samples=_ATTENTION_SAMPLES,
))
