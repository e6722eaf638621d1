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

from kerascanvas.graph.document import Document
from kerascanvas.graph.layers.operations import float_results, is_operation
from kerascanvas.graph.training_schema import PRECISIONS

from .errors import CodegenError
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
    """The Keras name of the layer that computes each model output.

    A block node's output is its last sublayer (`f"{node}_{suffix}"`); any other node's
    is the node name. `results` are the analysis results (resolved params, shapes).
    """
    names = []
    for nid in dict.fromkeys(nid for nid, _ in doc.output_refs()):
        node = doc.node(nid)
        if not node.spec.is_block:
            names.append(node.name)
            continue
        result = results[nid]
        expansion = node.spec.expand(result.params, [tuple(s) for s in result.input_shapes])
        names.append(f"{node.name}_{expansion.output}")
    return names


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
    found: dict[str, OutputDtype] = {}
    nids = dict.fromkeys(nid for nid, _ in doc.output_refs())
    for nid, name in zip(nids, output_layer_names(doc, results), strict=True):
        node, result = doc.node(nid), results[nid]
        flags = (float_results(node.kind, result.params, len(result.output_shapes))
                 if is_operation(node.spec) else (True,))
        if all(flags):
            found[name] = FLOAT32
        elif any(flags):
            found[name] = tuple(FLOAT32 if f else None for f in flags)
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
