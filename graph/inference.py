"""Per-node shape inference: params, input ports, the shape rule and the count rule.

`infer_node` looks at one node given the results of the nodes upstream of it and
never raises: every problem becomes an `Issue`. `infer_graph` walks the document
in topological order and re-infers only the nodes it is asked to, plus the nodes
whose inputs changed as a consequence (a node whose output shapes come out the
same does not disturb the nodes after it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import userblocks
from .diagnose import batch_axis_port, diagnose_shape_error
from .document import Document, Edge, Node
from .errors import ParamError, ShapeError
from .index import GraphIndex
from .issue_data import EMPTY, IssueData
from .layers import custom, shared
from .spec import AS_LISTS, KIND_ALIASES, LAYER_SPECS, LayerSpec, Shape

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


def _issue(node: Node, message: str, code: str, port: int | None = None,
           severity: str = ERROR, fixes: tuple[str, ...] = ()) -> Issue:
    return Issue(node.id, port, severity, message, code, fixes)


# ---- params ---------------------------------------------------------------
def resolve_params(node: Node, spec: LayerSpec) -> tuple[dict | None, list[Issue]]:
    """The resolved params, or None with one issue per bad, unknown or missing param.

    Each value is coerced once: the params are resolved first, and only params that fail
    are looked at one by one, so that every bad one gets its issue."""
    try:
        return spec.resolve(node.params), []
    except Exception as exc:  # noqa: BLE001 - a faulty check must not break validation
        refused = exc
    issues = _param_issues(node, spec)
    if issues:
        return None, issues
    where = f"{node.name!r} ({node.kind})"
    if isinstance(refused, ParamError):  # a rule across several params (spec.check)
        return None, [_issue(node, f"{where}: {refused}", "param_conflict")]
    return None, [_issue(node, f"{where}: its params could not be checked: {refused!r}",
                         "internal")]


def _param_issues(node: Node, spec: LayerSpec) -> list[Issue]:
    """An issue per unknown, bad or missing param of `node`, and for a bad `AS_LISTS` note."""
    issues = []
    known = {p.name for p in spec.params}
    where = f"{node.name!r} ({node.kind})"
    for key in node.params:
        if key not in known and key != AS_LISTS:
            expected = ", ".join(sorted(known)) or "none"
            issues.append(_issue(node, f"{where} has no parameter {key!r}. Expected one of: "
                                 f"{expected}. Received: {key}={node.params[key]!r}",
                                 "unknown_param"))
    for p in spec.params:
        if p.name in node.params:
            problem = _coerce_problem(p, node.params[p.name])
            if problem:
                issues.append(_issue(node, f"{where}: {problem}", "bad_param"))
        elif p.required:
            issues.append(_issue(node, f"{where} needs a value for {p.name}. Received none",
                                 "missing_param"))
    try:
        spec.as_lists(node.params)
    except ParamError as exc:
        issues.append(_issue(node, f"{where}: {exc}", "bad_param"))
    return issues


def _coerce_problem(p, value) -> str | None:
    try:
        p.coerce(value)
    except ParamError as exc:
        return str(exc)
    except Exception:  # noqa: BLE001 - odd values from a file (e.g. nested objects)
        return f"Received an invalid value for {p.name}. Received: {p.name}={value!r}"
    return None


# ---- input ports ----------------------------------------------------------
def _port_issues(node: Node, spec: LayerSpec, ports: dict[int, Edge]) -> list[Issue]:
    """Missing, extra and out-of-order connections of the node's input ports."""
    name, params = node.name, node.params
    connected = sorted(ports)
    issues = []
    if spec.is_merge:
        top = connected[-1] + 1 if connected else 1
        for port in range(top):
            if port not in ports:
                later = spec.port_name(connected[-1]) if connected else None
                tail = f", but {later} is: connect the inputs in order" if later else ""
                issues.append(_issue(node, f"Input port {spec.port_name(port)} of {name!r} is "
                                     f"not connected{tail}", "unconnected_input", port))
        if not issues and len(connected) < spec.min_inputs:
            issues.append(_issue(
                node, f"{name!r} ({node.kind}) merges {spec.min_inputs} or more tensors. "
                f"Received {len(connected)} input; it passes the tensor through unchanged",
                "merge_one_input", None, WARNING, ("remove_node",)))
        return issues
    top = spec.max_ports(params)
    for port in connected:
        if port >= top:
            issues.append(_issue(
                node, f"{name!r} ({node.kind}) has {top} input port(s). "
                f"Received a connection on port {port}{_switch_hint(spec, params)}",
                "extra_input", port))
    for port in range(top):
        if port in ports:
            continue
        label = spec.port_name(port, params)
        if port < spec.min_inputs or port >= spec.max_inputs:  # keyword ports are needed
            issues.append(_issue(node, f"Input port {label} of {name!r} is not connected"
                                 f"{_needed_by(spec, params, port)}", "unconnected_input", port))
        elif any(p > port for p in connected):
            issues.append(_issue(
                node, f"Input port {label} of {name!r} is not connected, but a "
                "later port is: optional inputs are passed in order", "unconnected_input", port))
    return issues


def _switch_hint(spec: LayerSpec, params: Mapping[str, Any]) -> str:
    """How to get more ports, when a param of the kind adds them."""
    if spec.keyword_ports is None or spec.keyword_port_names(params):
        return ""
    return f" (turning {spec.keyword_ports.param} on adds input ports)"


def _needed_by(spec: LayerSpec, params: Mapping[str, Any], port: int) -> str:
    """Why a keyword port must be connected: its switch is on."""
    if spec.max_inputs is None or port < spec.max_inputs:
        return ""
    switch = spec.keyword_ports.param
    return f" ({switch}=True takes a tensor on each of its ports; turn {switch} off to " \
        "start from zeros)"


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
    issues += _port_issues(node, spec, ports)
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
        if batch is not None:  # the likelier mistake than a layer missing
            port, fixes = batch, ("drop_batch_axis", *fixes)
        issues.append(_issue(node, found.message, found.code, port, fixes=fixes))
        return NodeResult(shapes, None, params), issues
    except Exception as exc:  # noqa: BLE001 - a faulty rule must not break validation
        issues.append(_issue(node, f"{node.name!r} ({node.kind}): the shape rule failed on "
                             f"inputs {shapes}: {exc!r}", "internal"))
        return NodeResult(shapes, None, params), issues
    if spec.kind == custom.KIND:  # one output port per tensor Keras says call() returns
        issues += _custom_port_issues(node, params, outputs)
    return NodeResult(shapes, outputs, params, _count(node, spec, params, shapes, issues)), issues


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
        result = _still_valid(kept.pop(nid, None), node, edges, results) if kept else None
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


# Kinds whose result depends on more than their params and inputs (the document's blocks,
# another node, custom code and its trust): never taken from `kept`.
_IN_CONTEXT = frozenset({userblocks.KIND, shared.KIND, custom.KIND})


def keepable(node: Node, result: NodeResult | None, issues) -> bool:
    """Whether the result of a removed node may be kept for `infer_graph`: its output shapes
    known and no issue (so its ports were wired 0, 1, ... and nothing else of the document
    went into it), and a kind whose result follows from its params and inputs alone."""
    spec = spec_of(node) if node is not None else None
    return result is not None and result.ok and not issues and spec is not None \
        and spec.kind not in _IN_CONTEXT


def _still_valid(kept: tuple[Node, NodeResult] | None, node: Node, edges: list[Edge],
                 results: Mapping[str, NodeResult]) -> NodeResult | None:
    """The kept result if `node` is as it was then: same kind and params, its ports wired
    in order and fed the same shapes (see `keepable`), else None."""
    if kept is None:
        return None
    was, result = kept
    if node.kind != was.kind or node.params != was.params or \
            len(edges) != len(result.input_shapes):
        return None
    for port, (e, shape) in enumerate(zip(edges, result.input_shapes, strict=True)):
        upstream = results.get(e.src)
        if e.dst_port != port or upstream is None or upstream.output_shapes is None \
                or e.src_port >= len(upstream.output_shapes) \
                or upstream.output_shapes[e.src_port] != shape:
            return None
    return result


def _check_shared_weights(doc: Document, results: dict[str, NodeResult],
                          node_issues: dict[str, list[Issue]]) -> None:
    """Call sites whose inputs the owner's weights do not fit (needs both results)."""
    for nid in shared.call_sites(doc.nodes):
        node = doc.nodes[nid]
        issues = [i for i in node_issues.get(nid, []) if i.code != "shared_weights"]
        problem = shared.weights_problem(doc.nodes, node, results)
        node_issues[nid] = issues + ([_issue(node, problem, "shared_weights")] if problem else [])
