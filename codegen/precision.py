"""Mixed precision in generated code, written as `runtime.train` builds the model.

Under the training setting `mixed_precision` ("mixed_float16" or "mixed_bfloat16")
the app builds the model inside that Keras dtype policy, with the layers that
compute the model outputs built with `dtype="float32"` (losses and metrics need
float32). The generated module says the same: a constant `DTYPE_POLICY`, a
`build_model()` that sets it while it builds and restores the previous policy
after (so importing the module and building a model leaves no global state
behind), and `dtype='float32'` on the output layers. An output operation's result
is cast to float32 only where it is floating point: an index (argmax, top_k's
indices) or a mask (a comparison) keeps its dtype, as a Keras user writes it
(`output_dtypes`). A training script also sets the policy before it builds and
compiles, as a Keras user would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerascanvas.graph import userblocks
from kerascanvas.graph.document import Document
from kerascanvas.graph.layers.operations import float_results, is_operation
from kerascanvas.graph.layers.shared import KIND as SHARED_CALL
from kerascanvas.graph.layers.shared import owner_id
from kerascanvas.graph.spec import USER_BLOCK
from kerascanvas.graph.training_schema import PRECISIONS
from kerascanvas.graph.validate import analyze

from .errors import CodegenError
from .inline import without_user_blocks
from .literals import INDENT, literal

FLOAT32 = "float32"
CONSTANT = "DTYPE_POLICY"
PREVIOUS = "previous_policy"


def policy_name(training: Mapping[str, Any] | None) -> str:
    """The Keras dtype policy for the training settings ("off" gives "float32").

    >>> policy_name({"mixed_precision": "mixed_bfloat16"}), policy_name({})
    ('mixed_bfloat16', 'float32')

    Raises:
        CodegenError: an unknown `mixed_precision` value, naming the field.
    """
    value = (training or {}).get("mixed_precision", "off")
    if value not in PRECISIONS:
        raise CodegenError(f"training.mixed_precision: expected one of {', '.join(PRECISIONS)}. "
                           f"Received: {value!r}")
    return FLOAT32 if value == "off" else value


def output_layer_names(doc: Document, results: Mapping[str, Any]) -> list[str]:
    """The Keras name of the layer that computes each model output, each once.

    A block node's output is its last sublayer (`f"{node}_{suffix}"`), a user block
    instance's the inner layer that leaves it (`f"{instance}_{inner}"`, nested blocks
    `f"{outer}_{inner}_{leaf}"`, as `graph.userblocks.flatten` names them); any other
    node's is the node name. `results` are the analysis results (resolved params, shapes).
    """
    return list(dict.fromkeys(name for _, name, _ in _output_layers(doc, results)))


def float32_layers(doc: Document, results: Mapping[str, Any]) -> frozenset[str]:
    """Names of the layers written with `dtype='float32'`: the outputs under mixed precision."""
    return frozenset(output_dtypes(doc, results))


OutputDtype = str | tuple[str | None, ...]


def output_dtypes(doc: Document, results: Mapping[str, Any]) -> dict[str, OutputDtype]:
    """`{layer name: "float32"}` for the model outputs under mixed precision ({} when it is
    off). An output operation is cast only where its result is floating point: one with
    no floating result is left out, one with some (top_k: values, indices) gets a tuple
    per output, `("float32", None)`.
    """
    if policy_name(doc.training) == FLOAT32:
        return {}
    return _by_layer(_output_layers(doc, results))


def _by_layer(found) -> dict[str, OutputDtype]:
    """`{layer name: dtype}` of `_output_layers`' entries; a nested model computing several
    outputs gets one tuple, "float32" at each of those ports."""
    merged: dict[str, OutputDtype] = {}
    for _, name, dtype in found:
        if dtype and isinstance(merged.get(name), tuple) and isinstance(dtype, tuple):
            dtype = tuple(a or b for a, b in zip(merged[name], dtype, strict=True))
        if dtype:
            merged[name] = dtype
    return merged


def nested_output_dtypes(blocks: Mapping[str, Any], params: Mapping[str, Any], name: str,
                         input_shapes, dtype: OutputDtype) -> dict[str, OutputDtype]:
    """`{inner layer name: dtype}` inside the nested model of instance `name` (a
    nested-model block) whose outputs are cast as `dtype` says: "float32" for all, or one
    entry per model output (None: left in the policy). Named as the nested model names
    them (`graph.userblocks.model_document`)."""
    doc = userblocks.model_document(blocks, params, name, input_shapes)
    flags = dtype if isinstance(dtype, tuple) else (dtype,) * len(doc.outputs)
    doc.outputs = [out for out, flag in zip(doc.outputs, flags, strict=True) if flag]
    return _by_layer(_output_layers(doc, analyze(doc).results))


def output_casts(doc: Document, results: Mapping[str, Any]
                 ) -> tuple[dict[str, OutputDtype], dict[tuple, OutputDtype]]:
    """(`output_dtypes`, and `{(node id, port): dtype}` of the same outputs by the output
    refs of `doc`, which a user block instance passes to its helper), from one look at the
    outputs (a user block's are found in the model with its blocks inlined)."""
    if policy_name(doc.training) == FLOAT32:
        return {}, {}
    found = _output_layers(doc, results)
    return _by_layer(found), {_made_by(doc, ref): dtype for ref, _, dtype in found if dtype}


def _made_by(doc: Document, ref: tuple) -> tuple:
    """The output ref of the node whose object computes `ref`: a call site's owner (a
    nested model called again is made once, where its owner is)."""
    node = doc.nodes.get(ref[0])
    if node is not None and node.kind == SHARED_CALL and owner_id(node) in doc.nodes:
        return (owner_id(node), ref[1])
    return ref


def _output_layers(doc: Document, results: Mapping[str, Any]):
    """(output ref of `doc`, name of the layer computing it, its dtype or None) per output.

    Where an output leaves a user block instance, the instances are first inlined as the
    build inlines them, so the name is the inner layer's."""
    refs = doc.output_refs()
    if any(doc.node(nid).kind == USER_BLOCK for nid, _ in refs):
        doc = without_user_blocks(doc)
        results = analyze(doc).results
    found = []
    for ref, (nid, port) in zip(refs, doc.output_refs(), strict=True):
        node, result = doc.node(nid), results[nid]
        if node.kind == SHARED_CALL and doc.nodes.get(owner_id(node)) is not None:
            # a call site makes no layer: its owner's layer (or nested model) computes it,
            # and is built in float32 at every call, as an output owner is
            node, result = doc.nodes[owner_id(node)], results[owner_id(node)]
        name = node.name
        if node.kind == USER_BLOCK:  # a nested model (the others are inlined): per port
            count = len(result.output_shapes)
            found.append((ref, name, FLOAT32 if count == 1 else
                           tuple(FLOAT32 if p == port else None for p in range(count))))
            continue
        if node.spec.is_block:
            expansion = node.spec.expand(result.params,
                                         [tuple(s) for s in result.input_shapes])
            name = f"{node.name}_{expansion.output}"
        flags = (float_results(node.kind, result.params, len(result.output_shapes))
                 if is_operation(node.spec) else (True,))
        dtype = FLOAT32 if all(flags) else tuple(FLOAT32 if f else None for f in flags) \
            if any(flags) else None
        found.append((ref, name, dtype))
    return found


def constant_block(policy: str) -> str:
    """`DTYPE_POLICY = 'mixed_float16'`, with a comment saying what it does."""
    return (f"# Layers compute in this Keras dtype policy (training.mixed_precision); the\n"
            f"# output layers are built with dtype='float32', so losses see float32.\n"
            f"{CONSTANT} = {literal(policy)}\n")


def scoped(body: list[str]) -> list[str]:
    """Body lines (already indented two levels) run under DTYPE_POLICY, then restored."""
    return [f"{INDENT}{PREVIOUS} = keras.config.dtype_policy()",
            f"{INDENT}keras.config.set_dtype_policy({CONSTANT})",
            f"{INDENT}try:", *body,
            f"{INDENT}finally:",
            f"{INDENT * 2}keras.config.set_dtype_policy({PREVIOUS})"]


def body_indent(policy: str) -> str:
    """The indent of build_model()'s statements: one level deeper inside the policy scope."""
    return INDENT if policy == FLOAT32 else INDENT * 2
