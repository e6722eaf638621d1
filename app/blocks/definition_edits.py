"""A block definition as its dialog edits it: the params it lists, why a name is refused,
and a rename or change of exposed params applied as one undo step.

No widgets here: `definition_dialog.BlockDefinitionDialog` shows the rows and asks
`definition_problem`; `user_blocks.UserBlocksMixin` applies `edit_definition`.
"""

from __future__ import annotations

from ...graph.commands import SetParam
from ...graph.document import UNSET
from ...graph.errors import DocumentError, KerasCanvasError
from ...graph.spec import get_spec
from ...graph.userblock_commands import SetBlockDefinition
from ...graph.userblocks import KIND, bound_spec, check_definition, definition_of, instances
from ..panels.editors import value_text


def _spec_of(blocks, kind: str, params: dict):
    return bound_spec(blocks, params.get("block")) if kind == KIND else get_spec(kind)


def param_rows(blocks, nodes) -> list[tuple[str, str, str, str]]:
    """(node id, node name, param, current value's text as the properties panel shows it)
    for nodes given as (id, name, kind, params)."""
    rows = []
    for nid, name, kind, params in nodes:
        spec = _spec_of(blocks, kind, params)
        for p in spec.params:
            if kind == KIND and p.name == "block":
                continue  # which definition an inner instance uses is not a tunable value
            rows.append((nid, name, p.name, value_text(p, params.get(p.name, p.start_value()))))
    return rows


def definition_problem(name: str, keys: list[str], taken) -> str | None:
    """Why `name` with block params `keys` would be refused, or None."""
    if name in taken:
        return f"A block named {name!r} already exists"
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        return f"Each block param needs its own name. Received twice: {', '.join(dupes)}"
    # The graph's own check decides which names are allowed; a one-node stand-in asks it.
    probe = {"nodes": [{"id": "a", "kind": "Dense", "name": "a"}], "edges": [],
             "inputs": [[{"node": "a"}]], "output": {"node": "a"},
             "params": {k: {"node": "a", "param": "units"} for k in keys}}
    try:
        check_definition(name, probe, {})
    except KerasCanvasError as exc:
        return str(exc).replace("blocks.", "", 1) if str(exc).startswith("blocks.") else str(exc)
    return None


def edit_definition(doc, stack, old: str, new: str, exposed: dict, doc_text: str = "") -> None:
    """Rename block `old` to `new` and/or change its exposed params, as one undo step.

    `exposed` maps block param name -> (inner node id, inner param). A param kept
    under a new name keeps its default and every instance's value; a param no
    longer exposed is written into the inner node, so instances keep the default.
    """
    definition = definition_of(doc, old)
    before = definition.get("params", {})
    target_key = {tuple(ref): key for key, ref in exposed.items()}
    renamed = {k: target_key.get((r["node"], r["param"])) for k, r in before.items()}
    nodes = {n["id"]: n for n in definition["nodes"]}
    params = {}
    for key, (nid, param) in exposed.items():
        old_key = next((k for k, n in renamed.items() if n == key), None)
        params[key] = dict(before[old_key]) if old_key else {
            "node": nid, "param": param,
            "default": nodes[nid].get("params", {}).get(param, _start(doc, nodes[nid], param))}
    for key, ref in before.items():
        if renamed[key] is None and "default" in ref:
            nodes[ref["node"]].setdefault("params", {})[ref["param"]] = ref["default"]
    definition["params"] = params
    definition.pop("doc", None)
    if doc_text:
        definition["doc"] = doc_text
    if new != old and new in doc.blocks:
        raise DocumentError(f"A block named {new!r} already exists")
    with stack.macro(f"Edit block {new}"):
        stack.push(SetBlockDefinition(doc, new, definition))
        for other in [b for b in doc.blocks if b not in (old, new)]:
            changed = _retarget(doc, other, old, new, renamed)
            if changed is not None:
                stack.push(SetBlockDefinition(doc, other, changed))
        for iid in instances(doc, old):
            _move_values(doc, stack, iid, renamed, new if new != old else None)
        if new != old:
            stack.push(SetBlockDefinition(doc, old, None))


def _start(doc, node: dict, param: str):
    return _spec_of(doc.blocks, node["kind"], node.get("params", {})).param(param).start_value()


def _move_values(doc, stack, iid: str, renamed: dict, block: str | None) -> None:
    values = dict(doc.node(iid).params)
    moved = {renamed[k]: values[k] for k in renamed if k in values and renamed[k] != k}
    for key in renamed:
        if key in values and renamed[key] != key:
            stack.push(SetParam(doc, iid, key, UNSET))
    for key, value in moved.items():
        if key is not None:
            stack.push(SetParam(doc, iid, key, value))
    if block is not None:
        stack.push(SetParam(doc, iid, "block", block))


def _retarget(doc, other: str, old: str, new: str, renamed: dict) -> dict | None:
    """Definition `other` with its inner instances of `old` following the edit, or None."""
    definition = definition_of(doc, other)
    inner = [n for n in definition["nodes"]
             if n["kind"] == KIND and n.get("params", {}).get("block") == old]
    if not inner:
        return None
    for node in inner:
        values = node.setdefault("params", {})
        moved = {renamed[k]: values.pop(k) for k in list(values)
                 if k in renamed and renamed[k] != k}
        values.update({k: v for k, v in moved.items() if k is not None})
        values["block"] = new
        for key, ref in definition.get("params", {}).items():
            if ref["node"] == node["id"] and ref["param"] in renamed:
                if renamed[ref["param"]] is None:
                    raise DocumentError(f"Block {other!r} exposes {ref['param']!r} of {old!r} "
                                        f"as {key!r}; keep it exposed or edit {other!r} first")
                ref["param"] = renamed[ref["param"]]
    return definition
