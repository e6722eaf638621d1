"""A block definition's references are checked against the inner layers' own ports and
parameters: an exposed param naming no parameter of its layer was refused with the bare
text "'zz'", and an inner edge into a port the layer lacks was taken without a word."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from kerascanvas.graph.blockcheck import BlockDefinitionError, check_definition

SEED = json.loads((Path(__file__).parents[1] / "fuzz" / "seed_blocks.json").read_text())
BLOCKS = SEED["blocks"]


def changed(change) -> dict:
    blocks = copy.deepcopy(BLOCKS)
    change(blocks["conv_bn"])
    return blocks


def test_the_seed_definition_is_sound():
    check_definition("conv_bn", BLOCKS["conv_bn"], BLOCKS)


@pytest.mark.parametrize("change, field, message", [
    (lambda d: d["params"]["filters"].update(param="zz"), "blocks.conv_bn.params.filters.param",
     "inner node 'n2' (Conv2D) has no parameter 'zz'. Expected one of: filters, "),
    (lambda d: d["edges"][0].update(dst_port=5), "blocks.conv_bn.edges[0]",
     "inner node 'n3' (BatchNormalization) has no input port 5 (it has 1: 0 to 0)"),
    (lambda d: d["inputs"][0][0].update(port=1), "blocks.conv_bn.inputs[0][0]",
     "inner node 'n2' (Conv2D) has no input port 1 (it has 1: 0 to 0)"),
])
def test_a_reference_past_the_inner_layer_is_refused_naming_field_and_value(change, field,
                                                                              message):
    blocks = changed(change)
    with pytest.raises(BlockDefinitionError) as info:
        check_definition("conv_bn", blocks["conv_bn"], blocks)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: {message}")
