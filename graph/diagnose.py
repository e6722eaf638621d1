"""Explain a shape rule's refusal: a code, the port at fault, and the fixes that would work.

Fixes are offered only when they are known to help: for a rank problem the shape
rule is run again on the inputs as they would be after the fix (see
`graph.fixplan`), and the fix is offered if the rule then accepts them.
`graph.fixes` applies them:

    insert_flatten, insert_gap1d/2d, insert_reshape   a rank that does not fit (on the
                                      port at fault, or on a merge's offending inputs)
    insert_projection                 merge inputs whose channels differ
    insert_cropping, insert_padding   merge inputs whose spatial sizes differ (images;
    insert_cropping1d, ..._padding1d  sequences of different lengths)
    set_use_projection                a block whose shortcut needs a projection
    set_padding_same                  a kernel or pool window larger than its input
    set_channels_last/_first          a layer reading its input in the other layout
    drop_batch_axis                   an Input whose shape includes the batch axis
    add_channel_axis                  an Input whose shape lacks a last axis of 1
    set_state_size                    a recurrent layer's initial state of another size
                                      (units or filters set to the state's)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ShapeError
from .fixplan import accepts, can_project, plan_fix, rank_fixes, widest
from .spec import LayerSpec, Shape

if TYPE_CHECKING:
    from .document import Document

SPATIAL_FIXES = {4: ("insert_cropping", "insert_padding"),  # images: height and width
                 3: ("insert_cropping1d", "insert_padding1d")}  # sequences: steps


@dataclass(frozen=True)
class Diagnosis:
    """What a shape refusal means: the full message, a code, the port and fixes."""

    message: str
    code: str
    port: int | None
    fixes: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)  # the data


def diagnose_shape_error(name: str, spec: LayerSpec, params: dict, inputs: list[Shape],
                         exc: ShapeError) -> Diagnosis:
    """Explain `exc`, raised by `spec`'s shape rule on `inputs` for the node `name`."""
    port = exc.port if isinstance(exc.port, int) and 0 <= exc.port < max(len(inputs), 1) \
        else None
    where = f"{name!r} ({spec.kind})"
    if port is not None and (len(inputs) > 1 or spec.input_names):
        where += f", input port {spec.port_name(port, params)}"
    message = f"{where}: {exc}"
    if spec.is_merge and len(inputs) > 1:
        code, extra, fixes = _merge_problem(spec, params, inputs)
        if port is None and fixes:
            port = _first_changed_port(spec, params, inputs, fixes[0])
        data = {"projection": projection_name(inputs)} if "insert_projection" in fixes else {}
        return Diagnosis(message + extra, code, port, fixes, data)
    probe_port = port if port is not None else 0
    fixes = rank_fixes(spec, params, inputs, probe_port)
    code = "rank_mismatch" if fixes or "rank" in str(exc) else "shape_mismatch"
    fixes += _param_fixes(spec, params, inputs) + _resize_fixes(spec, params, inputs, port)
    if fixes and port is None:
        port = probe_port
    return Diagnosis(message, code, port, fixes)


def _param_fixes(spec: LayerSpec, params: dict, inputs: list[Shape]) -> tuple:
    """One param changed makes the rule accept the inputs:

    * a block whose shortcut needs a projection: use_projection on;
    * a layer reading an image (or a volume) in the other layout (channels_first on an
      image whose channels come last, or the reverse): the layout the input has. (A
      sequence of 3 steps of 16 is as likely 16 steps of 3.) When that works,
      the window that looked larger than the input was the layout's doing, and padding
      is not offered;
    * a window (a kernel, a pool) larger than its input with padding='valid': 'same'.
    """
    fixes = ()
    if params.get("use_projection") is False and accepts(
            spec, {**params, "use_projection": True}, inputs):
        fixes += ("set_use_projection",)
    layout = params.get("data_format") if inputs and len(inputs[0]) >= 4 else None
    other = {"channels_first": "channels_last", "channels_last": "channels_first"}.get(layout)
    if other and _has_choice(spec, "data_format", other) and accepts(
            spec, {**params, "data_format": other}, inputs):
        return fixes + (f"set_{other}",)
    if _has_choice(spec, "padding", "same") and params.get("padding", "valid") != "same" \
            and accepts(spec, {**params, "padding": "same"}, inputs):
        fixes += ("set_padding_same",)
    return fixes


def _has_choice(spec: LayerSpec, name: str, value: str) -> bool:
    return any(p.name == name and p.choices and value in p.choices for p in spec.params)


def batch_axis_port(spec: LayerSpec, params: dict, inputs: list[Shape],
                    from_input: list[bool]) -> int | None:
    """The port fed straight by an Input whose shape includes the batch axis, shown by the
    rule accepting that input without its first axis (Input(shape=(32, 28, 28, 1)) into
    a Conv2D); None when there is no such port. Only an Input of four axes or more, or
    of three whose first is None, is read so: Input(shape=(8, 8, 3)) into an LSTM is an
    image, not a batch of 8 sequences."""
    for port, (shape, direct) in enumerate(zip(inputs, from_input, strict=False)):
        if direct and (len(shape) >= 5 or (len(shape) == 4 and shape[1] is None)):
            trial = list(inputs)
            trial[port] = (shape[0], *shape[2:])
            if accepts(spec, params, trial):
                return port
    return None


# Layers that act on each value alone: an Input's missing axis shows past them unchanged.
ELEMENTWISE = frozenset({"Rescaling", "Dropout", "GaussianNoise", "GaussianDropout",
                         "AlphaDropout", "Activation", "ActivityRegularization", "Identity",
                         "ReLU", "LeakyReLU", "ELU", "PReLU"})


def feeding_input(doc: Document, node_id: str, port: int):
    """The Input node whose tensor reaches `port` of `node_id` straight or through
    elementwise layers (`ELEMENTWISE`: Input -> Rescaling -> Conv2D), or None."""
    edges = [e for e in doc.in_edges(node_id) if e.dst_port == port]
    for _ in range(64):
        if len(edges) != 1 or edges[0].src not in doc.nodes:
            return None
        node = doc.nodes[edges[0].src]
        if node.kind == "Input":
            return node
        if node.kind not in ELEMENTWISE:
            return None
        edges = [e for e in doc.in_edges(node.id) if e.dst_port == 0]
    return None


CHANNELS = (1, 3, 4)  # a last axis of these sizes reads as grey, RGB or RGBA channels


def channel_axis_port(spec: LayerSpec, params: dict, inputs: list[Shape],
                      from_input: list[bool]) -> int | None:
    """The port fed by an Input (`from_input`: straight or through elementwise layers,
    `feeding_input`) that lacks a last axis of 1, shown by the rule accepting that input
    with the axis (Input(shape=(28, 28)) of grey images into a
    Conv2D, Input(shape=(64,)) of a series into an LSTM); None when there is none. Not
    for a layer reading channels first (Keras adds that axis to the data last), nor for
    an Input whose last axis reads as channels already (1, 3 or 4: RGB images into a
    Conv3D are a Conv2D's, not a volume's)."""
    if params.get("data_format") == "channels_first":
        return None
    for port, (shape, direct) in enumerate(zip(inputs, from_input, strict=False)):
        if direct and len(shape) >= 2 and shape[-1] not in CHANNELS:
            trial = list(inputs)
            trial[port] = (*shape, 1)
            if accepts(spec, params, trial):
                return port
    return None


def _resize_fixes(spec: LayerSpec, params: dict, inputs: list[Shape], port: int | None):
    """A keyword port's tensor of another size (an initial state): sizing the layer like
    it is the fix, when the rule then accepts every input."""
    resize = spec.keyword_ports.resize if spec.keyword_ports else None
    change = resize(params, inputs, port) if resize and port is not None else None
    if change is None or params.get(change[0]) == change[1]:
        return ()
    return ("set_state_size",) if accepts(spec, {**params, change[0]: change[1]}, inputs) else ()


# ---- merges ---------------------------------------------------------------
def _merge_problem(spec: LayerSpec, params: dict, inputs: list[Shape]):
    """(code, text added to the message, fixes) for a merge whose inputs do not fit."""
    ranks = {len(s) for s in inputs}
    if len(ranks) > 1:
        listed = ", ".join(f"{spec.port_name(i)} has rank {len(s)}" for i, s in enumerate(inputs))
        return ("rank_mismatch", f". Expected inputs of one rank; {listed}",
                rank_fixes(spec, params, inputs, None))
    rank = ranks.pop()
    concat = spec.kind == "Concatenate"
    skip = _axis(params.get("axis", -1), rank) if concat else None
    axes = [a for a in range(1, rank) if a != skip and _differs(inputs, a, concat)]
    if not axes:
        return "shape_mismatch", "", ()
    text = "; ".join(_describe_axis(spec, inputs, a) for a in axes)
    spatial = SPATIAL_FIXES.get(rank, ()) if all(0 < a < rank - 1 for a in axes) else ()
    if concat:
        joined = f"Concatenate joins on axis {skip}; every other axis must match"
        fixes = spatial + rank_fixes(spec, params, inputs, None)
        return "concat_mismatch", f". {joined}, but {text}", fixes
    if rank - 1 in axes:  # a strided 1x1 projection also fixes the spatial size
        fixes = ("insert_projection",) if can_project(inputs) else ()
        return "channel_mismatch", f". Expected equal shapes, but {text}", fixes
    return "shape_mismatch", f". Expected equal shapes, but {text}", spatial


def projection_name(inputs: list[Shape]) -> str:
    """The layer a projection onto the widest input inserts, as its button names it.

    >>> projection_name([(None, 8), (None, 4)]), projection_name([(None, 6, 6, 3), (None, 6, 6, 8)])
    ('Dense(8)', '1x1 Conv2D(8)')
    """
    goal = widest(inputs)
    kind = {2: "Dense"}.get(len(goal), f"1x1 Conv{len(goal) - 2}D")
    return f"{kind}({goal[-1]})"


def _first_changed_port(spec: LayerSpec, params: dict, inputs: list[Shape], code: str):
    plan = plan_fix(spec, params, inputs, None, code)
    return min(plan) if plan else None


def _axis(axis, rank: int) -> int | None:
    if isinstance(axis, int) and -rank <= axis < rank:
        return axis % rank
    return None


def _differs(inputs: list[Shape], axis: int, concat: bool) -> bool:
    """Whether known sizes along `axis` disagree (1 broadcasts in elementwise merges)."""
    sizes = {s[axis] for s in inputs if s[axis] is not None and (concat or s[axis] != 1)}
    return len(sizes) > 1


def _describe_axis(spec: LayerSpec, inputs: list[Shape], axis: int) -> str:
    sizes = ", ".join(f"{spec.port_name(i)} has {s[axis]}" for i, s in enumerate(inputs))
    return f"axis {axis} differs ({sizes})"
