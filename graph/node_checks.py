"""A node's params and input ports checked against its LayerSpec. Pure.

`resolve_params` coerces a node's params (an issue per bad, unknown or missing one);
`port_issues` finds missing, extra and out-of-order connections of its input ports.
Both are steps of `graph.inference.infer_node`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from . import key_fix, name_fix, percent_fix
from .document import Edge, Node
from .errors import ParamError
from .issue_data import IssueData
from .node_result import WARNING, Issue, node_issue
from .spec import AS_LISTS, LayerSpec

DROP_FIX = "drop_param"  # an unknown param: remove it (`graph.param_fixes.drop_param`)


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
        return None, [node_issue(node, f"{where}: {refused}", "param_conflict")]
    return None, [node_issue(node, f"{where}: its params could not be checked: {refused!r}",
                         "internal")]


def _param_issues(node: Node, spec: LayerSpec) -> list[Issue]:
    """An issue per unknown, bad or missing param of `node`, and for a bad `AS_LISTS` note."""
    issues = []
    known = {p.name for p in spec.params}
    where = f"{node.name!r} ({node.kind})"
    for key in node.params:
        if key not in known and key != AS_LISTS:
            expected = ", ".join(sorted(known)) or "none"
            issues.append(replace(node_issue(
                node, f"{where} has no parameter {key!r}. Expected one of: {expected}. "
                f"Received: {key}={node.params[key]!r}", "unknown_param",
                fixes=(DROP_FIX,)), data=IssueData({"param": key})))
    for p in spec.params:
        if p.name in node.params:
            problem = _coerce_problem(p, node.params[p.name])
            if problem:
                issue = node_issue(node, f"{where}: {problem}", "bad_param")
                meant = name_fix.suggestion(p, node.params[p.name])  # 'relu' for 'Relu'
                if percent_fix.fraction(p, node.params[p.name]) is not None:  # 50 for 0.5
                    issue = replace(issue, fixes=(percent_fix.FIX,),
                                    data=IssueData({"param": p.name}))
                elif meant is not None:
                    issue = replace(issue, fixes=(name_fix.FIX,),
                                    data=IssueData({"param": p.name, "suggestion": meant}))
                issues.append(issue)
        elif p.required:
            issues.append(node_issue(node, f"{where} needs a value for {p.name}. Received none",
                                 "missing_param"))
    try:
        spec.as_lists(node.params)
    except ParamError as exc:
        issues.append(node_issue(node, f"{where}: {exc}", "bad_param"))
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
def port_issues(node: Node, spec: LayerSpec, ports: dict[int, Edge]) -> list[Issue]:
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
                issues.append(node_issue(node, f"Input port {spec.port_name(port)} of {name!r} is "
                                     f"not connected{tail}", "unconnected_input", port))
        if not issues and len(connected) < spec.min_inputs:
            issues.append(node_issue(
                node, f"{name!r} ({node.kind}) merges {spec.min_inputs} or more tensors. "
                f"Received {len(connected)} input; it passes the tensor through unchanged",
                "merge_one_input", None, WARNING, ("remove_node",)))
        return issues
    top = spec.max_ports(params)
    for port in connected:
        if port >= top:
            issues.append(node_issue(
                node, f"{name!r} ({node.kind}) has {top} input port(s). "
                f"Received a connection on port {port}{_switch_hint(spec, params)}",
                "extra_input", port))
    for port in range(top):
        if port in ports:
            continue
        label = spec.port_name(port, params)
        if port < spec.min_inputs or port >= spec.max_inputs:  # keyword ports are needed
            issues.append(node_issue(node, f"Input port {label} of {name!r} is not connected"
                                 f"{_needed_by(spec, params, port)}", "unconnected_input", port))
        elif any(p > port for p in connected):
            later = spec.port_name(max(connected), params)
            fixes = (key_fix.FIX,) if key_fix.applies(node.kind, port, connected) else ()
            issues.append(node_issue(
                node, f"Input port {label} of {name!r} is not connected, but port {later} is: "
                "the ports are passed in order, so connect it too", "unconnected_input", port,
                fixes=fixes))
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
