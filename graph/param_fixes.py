"""One-click fixes that change one setting: a param of the node at fault (or of the Input
feeding it), or the training settings. Pure, undoable; `graph.fixes` applies them.

    set_use_projection                a residual block whose shortcut needs a projection
    set_padding_same                  a kernel or pool window larger than its input
    set_branch_padding_same           a merge's branch shrunk by its convolutions' valid
                                      padding (`graph.branch_padding`): 'same' on them
    set_channels_last/_first          a layer reading an image in the other layout
    drop_batch_axis                   an Input whose shape includes the batch axis
    set_state_size                    a recurrent layer given an initial state of another
                                      size: its units (filters) set to the state's
    set_softmax, set_sigmoid,         an output's final activation that does not suit its
    set_linear                        loss (a layer with an `activation` param; linear
                                      where the loss takes logits)
    drop_param                        a param the node's kind does not have (a hand-edited
                                      file's, or one a change of kind left): removed
    use_logits                        a linear output under a cross-entropy: the loss takes
                                      logits (from_logits=True), the output stays linear
    use_binary_loss                   a one-unit sigmoid output under a categorical loss
    hold_in_pipeline                  a layer a functional model cannot hold alone
                                      (Equalization): the node becomes a Pipeline of it
    use_suggested_name                a loss or metric name neither Keras nor the custom
                                      code knows: the closest known name; a callback's
                                      monitor that training never logs: the closest
                                      logged name
    make_nested_functional            a nested model whose class refuses its layers (a
                                      Sequential one holding a block): made Functional
    rename_torch_safe                 a layer name holding '.', which torch cannot build:
                                      renamed with '_' for '.', unique in the graph
    rename_inner_torch_safe           the same in a layer a block definition or a wrapper
                                      holds (`graph.inner_names`): renamed where defined
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from . import commands as cmd
from .data_fixes import set_output_loss
from .diagnose import feeding_input
from .document import Document, Edge
from .errors import DocumentError
from .inner_names import INNER_NAME_FIX, rename_inner
from .names import torch_name_problem, torch_safe_name
from .nested import FUNCTIONAL, FUNCTIONAL_FIX, MODEL, functional_fix_applies

TORCH_NAME_FIX = "rename_torch_safe"


def edge_into(doc: Document, node_id: str, port: int) -> Edge:
    """The wire into `port` of `node_id`.

    Raises:
        DocumentError: nothing is wired there.
    """
    for e in doc.in_edges(node_id):
        if e.dst_port == port:
            return e
    raise DocumentError(f"Node {doc.node(node_id).name!r} has nothing on input port {port}")


def set_use_projection(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Give the block's shortcut its 1x1 projection (use_projection=True)."""
    stack.push(cmd.SetParam(doc, issue.node, "use_projection", True))
    return [issue.node]


def set_padding_same(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Pad the layer whose window is larger than its input ('same' keeps every step)."""
    stack.push(cmd.SetParam(doc, issue.node, "padding", "same"))
    return [issue.node]


def set_branch_padding_same(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Pad 'same' the branch convolutions (ids in the issue's data) that shrank a merge's
    input (`graph.branch_padding`), in one step."""
    ids = [n for n in str(issue.data.get("nodes") or "").split(",") if n]
    gone = [n for n in ids if n not in doc.nodes]
    if not ids or gone:
        raise DocumentError(f"The layers to pad 'same' are gone from the graph: {gone or ids}")
    for node_id in ids:
        stack.push(cmd.SetParam(doc, node_id, "padding", "same"))
    return ids


def _set_data_format(value: str) -> Callable:
    def fix(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
        stack.push(cmd.SetParam(doc, issue.node, "data_format", value))
        return [issue.node]
    fix.__doc__ = f"Read the input as {value} (the layout its shape has)."
    return fix


def drop_batch_axis(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Drop the first axis of the shape of the Input that feeds the issue's port: Keras'
    Input(shape=...) excludes the batch axis."""
    edge = edge_into(doc, issue.node, issue.port or 0)
    source = doc.node(edge.src)
    shape = source.params.get("shape")
    if source.kind != "Input" or not isinstance(shape, list | tuple) or len(shape) < 2:
        raise DocumentError(f"{source.name!r} is not an Input with a shape of two or more "
                            f"axes (its shape: {shape!r})")
    stack.push(cmd.SetParam(doc, source.id, "shape", list(shape[1:])))
    return [source.id]


def add_channel_axis(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Give the Input that feeds the issue's port (straight or through elementwise
    layers) a last axis of 1 (grey images typed (28, 28) into a Conv2D); Keras feeds such
    an Input from arrays without that axis."""
    source = feeding_input(doc, issue.node, issue.port or 0)
    shape = source.params.get("shape") if source is not None else None
    if source is None or not isinstance(shape, list | tuple) or not shape:
        raise DocumentError(f"No Input with a shape of one or more axes feeds port "
                            f"{issue.port or 0} of {doc.node(issue.node).name!r}")
    stack.push(cmd.SetParam(doc, source.id, "shape", [*shape, 1]))
    return [source.id]


def channel_axis_label(issue, doc: Document | None) -> str | None:
    """"Make the Input (28, 28, 1)": the shape the fix gives the Input, where
    `doc` says which Input that is; else None."""
    try:
        shape = feeding_input(doc, issue.node, issue.port or 0).params["shape"]
        return f"Make the Input {tuple([*shape, 1])}"
    except (AttributeError, DocumentError, KeyError, TypeError):
        return None


def set_state_size(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Set a recurrent layer's units (filters) to the size of the state on the issue's port."""
    from .validate import analyze

    node = doc.node(issue.node)
    result = analyze(doc).results[issue.node]
    resize = node.spec.keyword_ports.resize if node.spec.keyword_ports else None
    change = resize(result.params, list(result.input_shapes), issue.port) \
        if resize and result.params is not None and issue.port is not None else None
    if change is None:
        raise DocumentError(f"{node.name!r} has no initial state whose size it could take")
    stack.push(cmd.SetParam(doc, issue.node, *change))
    return [issue.node]


def hold_in_pipeline(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Make the issue's node a Pipeline node of the same name holding its layer."""
    from .rekind import hold_in_pipeline as hold

    hold(doc, issue.node, stack)
    return [issue.node]


def use_suggested_name(doc: Document, issue, stack: cmd.UndoStack) -> None:
    """Rename a mistyped loss or metric (the field in the issue's data) to the closest
    known one, a callback's mistyped monitor to the logged name in the issue's data, or a
    mistyped optimizer, schedule or callback name to the one in the issue's data."""
    from .setting_paths import with_setting
    from .training_outputs import with_suggested_names

    field = issue.data.get("field")
    suggestion = issue.data.get("suggestion")
    if not isinstance(field, str):
        training = None
    elif field.endswith((".monitor", ".name")) and isinstance(suggestion, str):
        training = with_setting(doc, field, suggestion)  # a monitor, optimizer, callback
    else:
        training = with_suggested_names(doc, field)
    if training is None:
        raise DocumentError(f"{field}: no suggested name applies to it any more")
    stack.push(cmd.SetTraining(doc, training))


def drop_param(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Remove the param the issue's data names, which the node's kind does not have."""
    name = issue.data.get("param")
    node = doc.nodes.get(issue.node)
    if node is None or not isinstance(name, str) or name not in node.params:
        raise DocumentError(f"node {issue.node!r} holds no param {name!r} to remove")
    stack.push(cmd.DropParam(doc, node.id, name))
    return [node.id]


def use_binary_loss(doc: Document, issue, stack: cmd.UndoStack) -> None:
    """Train a one-unit sigmoid output with binary cross-entropy (a categorical loss over
    one unit is always 0)."""
    set_output_loss(doc, issue.node, "binary_crossentropy", stack)


def use_logits(doc: Document, issue, stack: cmd.UndoStack) -> None:
    """Keep the output linear and have its loss read logits (from_logits=True), the
    numerically stable form: the loss applies softmax or sigmoid itself."""
    from .document import output_entry
    from .training import output_name, resolve_training

    name = output_name(doc, output_entry(issue.node, 0))
    loss = resolve_training(doc)["loss"].get(name)
    if loss is None:
        raise DocumentError(f"{doc.node(issue.node).name!r} is not a model output with a loss")
    configured = dict(loss) if isinstance(loss, dict) else {"name": loss}
    set_output_loss(doc, issue.node, {**configured, "from_logits": True}, stack)


def _set_activation(name: str) -> Callable:
    def fix(doc: Document, issue, stack: cmd.UndoStack) -> None:
        stack.push(cmd.SetParam(doc, issue.node, "activation", name))
    fix.__doc__ = f"Give the output node the final activation {name} its loss expects."
    return fix


def rename_torch_safe(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Rename the issue's node so torch can build it: '_' for each '.', numbered when
    another node has that name."""
    node = doc.node(issue.node)
    if torch_name_problem(node.name) is None:
        raise DocumentError(f"{node.name!r} ({node.kind}) has a name torch builds already")
    name = torch_safe_name(node.name, lambda n: doc.find(n) not in (None, node))
    stack.push(cmd.Rename(doc, node.id, name))
    return [node.id]


def make_nested_functional(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Make the nested model of the block in the issue's data Functional, whatever its
    class was, so it can hold a block of several layers."""
    from .userblock_library import SetBlockDefinition

    block = issue.data.get("block")
    if not functional_fix_applies(doc.blocks, block):
        raise DocumentError(f"Block {block!r} is no nested model that 'Functional' would fix")
    definition = copy.deepcopy(doc.blocks[block])
    definition[MODEL]["class"] = FUNCTIONAL
    stack.push(SetBlockDefinition(doc, block, definition))
    return [issue.node]


PARAM_FIXES: dict[str, Callable] = {
    "set_use_projection": set_use_projection,
    "set_padding_same": set_padding_same,
    "set_branch_padding_same": set_branch_padding_same,
    "set_channels_last": _set_data_format("channels_last"),
    "set_channels_first": _set_data_format("channels_first"),
    "drop_batch_axis": drop_batch_axis,
    "add_channel_axis": add_channel_axis,
    "set_state_size": set_state_size,
    "set_softmax": _set_activation("softmax"),
    "set_sigmoid": _set_activation("sigmoid"),
    "set_linear": _set_activation("linear"),
    "use_binary_loss": use_binary_loss,
    "drop_param": drop_param,
    "use_logits": use_logits,
    "use_suggested_name": use_suggested_name,
    "hold_in_pipeline": hold_in_pipeline,
    TORCH_NAME_FIX: rename_torch_safe,
    INNER_NAME_FIX: rename_inner,
    FUNCTIONAL_FIX: make_nested_functional,
}
PARAM_LABELS = {
    "set_use_projection": "Set use_projection",
    "set_padding_same": "Set padding to 'same'",
    "set_branch_padding_same": "Set padding='same' on the branch's convolutions",
    "set_channels_last": "Set data_format to channels_last",
    "set_channels_first": "Set data_format to channels_first",
    "drop_batch_axis": "Drop the batch axis from the Input's shape",
    "add_channel_axis": "Add a last axis of 1 to the Input's shape",
    "set_state_size": "Size the layer to its initial state",
    "set_softmax": "Set activation to softmax",
    "set_sigmoid": "Set activation to sigmoid",
    "set_linear": "Set activation to linear (the loss takes logits)",
    "use_binary_loss": "Use binary_crossentropy",
    "drop_param": "Remove the parameter",
    "use_logits": "Keep it linear: the loss takes logits (from_logits=True)",
    "use_suggested_name": "Use the suggested name",
    "hold_in_pipeline": "Hold it in a Pipeline",
    TORCH_NAME_FIX: "Rename with '_' for '.'",
    INNER_NAME_FIX: "Rename the inner layer with '_' for '.'",
    FUNCTIONAL_FIX: "Make the nested model Functional",
}
