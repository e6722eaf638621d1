"""The attention_mask port of MultiHeadAttention and GroupQueryAttention without Keras:
its number and label, the keyword the call gets, a node without key, and the shapes
refused (Keras' own verdict on the samples is in test_specs_keras)."""

from __future__ import annotations

import doctest

import pytest

from kerascanvas.graph.errors import ShapeError
from kerascanvas.graph.layers import attention_mask
from kerascanvas.graph.spec import get_spec

Q, V = (None, 5, 8), (None, 7, 8)


def test_doctests():
    result = doctest.testmod(attention_mask)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("kind", ["MultiHeadAttention", "GroupQueryAttention"])
def test_the_switch_adds_port_3_after_key(kind):
    spec = get_spec(kind)
    params = {"num_heads": 2, "key_dim": 4, "head_dim": 4, "num_query_heads": 4,
              "num_key_value_heads": 2}
    params = {k: v for k, v in params.items() if k in {p.name for p in spec.params}}
    assert spec.max_ports(params) == 3 and spec.min_ports(params) == 2
    on = spec.resolve({**params, "attention_mask": True})
    assert spec.max_ports(on) == 4 and spec.port_name(3, on) == "attention mask"
    assert "attention_mask" not in spec.constructor_kwargs(spec.non_default(on))
    assert spec.split_inputs(["q", "v", "k", "m"], on) == (["q", "v", "k"], {"attention_mask": "m"})
    assert spec.output_shapes(on, [Q, V, V, (None, 5, 7)]) == [Q]
    with pytest.raises(ShapeError, match="connect key too") as raised:
        spec.output_shapes(on, [Q, V, (None, 5, 7)])
    assert raised.value.port == 2
    refused = r"attention mask must broadcast.*Received: \(None, 7, 5\)"
    with pytest.raises(ShapeError, match=refused) as raised:
        spec.output_shapes(on, [Q, V, V, (None, 7, 5)])
    assert raised.value.port == 3


@pytest.mark.parametrize(("mask", "fits"), [
    ((None, 5, 7), True), ((None, 1, 7), True), ((5, 7), True), ((1, 7), True),
    ((None, 2, 5, 7), True), ((None, 1, 5, 7), True), ((7,), False), ((2, 7), False),
    ((3, 5, 7), True), ((None, 5, 6), False), ((None, 3, 5, 7), False),
    ((1, None, 2, 5, 7), False)])
def test_masks_broadcast_as_keras_expands_them(mask, fits):
    # Keras inserts axes before the mask's last two dims up to the scores' rank (4 here)
    scores = (None, 2, 5, 7)
    expanded = attention_mask.broadcast(mask, 4, 1)
    assert (expanded is not None and attention_mask._fits(expanded, scores)) is fits
