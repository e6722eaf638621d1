"""Checks of the model's outputs: their ports and names, the float32 casts of mixed
precision, and each output's final activation against its loss (also a Dense fed an image
where a vector is expected after it). Part of the document-level checks (`graph.rules`).
"""

from __future__ import annotations

from collections.abc import Mapping

from . import loss_names
from .document import Document, Node
from .inference import ERROR, WARNING, Issue, NodeResult, spec_of
from .layers.operations import float_results, is_operation
from .shapes import fmt
from .training import CLASSIFICATION_LOSSES, output_name, resolve_training
from .training_code import reference_name

CATEGORICAL_LOSSES = {"sparse_categorical_crossentropy", "categorical_crossentropy",
                      "categorical_focal_crossentropy"}
BINARY_LOSSES = {"binary_crossentropy", "binary_focal_crossentropy"}


def output_issues(doc: Document, results: Mapping[str, NodeResult]) -> list[Issue]:
    """Outputs that are dropout layers, and final activations that do not fit the loss."""
    issues = []
    losses = _losses(doc, issues)
    issues += output_port_issues(doc, results) + cast_name_issues(doc, results)
    for nid in doc.outputs:  # port 0 outputs: the node's final activation is theirs
        node = doc.nodes.get(nid)
        if node is None:
            continue
        spec = spec_of(node)
        if spec is not None and spec.noise:
            issues.append(Issue(nid, None, WARNING, f"{node.name!r} ({node.kind}) is a model "
                                "output: its noise is applied in training only, so it usually "
                                "belongs before the last layer", "dropout_output",
                                ("remove_node",) if len(doc.in_edges(nid)) == 1 else ()))
        result = results.get(nid)
        if result is not None and result.ok and result.params is not None:
            issue = loss_fit_issue(node, result, losses.get(node.name))
            if issue is not None:
                issues.append(issue)
    return issues


def output_port_issues(doc: Document, results: Mapping[str, NodeResult]) -> list[Issue]:
    """Outputs on a port their node does not have, and output names given twice (a further
    port is named `<node>_<port>`, which another output node may already be called)."""
    issues, seen = [], set()
    for entry, (nid, port) in zip(doc.outputs, doc.output_refs(), strict=True):
        node, result = doc.nodes.get(nid), results.get(nid)
        if node is None:
            continue
        count = len(result.output_shapes) if result is not None and result.ok else None
        if port and count is not None and port >= count:
            issues.append(Issue(nid, None, ERROR, f"The model output {entry!r} is output port "
                                f"{port} of {node.name!r}, which has {count} output(s) (0 to "
                                f"{count - 1})", "bad_output"))
        name = output_name(doc, entry)
        if name in seen:
            issues.append(Issue(nid, None, ERROR, f"Two model outputs are named {name!r} (a "
                                "further port is named <node>_<port>). Rename the node",
                                "duplicate_output_name"))
        seen.add(name)
    return issues


def cast_name_issues(doc: Document, results: Mapping[str, NodeResult]) -> list[Issue]:
    """Under mixed precision an output operation's floating-point result is cast to float32
    by an operation named `<node>_float32` (`<node>_float32_<i>` for output i of several;
    an integer or bool result is not cast, `float_results`): another node of that name
    would make the model refuse to build (two operations of one name)."""
    if doc.training.get("mixed_precision", "off") in (None, "off"):
        return []
    taken, issues = {n.name for n in doc.nodes.values()}, []
    for nid in dict.fromkeys(nid for nid, _ in doc.output_refs()):
        node, result = doc.nodes.get(nid), results.get(nid)
        spec = spec_of(node) if node is not None else None
        if spec is None or not is_operation(spec) or result is None or not result.ok:
            continue
        cast = float_results(node.kind, result.params, len(result.output_shapes))
        names = [f"{node.name}_float32"] if cast == (True,) else \
            [f"{node.name}_float32_{i}" for i, c in enumerate(cast) if c and len(cast) > 1]
        for name in (n for n in names if n in taken):
            issues.append(Issue(nid, None, ERROR, f"Under mixed precision the float32 cast "
                                f"after output operation {node.name!r} is named {name!r}, "
                                "which is another node's name. Rename one of them",
                                "cast_name_taken"))
    return issues


def _losses(doc: Document, issues: list[Issue]) -> dict:
    try:
        return resolve_training(doc)["loss"]
    except Exception as exc:  # noqa: BLE001 - bad settings must not stop validation
        issues.append(Issue(None, None, WARNING, f"The training settings cannot be used: {exc}",
                            "bad_training"))
        return {}


def final_activation(node: Node, params: Mapping) -> str | None:
    """The activation the node applies last, or None when it is not plain to see."""
    spec = spec_of(node)
    return spec.final_activation(params) if spec is not None else None


def loss_fit_issue(node: Node, result: NodeResult, loss) -> Issue | None:
    """A warning when the output's final activation does not suit its loss."""
    act = final_activation(node, result.params)
    shape = result.output_shapes[0]
    units = shape[-1] if shape else None
    where = f"{node.name!r} ({node.kind}, output {fmt(shape)})"
    if act == "softmax" and units == 1:
        return Issue(node.id, None, WARNING, f"{where} applies softmax over a single unit, "
                     "which always outputs 1. Expected sigmoid for one unit, or one unit "
                     "per class", "loss_mismatch", _activation_fix(node, "sigmoid"))
    name = loss_names.canonical(loss)
    if name is None or act is None:
        return None
    if loss_names.from_logits(loss):
        return _logits_issue(node, where, reference_name(loss), act)
    loss = name
    if loss in CATEGORICAL_LOSSES:
        if units == 1:
            return Issue(node.id, None, WARNING, f"{where} is trained with {loss}, which needs "
                         "one unit per class. Received 1 unit: the loss is always 0",
                         "loss_mismatch", ("use_binary_loss",) if act == "sigmoid" else ())
        if act != "softmax":
            return _act_issue(node, where, loss, act, "softmax (probabilities summing to 1)")
    if loss in BINARY_LOSSES and act != "sigmoid":
        return _act_issue(node, where, loss, act, "sigmoid (independent probabilities)")
    return None


def _logits_issue(node: Node, where: str, loss: str, act: str) -> Issue | None:
    """from_logits=True: the loss applies softmax or sigmoid itself, so the output must not."""
    if act not in ("softmax", "sigmoid"):
        return None
    return Issue(node.id, None, WARNING, f"{where} is trained with {loss} with "
                 f"from_logits=True, which expects logits. Received activation {act!r}: the "
                 "loss would read its probabilities as logits. Expected a linear output",
                 "loss_mismatch", _activation_fix(node, "linear"))


def _act_issue(node: Node, where: str, loss: str, act: str, expected: str) -> Issue:
    """The activation the loss expects; for a linear output, also the loss on logits."""
    logits = ("use_logits",) if act == "linear" else ()
    return Issue(node.id, None, WARNING, f"{where} is trained with {loss}, which expects "
                 f"{expected}. Received activation {act!r}", "loss_mismatch",
                 _activation_fix(node, expected.split()[0]) + logits)


def _activation_fix(node: Node, name: str) -> tuple[str, ...]:
    """The fix setting the node's `activation` to `name`, where it has that param."""
    spec = spec_of(node)
    has = spec is not None and any(p.name == "activation" for p in spec.params)
    return (f"set_{name}",) if has else ()


def dense_on_image_issues(doc: Document, results: Mapping[str, NodeResult],
                          node_issues: Mapping[str, list[Issue]]) -> list[Issue]:
    """Dense fed an image tensor whose output is then used as if it were a vector.

    Dense accepts any rank and acts on the last axis only, so this is legal but
    rarely meant when the next layer wants a vector, or the loss expects one.
    """
    issues = []
    losses = None
    for node in doc.nodes.values():
        result = results.get(node.id)
        if node.kind != "Dense" or result is None or not result.input_shapes:
            continue
        shape = result.input_shapes[0]
        if len(shape) < 4:
            continue
        if not _feeds_rank_error(doc, node, node_issues):
            if node.id not in doc.outputs:
                continue
            losses = _losses(doc, []) if losses is None else losses
            if loss_names.canonical(losses.get(node.name)) not in CLASSIFICATION_LOSSES:
                continue
        fixes = ("insert_flatten", "insert_gap2d") if len(shape) == 4 else ("insert_flatten",)
        issues.append(Issue(node.id, 0, WARNING, f"{node.name!r} (Dense) receives "
                            f"{fmt(shape)} and acts on the last axis only, giving "
                            f"{fmt(result.output_shapes[0]) if result.ok else 'a tensor'} of "
                            f"rank {len(shape)}, but a vector is expected after it. Flatten or "
                            "pool the input first", "dense_on_image", fixes))
    return issues


def _feeds_rank_error(doc: Document, node: Node, node_issues: Mapping[str, list[Issue]]):
    for e in doc.out_edges(node.id):
        for issue in node_issues.get(e.dst, ()):
            if issue.code == "rank_mismatch" and issue.port in (e.dst_port, None):
                return True
    return False
