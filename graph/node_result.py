"""What inference finds for one node (`Issue`, `NodeResult`) and the spec it reads. Pure.

`graph.inference` re-exports these names, where most callers import them from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import userblocks
from .document import Document, Node
from .issue_data import EMPTY, IssueData
from .layers import custom, shared
from .params import ParamSpec
from .spec import KIND_ALIASES, LAYER_SPECS, LayerSpec, Shape

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    """One problem, pinned to a node (and an input port) where that applies.

    Attributes:
        node: the node id, or None for a problem of the whole document.
        port: the input port of `node` at fault, or None.
        severity: "error" (the model cannot be built) or "warning".
        message: what was expected and what was received, naming nodes and ports.
        code: a stable identifier of the kind of problem, e.g. "unconnected_input".
        fixes: codes of automatic fixes that apply, e.g. ("insert_flatten",).
        data: values the fixes read (`IssueData`, JSON scalars), never parsed out of
            `message`: e.g. {"units": 10} for "set_units_to_labels", {"field":
            "training.loss.y", "suggestion": "mse"} for "use_suggested_name". A
            mapping given here becomes an `IssueData`.
    """

    node: str | None
    port: int | None
    severity: str
    message: str
    code: str
    fixes: tuple[str, ...] = ()
    data: IssueData = EMPTY

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", IssueData.of(self.data))


@dataclass(frozen=True)
class NodeResult:
    """What inference found for one node.

    Attributes:
        input_shapes: the shape arriving at each connected input port, in port order.
        output_shapes: one shape per output port, or None when the node has an error
            or sits downstream of one.
        params: the resolved params (every name, normal form), or None if refused.
        count: (trainable, non_trainable) weights; (0, 0) when the node has an error,
            None when its shapes are known but its weights are not (a custom layer
            whose code cannot run, and whose imported file did not give them).
    """

    input_shapes: list[Shape]
    output_shapes: list[Shape] | None
    params: dict[str, Any] | None
    count: tuple[int, int] = (0, 0)

    @property
    def ok(self) -> bool:
        """Whether the node's output shapes are known."""
        return self.output_shapes is not None


def spec_of(node: Node) -> LayerSpec | None:
    """The node's LayerSpec (aliases allowed), or None for an unknown kind."""
    return LAYER_SPECS.get(KIND_ALIASES.get(node.kind, node.kind))


def param_of(node: Node | None, name) -> ParamSpec | None:
    """The ParamSpec `name` of the node's kind, or None (no node, kind or such param)."""
    spec = spec_of(node) if node is not None else None
    try:
        return spec.param(name) if spec is not None else None
    except KeyError:
        return None


def shape_spec(doc: Document, node: Node) -> LayerSpec | None:
    """The spec whose shape rule applies to `node`: a user block's bound to its
    definition, a shared call's bound to its owner's."""
    spec = spec_of(node)
    if spec is not None and spec.kind == userblocks.KIND:  # its rules live in doc.blocks
        return userblocks.bound_spec(doc.blocks, node.params.get("block"))
    if spec is not None and spec.kind == shared.KIND:  # its rules are its owner's
        return custom.bound_call_site(doc, node, userblocks.bind(doc, node))
    if spec is not None and spec.kind == custom.KIND:  # Keras' answers, from the runtime
        return custom.bound_spec(doc, spec)
    return spec


def node_issue(node: Node, message: str, code: str, port: int | None = None,
               severity: str = ERROR, fixes: tuple[str, ...] = ()) -> Issue:
    """An issue pinned to `node` (and `port`)."""
    return Issue(node.id, port, severity, message, code, fixes)
