"""The pieces a `LayerSpec` is made of: the rule types, the kind names code refers
to, the palette categories, the default count and output rules, `Sample` (a case
the tests build in Keras) and `KeywordPorts` (ports a bool param switches on).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Shape = tuple[int | None, ...]
ShapeRule = Callable[[Mapping[str, Any], list[Shape]], "Shape | list[Shape]"]
CountRule = Callable[[Mapping[str, Any], list[Shape]], tuple[int, int]]

# Kinds that code refers to by name (their entries live in graph/layers, graph/userblocks).
INPUT = "Input"
APPLICATION = "Application"
GENERIC = "KerasLayer"
SHARED_CALL = "SharedCall"
USER_BLOCK = "UserBlock"
# A node's note of the params Keras held as a list where our normal form is a tuple
# (Dot's `axes=[1, 1]`): a list of their names. The build and the code writer pass
# those values as lists, so the rebuilt layer's get_config() is the original's; the
# importer writes it, since a project file (JSON) cannot tell a tuple from a list.
AS_LISTS = "__lists__"

CATEGORIES = (
    "Input", "Core", "Convolution", "Pooling", "Reshaping", "Normalization", "Merging",
    "Activation", "Recurrent", "Attention", "Preprocessing", "Augmentation", "Operations",
    "Blocks",
)


def no_weights(params: Mapping[str, Any], shapes: list[Shape]) -> tuple[int, int]:
    """Count rule of kinds without weights."""
    return (0, 0)


def one_output(params: Mapping[str, Any]) -> int:
    """The output port count of most kinds, whatever their params."""
    return 1


@dataclass(frozen=True)
class Sample:
    """A case the spec tests build in Keras: params (beyond defaults) and input shapes."""

    params: Mapping[str, Any]
    inputs: tuple[Shape, ...]


@dataclass(frozen=True)
class KeywordPorts:
    """Input ports after a kind's own ones that a bool param switches on, passed to the
    layer's call as one list keyword named like the param (a recurrent layer's
    `initial_state=[h, c]`), or, for a `single` port, as one bare tensor
    (MultiHeadAttention's `attention_mask=m`).

    Attributes:
        param: the bool param, named as the call keyword.
        names: the port labels for the params (raw or resolved) when the param is on.
        resize: (resolved params, input shapes, port) -> the (param, value) change that
            sizes the layer to the tensor on that port, or None; the one-click fix of
            a tensor that does not fit there.
        single: the param adds one port, whose tensor the keyword takes bare (no list).
        fill: (positional call args) -> those args completed up to the kind's last own
            port, for a call that leaves optional ones out (MultiHeadAttention's key is
            its value): the keyword ports come after all own ports, so an importer
            wires the defaults there. None: a call must give them all.
        group: (resolved params, the ports' items) -> the keyword's value where the layer
            reads it nested (a stack of cells takes one list of states per LSTMCell:
            `[[h0, c0], s1]`). None: the flat list.
    """

    param: str
    names: Callable[[Mapping[str, Any]], tuple[str, ...]]
    resize: Callable[[Mapping[str, Any], list, int], tuple[str, Any] | None] | None = None
    single: bool = False
    fill: Callable[[list], list] | None = None
    group: Callable[[Mapping[str, Any], list], list] | None = None

    def keyword(self, items: list, params: Mapping[str, Any] | None = None) -> Any:
        """The call keyword's value for the ports' items: the list (nested as `group`
        gives it for the resolved `params`), or the single item."""
        if self.single:
            return items[0]
        if self.group is not None and params is not None:
            return self.group(params, list(items))
        return list(items)
