"""One-click fixes for validation issues. Pure, undoable.

Each fix takes the document, the `Issue` it answers and an `UndoStack`, and
applies one macro of `graph.commands`, so a single undo takes it back. A fix reads
what it needs from the graph and from the issue's node, port and `data`, never from
its message, which is written for people. Fixes are
keyed by the codes listed in `Issue.fixes` (validation offers one only when the
node's shape rule accepts the result, see `graph.diagnose`):

    insert_flatten, insert_gap1d/2d,  a rank that does not fit: on the port at fault, or on
    insert_reshape                    each offending input of a merge (`graph.fixplan`)
    insert_projection                 Add inputs whose channels differ (1x1 Conv2D)
    insert_cropping, insert_padding   merge inputs whose spatial sizes differ (images);
    insert_cropping1d, ..._padding1d  the same for sequences of different lengths
    remove_node                       a merge left with one input
    set_custom_outputs                a CustomLayer whose call() returns another number of
                                      tensors than it has output ports
    mark_open_ends                    a model with no outputs: the nodes where the graph
                                      ends (wired in, feeding nothing) become its outputs
    move_output_here                  a layer added after a model output, feeding nothing:
                                      the model output moves to it
    splice_into_wire                  a layer added beside a chain, feeding nothing, that
                                      keeps its input's shape: put on the one other wire
                                      of its input (`graph.splice_fix`)
    use_free_key, name_input_as_key   a dict key used twice; an Input keyed otherwise than
                                      its name (`graph.model_keys`)
    wire_from_open_end                a layer whose input is not wired: from the nearest
                                      layer above that feeds nothing yet (`graph.wire_fix`)
    wire_key_from_value               an attention layer's key left unwired below its
                                      attention mask (`graph.key_fix`)
    use_rank_kind                     a 1D/2D/3D layer of the wrong variant (Conv1D on
                                      images): change it to the one that fits
                                      (`graph.rank_kinds`)
    remove_flattening                 a Flatten (a global pooling) before a layer that needs
                                      the axes it took (Flatten -> LSTM): removed
                                      (`graph.flatten_removal`)
    flatten_to_pooling                a Flatten of images (a sequence) of any size, which
                                      the next layer cannot build on: a global pooling
                                      (`graph.pooling_fix`)
    insert_rescaling,                 an Input far from unit scale (pixels of 0..255) fed
    insert_normalization              to layers with weights: Rescaling(1/255) or an adapted
                                      Normalization before them (`graph.scale_fix`)
    set_keras_momentum                a BatchNormalization momentum as PyTorch counts it
                                      (0.1): Keras' 1 - momentum (`graph.momentum_check`)
    use_fraction                      a fraction given as a percentage (Dropout rate=50):
                                      the value / 100 (`graph.percent_fix`)
    use_choice                        a mistyped name where Keras takes one of a list
                                      (activation 'Relu'): the closest (`graph.name_fix`)
    use_default_rate                  a learning rate far too large for its optimizer (Adam
                                      at 1): Keras' default (`graph.rate_check`)
    set_usual_rate                    a dropout rate of 1, which drops every unit while
                                      training: the kind's start value (`graph.dropout_check`)
    use_typed_value                   a setting written in the wrong type ("1e-3", "10",
                                      32.0 for an integer): the value in its type
                                      (`graph.value_fix`)
    set_units_to_labels,              labels a run refused (`graph.data_fixes`); also
                                      return_sequences_on for recurrent layers stacked
                                      without it (LSTM -> LSTM: `graph.sequence_fix`)
    use_categorical_loss, ...
    set_padding_same, drop_batch_axis,  one setting changed: a param of the node at fault,
    set_softmax, use_binary_loss, ...   of its Input, or the training settings
                                        (`graph.param_fixes`)

The fixes that insert layers, and the expansion of a block node, are in
`graph.insert_layers` (its public names are importable here too).

A fix that needs the user's input is labelled here but answered by the window, not
`apply_fix`: `attach_source` (a CustomLayer without source) opens its code editor, and
`review_trust` (custom code not trusted) shows the code before trusting it.

>>> FIX_LABELS["drop_batch_axis"], FIX_LABELS["insert_reshape"]
("Drop the batch axis from the Input's shape", 'Insert Reshape')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from . import commands as cmd
from .data_fixes import DATA_FIXES, DATA_LABELS, input_dim_label, input_to_data_label
from .dissolve import dissolve_nodes
from .document import Document, output_entry
from .dropout_check import FIX as DROPOUT_FIX
from .dropout_check import set_usual_rate, usual_rate_label
from .errors import DocumentError
from .flatten_removal import FIX as REMOVAL_FIX
from .flatten_removal import LABEL as REMOVAL_LABEL
from .flatten_removal import removal_label, remove_flattening
from .insert_layers import (  # noqa: F401 - public here too
    INSERT_FIXES,
    INSERT_LABELS,
    PLACING,
    expand_block,
    insert_cropping,
    insert_on_edge,
    insert_padding,
    insert_projection,
)
from .key_fix import FIX as KEY_FIX
from .key_fix import LABEL as KEY_LABEL
from .key_fix import wire_key_from_value
from .model_keys import MODEL_FIXES, MODEL_LABELS
from .momentum_check import FIX as MOMENTUM_FIX
from .momentum_check import momentum_label, set_keras_momentum
from .name_fix import FIX as CHOICE_FIX
from .name_fix import choice_label, use_choice
from .param_fixes import PARAM_FIXES, PARAM_LABELS, channel_axis_label
from .percent_fix import FIX as PERCENT_FIX
from .percent_fix import fraction_label, use_fraction
from .placement import Measure, Size
from .pooling_fix import FIX as POOLING_FIX
from .pooling_fix import flatten_to_pooling, pooling_label
from .rank_kinds import FIX as RANK_FIX
from .rank_kinds import LABEL as RANK_LABEL
from .rank_kinds import fix_label as rank_label
from .rank_kinds import use_rank_kind
from .rate_check import FIX as RATE_FIX
from .rate_check import rate_label, use_default_rate
from .scale_fix import LABELS as SCALE_LABELS
from .scale_fix import SCALE_FIXES
from .sequence_fix import FIX as SEQUENCE_FIX
from .sequence_fix import sequence_label
from .splice_fix import SPLICE_FIX, splice_into_wire, splice_label
from .value_fix import FIX as TYPED_FIX
from .value_fix import typed_label, use_typed_value
from .wire_fix import WIRE_FIX, wire_from_open_end, wire_label

PLACING_FIXES = PLACING | {SPLICE_FIX, *SCALE_FIXES}  # fixes that place nodes at their drawn sizes

FIX_LABELS = {
    **INSERT_LABELS,
    "remove_node": "Remove this node",
    "attach_source": "Attach source…",
    "review_trust": "Review and trust…",
    "set_custom_outputs": "Set outputs to the tensors call() returns",
    "mark_open_ends": "Mark where the graph ends as outputs",
    **PARAM_LABELS,
    **DATA_LABELS,
    **MODEL_LABELS,
    "wire_from_open_end": "Wire from where the graph ends",
    "move_output_here": "Make it the model output",
    SPLICE_FIX: "Insert into the wire beside it",
    RANK_FIX: RANK_LABEL,
    POOLING_FIX: "Change the Flatten to a global pooling",
    MOMENTUM_FIX: "Set momentum to 1 - momentum (Keras' terms)",
    PERCENT_FIX: "Set the value / 100 (a fraction, not a percentage)",
    CHOICE_FIX: "Set the allowed value closest to it",
    RATE_FIX: "Set Keras' default learning rate",
    DROPOUT_FIX: "Set a usual rate",
    TYPED_FIX: "Write the value as a number (true or false)",
    KEY_FIX: KEY_LABEL,
    **SCALE_LABELS,
    REMOVAL_FIX: REMOVAL_LABEL,
}


def _branch_label(issue, doc: Document | None) -> str | None:
    ids = [n for n in str(issue.data.get("nodes") or "").split(",") if n]
    names = ", ".join(doc.nodes[n].name for n in ids if n in doc.nodes) \
        if doc is not None else issue.data.get("names")
    return f"Set padding='same' on {names}" if names else None


def _from_data(key: str, text: str) -> Callable:
    """A label `text` filled with the issue's data[key], where that is a string."""
    def label(issue, doc: Document | None) -> str | None:
        value = issue.data.get(key)
        return text.format(value) if isinstance(value, str) else None
    return label


# Labels that name what the fix changes, from the issue (and the document as it is now):
# code -> (issue, doc) -> label, or None for the plain label of FIX_LABELS.
NAMED_LABELS: dict[str, Callable] = {
    "set_branch_padding_same": _branch_label,
    WIRE_FIX: wire_label,
    RANK_FIX: lambda issue, doc: rank_label(issue),
    "add_channel_axis": channel_axis_label,
    "insert_projection": _from_data("projection", "Insert a {} projection"),
    "use_suggested_name": _from_data("suggestion", "Use {}"),
    "drop_param": _from_data("param", "Remove {}"),
    "set_input_dim_to_data": lambda issue, doc: input_dim_label(issue),
    "set_input_to_data": lambda issue, doc: input_to_data_label(issue),
    SEQUENCE_FIX: sequence_label,
    POOLING_FIX: pooling_label,
    MOMENTUM_FIX: momentum_label,
    PERCENT_FIX: fraction_label,
    CHOICE_FIX: choice_label,
    RATE_FIX: rate_label,
    DROPOUT_FIX: usual_rate_label,
    TYPED_FIX: typed_label,
    REMOVAL_FIX: removal_label,
    SPLICE_FIX: splice_label,
}


def fix_label(code: str, issue=None, doc: Document | None = None) -> str:
    """The label of the fix `code`, naming the layers it changes where `issue` says which
    (by their names in `doc` as it is now, else as they were when the issue was found).

    >>> from kerascanvas.graph.inference import Issue
    >>> fix_label("set_branch_padding_same", Issue("a", None, "error", "", "shape_mismatch",
    ...           data={"nodes": "n2,n4", "names": "conv_1, conv_2"}))
    "Set padding='same' on conv_1, conv_2"
    """
    named = NAMED_LABELS.get(code) if issue is not None else None
    return (named(issue, doc) if named else None) or FIX_LABELS.get(code, code)


def remove_node(doc: Document, issue, stack: cmd.UndoStack) -> None:
    """Remove a pass-through node (a merge with one input, a Dropout left as the output),
    wiring its input to its consumers (`graph.dissolve`)."""
    dissolve_nodes(doc, [issue.node], stack, f"Remove {doc.node(issue.node).name}")


def set_custom_outputs(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Give a CustomLayer one output port per tensor Keras says its call() returns."""
    from .validate import analyze

    found = analyze(doc).results[issue.node].output_shapes
    if not found:
        raise DocumentError(f"no output shapes are known for node {issue.node!r}")
    stack.push(cmd.SetParam(doc, issue.node, "outputs", len(found)))
    return [issue.node]


def mark_open_ends(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Make the first output of each node where the graph ends a model output."""
    from .rules import open_ends

    ends = open_ends(doc)
    if not ends:
        raise DocumentError("The graph has no end to mark as an output: every layer that is "
                            "wired in feeds another")
    stack.push(cmd.SetOutputs(doc, [*doc.outputs, *(output_entry(n, 0) for n in ends)]))
    return ends


def move_output_here(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """A layer added after a model output, feeding nothing: the outputs it follows become
    it (a softmax added after the classes layer is the model's output now)."""
    from .index import GraphIndex

    before = GraphIndex.of(doc).upstream([issue.node])
    moved = [o for o in doc.outputs if doc.output_ref(o)[0] in before]
    if not moved or doc.out_edges(issue.node):
        raise DocumentError("No model output comes before this node any more")
    here = output_entry(issue.node, 0)
    outputs = [here if o == moved[0] else o for o in doc.outputs if o not in moved[1:]]
    stack.push(cmd.SetOutputs(doc, outputs))
    return [issue.node]


FIXES: dict[str, Callable] = {
    **INSERT_FIXES,
    "remove_node": remove_node,
    "set_custom_outputs": set_custom_outputs,
    "mark_open_ends": mark_open_ends,
    **PARAM_FIXES,
    **DATA_FIXES,
    **MODEL_FIXES,
    WIRE_FIX: wire_from_open_end,
    "move_output_here": move_output_here,
    SPLICE_FIX: splice_into_wire,
    RANK_FIX: use_rank_kind,
    POOLING_FIX: flatten_to_pooling,
    MOMENTUM_FIX: set_keras_momentum,
    PERCENT_FIX: use_fraction,
    CHOICE_FIX: use_choice,
    RATE_FIX: use_default_rate,
    DROPOUT_FIX: set_usual_rate,
    TYPED_FIX: use_typed_value,
    KEY_FIX: wire_key_from_value,
    **SCALE_FIXES,
    REMOVAL_FIX: remove_flattening,
}


def apply_fix(doc: Document, issue, code: str, stack: cmd.UndoStack,
              measure: Measure | None = None, sizes: Mapping[str, Size] | None = None):
    """Run the fix `code` for `issue` as one undoable step.

    A fix that inserts or moves layers (`PLACING_FIXES`) places them at the sizes
    `measure` gives once they are wired, beside neighbours of `sizes` (node id -> drawn
    size), as a layer dropped on a wire is (`insert_on_edge`); without them, at the
    assumed size.

    Raises:
        KeyError: `code` is not a known fix.
        DocumentError: the fix does not apply to this graph (nothing is changed).
    """
    try:
        fix = FIXES[code]
    except KeyError:
        raise KeyError(f"Unknown fix {code!r}; expected one of {', '.join(FIXES)}") from None
    with stack.macro(FIX_LABELS[code]):
        if code in PLACING_FIXES:
            return fix(doc, issue, stack, measure, sizes)
        return fix(doc, issue, stack)

