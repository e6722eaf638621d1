"""GroupQueryAttention: query heads share a smaller set of key/value heads.

Ports as MultiHeadAttention's (`attention.py`): query, value and an optional key, each
(batch, length, dim); the output has the query's shape. Weights: query and output
projections of num_query_heads x head_dim, key and value projections of
num_key_value_heads x head_dim (and, with use_gate, a gate from the query), each with a
bias of its output size when use_bias.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt, require_known, require_rank
from ..spec import LayerSpec, Sample, register
from .attention import (
    CAUSAL,
    PORTS,
    SCORES,
    causal_mask,
    scores_outputs,
    scores_param,
    split_inputs,
)
from .attention_mask import MASK, MASK_PORTS, check_mask, mask_param, own_inputs
from .common import rate, seed_param, use_bias, weight_params


def _gqa_shape(params, inputs):
    query, value, key = split_inputs(own_inputs("GroupQueryAttention", params, inputs))
    for port, shape in enumerate((query, value, key)):
        require_rank(shape, 3, f"GroupQueryAttention ({PORTS[port]})", port=port)
        require_known(shape[-1], f"The last dim of the {PORTS[port]} input", shape, port=port)
    if query[-1] != value[-1]:
        raise ShapeError(
            "GroupQueryAttention expects query and value with equal last dims. Received: "
            f"query_shape={fmt(query)}, value_shape={fmt(value)}", port=1)
    if value[1] is not None and key[1] is not None and value[1] != key[1]:
        raise ShapeError(
            "GroupQueryAttention expects value and key of equal length. Received: "
            f"value_shape={fmt(value)}, key_shape={fmt(key)}", port=2)
    scores = (query[0], params["num_query_heads"], query[1], key[1])
    check_mask("GroupQueryAttention", params, inputs, scores, 1)
    return [query, scores] if params.get(SCORES) else query


def _gqa_count(params, inputs):
    query, value, key = split_inputs(inputs)
    q_width = params["num_query_heads"] * params["head_dim"]
    kv_width = params["num_key_value_heads"] * params["head_dim"]
    projections = [(query[-1], q_width), (key[-1], kv_width), (value[-1], kv_width),
                   (q_width, query[-1])]
    if params["use_gate"]:
        projections.append((query[-1], q_width))
    bias = params["use_bias"]
    return (sum(n_in * n_out + (n_out if bias else 0) for n_in, n_out in projections), 0)


def _gqa_check(params) -> str | None:
    if params["num_query_heads"] % params["num_key_value_heads"]:
        return ("num_query_heads must be a multiple of num_key_value_heads. Received: "
                f"num_query_heads={params['num_query_heads']}, "
                f"num_key_value_heads={params['num_key_value_heads']}")
    return None


register(LayerSpec(
    kind="GroupQueryAttention",
    category="Attention",
    doc="Grouped-query attention: query heads share a smaller set of key/value heads",
    params=(
        ParamSpec("head_dim", "int", initial=16, min=1, doc="Size of each attention head"),
        ParamSpec("num_query_heads", "int", initial=8, min=1, doc="Number of query heads"),
        ParamSpec("num_key_value_heads", "int", initial=2, min=1,
                  doc="Number of key/value heads (divides num_query_heads)"),
        use_bias(),
        ParamSpec("use_gate", "bool", default=False,
                  doc="Gate the attention output with a sigmoid projection of the query"),
        ParamSpec("sliding_window", "int", default=None, allow_none=True, min=1,
                  doc="Each position attends only to positions closer than this, or empty"),
        rate("dropout", 0.0, "Fraction of the attention weights to drop"),
        *weight_params("kernel"),
        seed_param(),
        causal_mask(),
        mask_param(),
        scores_param("(batch, num_query_heads, T, S)"),
    ),
    call_params=(CAUSAL, SCORES),
    outputs=scores_outputs,
    keyword_ports=MASK_PORTS,
    shape=_gqa_shape,
    count=_gqa_count,
    check=_gqa_check,
    min_inputs=2,
    max_inputs=3,
    input_names=PORTS,
    samples=(
        Sample({"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2},
               ((None, 5, 8), (None, 7, 8))),
        Sample({"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2,
                "use_gate": True, "use_bias": False}, ((None, 5, 8), (None, 7, 8), (None, 7, 3))),
        Sample({"head_dim": 2, "num_query_heads": 3, "num_key_value_heads": 3,
                "sliding_window": 2}, ((2, None, 6), (2, None, 6))),
        Sample({"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2},
               ((None, 5, 8), (None, 7, 6))),
        Sample({"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2, CAUSAL: True},
               ((None, 6, 8), (None, 6, 8))),
        Sample({"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2, SCORES: True},
               ((None, 5, 8), (None, 7, 8))),
        Sample({"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2, MASK: True,
                CAUSAL: True}, ((None, 5, 8), (None, 7, 8), (None, 7, 3), (None, 5, 7))),
        Sample({"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2, MASK: True},
               ((2, 5, 8), (2, 7, 8), (2, 7, 8), (2, 5, 6))),
    ),
))
