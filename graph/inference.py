"""Per-node shape inference: params, input ports, the shape rule and the count rule.

`infer_node` looks at one node given the results of the nodes upstream of it and
never raises: every problem becomes an `Issue`. `infer_graph` walks the document
in topological order and re-infers only the nodes it is asked to, plus the nodes
whose inputs changed as a consequence (a node whose output shapes come out the
same does not disturb the nodes after it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from . import branch_padding, flatten_removal, nested, pooling_fix, rank_kinds, sequence_fix
from .diagnose import batch_axis_port, channel_axis_port, diagnose_shape_error, feeding_input
from .document import Document, Edge, Node
from .errors import ShapeError
from .index import GraphIndex
from .kept_results import keepable, still_valid
from .layers import custom, shared
from .node_checks import port_issues, resolve_params
from .node_result import ERROR, WARNING, Issue, NodeResult, shape_spec, spec_of
from .node_result import node_issue as _issue
from .spec import USER_BLOCK, LayerSpec

__all__ = ["ERROR", "WARNING", "Issue", "NodeResult", "infer_graph", "infer_node", "keepable",
           "resolve_params", "shape_spec", "spec_of"]


def _gather_inputs(doc: Document, node: Node, spec: LayerSpec, edges: list[Edge],
                   results: Mapping[str, NodeResult]):
    """(input shapes, issues, blocked): blocked means an upstream node has no shapes."""
    ports: dict[int, Edge] = {}
    issues = []
    for e in edges:
        if e.dst_port in ports:
            issues.append(_issue(node, f"Input port {spec.port_name(e.dst_port, node.params)} of "
                                 f"{node.name!r} has several connections. Expected one",
                                 "duplicate_port", e.dst_port))
        ports[e.dst_port] = e
    issues += port_issues(node, spec, ports)
    shapes, blocked = [], False
    for port in sorted(ports):
        e = ports[port]
        upstream = results.get(e.src)
        if upstream is None or upstream.output_shapes is None:
            blocked = True
            continue
        n_out = len(upstream.output_shapes)
        if e.src_port >= n_out:
            src = doc.nodes[e.src].name if e.src in doc.nodes else e.src
            issues.append(_issue(
                node, f"Input port {spec.port_name(port, node.params)} of {node.name!r} reads "
                f"output {e.src_port} of {src!r}, which has {n_out} output(s) (0 to {n_out - 1})",
                "bad_src_port", port))
            continue
        shapes.append(upstream.output_shapes[e.src_port])
    return shapes, issues, blocked


# ---- one node -------------------------------------------------------------
def infer_node(doc: Document, node: Node, edges: list[Edge],
               results: Mapping[str, NodeResult]) -> tuple[NodeResult, list[Issue]]:
    """Infer one node from the results upstream of it. Never raises.

    Custom code inside a user block answers from the document's context."""
    with custom.active(custom.current(doc)):
        return _infer_node(doc, node, edges, results)


def _infer_node(doc: Document, node: Node, edges: list[Edge],
                results: Mapping[str, NodeResult]) -> tuple[NodeResult, list[Issue]]:
    spec = spec_of(node)
    if spec is not None and spec.kind == shared.KIND:
        problem = shared.owner_problem(doc.nodes, node)
        if problem is not None:
            return NodeResult([], None, None), [_issue(node, problem, "shared_owner")]
    spec = shape_spec(doc, node)
    if spec is None:
        return NodeResult([], None, None), [
            _issue(node, f"{node.name!r} has unknown kind {node.kind!r}", "unknown_kind")]
    params, issues = resolve_params(node, spec)
    if params is not None and spec.kind == custom.KIND:  # its code must parse and be trusted
        issues += _custom_code_issues(doc, node, params)
    shapes, port_issues, blocked = _gather_inputs(doc, node, spec, edges, results)
    issues += port_issues
    if params is None or blocked or any(i.severity == ERROR for i in issues):
        recorded = _recorded(spec, params, shapes, issues)  # a count None: unknown
        count = (0, 0) if recorded is None else custom.recorded_count(params)
        return NodeResult(shapes, recorded, params, count), issues
    try:
        outputs = [tuple(s) for s in spec.output_shapes(params, list(shapes))]
    except custom.CustomShapeError as exc:  # Keras' own verdict: no fixes to guess
        fixes = {custom.NO_SOURCE: (custom.ATTACH_FIX,),  # in a block
                 "custom_untrusted": (custom.TRUST_FIX,)}.get(exc.code, ())
        issues.append(_issue(node, f"{node.name!r} ({node.kind}): {exc}", exc.code,
                             fixes=fixes))
        if exc.recorded is None:
            return NodeResult(shapes, None, params), issues
        return NodeResult(shapes, [tuple(s) for s in exc.recorded], params, exc.count), issues
    except ShapeError as exc:
        found = diagnose_shape_error(node.name, spec, params, shapes, exc)
        port, fixes = found.port, found.fixes
        direct = [e.src in doc.nodes and doc.nodes[e.src].kind == "Input"
                  for e in sorted(edges, key=lambda e: e.dst_port)]
        batch = batch_axis_port(spec, params, list(shapes), direct)
        channel = None if batch is not None else channel_axis_port(
            spec, params, list(shapes),
            [feeding_input(doc, node.id, port) is not None for port in range(len(shapes))])
        if batch is not None:  # the likelier mistake than a layer missing
            port, fixes = batch, ("drop_batch_axis", *fixes)
        elif channel is not None:  # grey images typed without their channel axis
            port, fixes = channel, ("add_channel_axis", *fixes)
        issue = replace(_issue(node, found.message, found.code, port, fixes=fixes),
                        data=dict(found.data))
        issue = _with_rank_kind(doc, issue, node, results)
        issue = _with_upstream(doc, issue, spec, params, shapes, edges, results)
        if spec.kind == USER_BLOCK and nested.functional_fix_applies(doc.blocks,
                                                                     params.get("block")):
            issue = replace(issue, fixes=(nested.FUNCTIONAL_FIX, *fixes),
                            data={"block": params["block"]})
        issues.append(_with_branch_padding(doc, issue, spec, params, edges, results))
        return NodeResult(shapes, None, params), issues
    except Exception as exc:  # noqa: BLE001 - a faulty rule must not break validation
        issues.append(_issue(node, f"{node.name!r} ({node.kind}): the shape rule failed on "
                             f"inputs {shapes}: {exc!r}", "internal"))
        return NodeResult(shapes, None, params), issues
    if spec.kind == custom.KIND:  # one output port per tensor Keras says call() returns
        issues += _custom_port_issues(node, params, outputs)
    return NodeResult(shapes, outputs, params, _count(node, spec, params, shapes, issues)), issues


def _with_rank_kind(doc: Document, issue: Issue, node: Node,
                    results: Mapping[str, NodeResult]) -> Issue:
    """A layer of the wrong 1D/2D/3D variant (Conv1D on images): the variant that takes
    what arrives is offered first (`graph.rank_kinds`)."""
    kind = rank_kinds.fitting_variant(doc, node, results)
    if kind is None:
        return issue
    # Conv2D on Input((32, 28, 28, 1)) or on Input((28, 28)): an axis typed in or left out
    # of the Input stays the likelier mistake
    first = issue.fixes[:1] if issue.fixes[:1] in (("drop_batch_axis",),
                                                   ("add_channel_axis",)) else ()
    return replace(issue, fixes=(*first, rank_kinds.FIX, *issue.fixes[len(first):]),
                   data={**issue.data, "kind": kind})


# Fixes at a layer up the chain, each offered first where its finder names that layer
# (its issue data) for the refusal's code (None: any): a recurrent layer's
# return_sequences (LSTM -> LSTM), a Flatten of unknown size made a global pooling, a
# Flatten (global pooling) that took the axes the layer needs removed.
UPSTREAM_FIXES = (
    ("rank_mismatch", sequence_fix.sequence_source, sequence_fix.FIX),
    (None, pooling_fix.unsized_flatten, pooling_fix.FIX),
    ("rank_mismatch", flatten_removal.flattening_source, flatten_removal.FIX),
)


def _with_upstream(doc: Document, issue: Issue, spec: LayerSpec, params: dict, shapes,
                   edges: list[Edge], results: Mapping[str, NodeResult]) -> Issue:
    """`issue` with each of `UPSTREAM_FIXES` that applies put first, on port 0."""
    for code, finder, fix in UPSTREAM_FIXES:
        if code is not None and issue.code != code:
            continue
        named = finder(doc, spec, params, list(shapes), edges, results)
        if named is not None:
            issue = replace(issue, port=0, fixes=(fix, *issue.fixes),
                            data={**issue.data, **named})
    return issue


def _with_branch_padding(doc: Document, issue: Issue, spec: LayerSpec, params: dict,
                         edges: list[Edge], results: Mapping[str, NodeResult]) -> Issue:
    """A merge whose inputs differ in size because its branch's convolutions shrink
    them: padding them 'same' is offered first (`graph.branch_padding`)."""
    if not spec.is_merge or issue.code not in ("shape_mismatch", "concat_mismatch"):
        return issue
    convs = branch_padding.shrinking_convs(doc, spec, params, edges, results)
    if not convs:
        return issue
    data = {"nodes": ",".join(convs), "names": ", ".join(doc.nodes[n].name for n in convs)}
    return replace(issue, fixes=(branch_padding.FIX, *issue.fixes), data=data)


def _custom_port_issues(node: Node, params: dict, outputs: list) -> list[Issue]:
    problem = custom.ports_problem(node.name, params, outputs)
    return [] if problem is None else [
        _issue(node, problem, custom.PORTS_ISSUE, fixes=(custom.PORTS_FIX,))]


def _custom_code_issues(doc: Document, node: Node, params: dict) -> list[Issue]:
    problem = custom.code_problem(doc, params, node.name)
    if problem is None:
        return []
    code, message = problem
    if code == custom.NO_SOURCE:  # the message names the node and its registered name
        return [_issue(node, message, code, fixes=(custom.ATTACH_FIX,))]
    fixes = (custom.TRUST_FIX,) if code == "custom_untrusted" else ()
    return [_issue(node, f"{node.name!r} ({node.kind}): {message}", code, fixes=fixes)]


def _recorded(spec, params, shapes, issues) -> list | None:
    """A CustomLayer stopped only by its code (missing or not trusted) still passes on the
    output shapes Keras recorded at import, so the nodes after it are analysed."""
    if params is None or spec.kind != custom.KIND or \
            any(i.severity == ERROR and i.code not in custom.CODE_ISSUES for i in issues):
        return None
    return custom.recorded_outputs(params, list(shapes))


def _count(node, spec, params, shapes, issues) -> tuple[int, int]:
    try:
        trainable, frozen = spec.count(params, list(shapes))
        return int(trainable), int(frozen)
    except Exception as exc:  # noqa: BLE001
        issues.append(_issue(node, f"{node.name!r} ({node.kind}): its weights could not be "
                             f"counted for inputs {shapes}: {exc!r}", "internal",
                             severity=WARNING))
        return (0, 0)


# ---- the graph ------------------------------------------------------------
def infer_graph(doc: Document, results: dict[str, NodeResult],
                node_issues: dict[str, list[Issue]], dirty: Iterable[str] | None = None,
                index: GraphIndex | None = None,
                kept: dict[str, tuple[Node, NodeResult]] | None = None) -> list[str]:
    """Re-infer `dirty` nodes (all when None) and whatever their changes reach.

    Updates `results` and `node_issues` in place and returns the ids re-inferred.
    Nodes on a cycle get an empty result (the document rules report the cycle).
    `kept` holds results of nodes that were removed (`keepable`), by id: a node that is
    back with the same kind and params, its ports wired in the same order and fed the
    same shapes, takes its kept result (the one inference would give) instead of being
    inferred again; each one looked at leaves `kept`.
    """
    index = index or GraphIndex.of(doc)
    pending = set(doc.nodes) if dirty is None else {n for n in dirty if n in doc.nodes}
    if dirty is not None:  # call sites follow their owner's params, wherever they sit
        pending.update(shared.call_sites(doc.nodes, pending))
    if len(index.order) < len(doc.nodes):
        for nid in set(doc.nodes) - set(index.order):
            results[nid], node_issues[nid] = NodeResult([], None, None), []
    done = []
    for nid in index.order:
        if nid not in pending:
            continue
        old, node, edges = results.get(nid), doc.nodes[nid], index.ins.get(nid, [])
        result = still_valid(kept.pop(nid, None), node, edges, results) if kept else None
        if result is not None:
            results[nid], node_issues[nid] = result, []
        else:
            result, issues = infer_node(doc, node, edges, results)
            results[nid], node_issues[nid] = result, issues
            done.append(nid)
        if old is None or old.output_shapes != result.output_shapes:
            pending.update(index.succ.get(nid, ()))
    _check_shared_weights(doc, results, node_issues)
    return done


def _check_shared_weights(doc: Document, results: dict[str, NodeResult],
                          node_issues: dict[str, list[Issue]]) -> None:
    """Call sites whose inputs the owner's weights do not fit (needs both results)."""
    for nid in shared.call_sites(doc.nodes):
        node = doc.nodes[nid]
        issues = [i for i in node_issues.get(nid, []) if i.code != "shared_weights"]
        problem = shared.weights_problem(doc.nodes, node, results)
        node_issues[nid] = issues + ([_issue(node, problem, "shared_weights")] if problem else [])
