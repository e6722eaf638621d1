"""A residual block whose branch shrinks: the convolutions to pad 'same'. Pure.

A merge (Add, Concatenate, ...) whose inputs differ in height and width is most often
a residual block whose branch convolutions kept Keras' default padding='valid': each
one takes kernel_size - 1 off every side, and the branch no longer matches the
shortcut. Cropping or padding the inputs makes them fit, but the natural fix is to
pad those convolutions 'same'. `shrinking_convs` finds them: the layers on the
branches between the split (the nearest node every merge input comes from) and the
merge, with padding='valid' and a choice of 'same', whose output 'same' changes. It
replays the branches with them set to 'same' and offers them only when the merge
then accepts its inputs (strides that do not allow it: no fix).
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document, Edge
from .fixplan import accepts
from .node_result import NodeResult, shape_spec
from .spec import LayerSpec

FIX = "set_branch_padding_same"


def shrinking_convs(doc: Document, merge: LayerSpec, merge_params: dict,
                    edges: list[Edge], results: Mapping[str, NodeResult]) -> list[str]:
    """The ids of the branch layers to set to padding='same' (in graph order), or []
    when that does not make the merge accept its inputs."""
    sources = [e.src for e in sorted(edges, key=lambda e: e.dst_port)]
    reach = [_upstream(doc, s) for s in sources]
    common = set.intersection(*reach) if reach else set()
    branch = set().union(*reach) - common
    if not common or not branch:
        return []
    order = [n for n in doc.graph_index().order if n in branch]
    shapes: dict[str, list] = {}
    changed = []
    for nid in order:
        found = _replay(doc, nid, results, shapes)
        if found is None:
            return []
        shapes[nid], pads = found
        changed += [nid] if pads else []
    inputs = [_shape_of(e, results, shapes) for e in sorted(edges, key=lambda e: e.dst_port)]
    return changed if changed and accepts(merge, merge_params, inputs) else []


def _upstream(doc: Document, node_id: str) -> set[str]:
    seen, todo = {node_id}, [node_id]
    while todo:
        for e in doc.in_edges(todo.pop()):
            if e.src not in seen:
                seen.add(e.src)
                todo.append(e.src)
    return seen


def _shape_of(edge: Edge, results: Mapping[str, NodeResult], shapes: dict[str, list]):
    outputs = shapes.get(edge.src)
    if outputs is None:
        result = results.get(edge.src)
        outputs = result.output_shapes if result is not None else None
    return None if outputs is None or edge.src_port >= len(outputs) else outputs[edge.src_port]


def _replay(doc: Document, nid: str, results: Mapping[str, NodeResult],
            shapes: dict[str, list]) -> tuple[list, bool] | None:
    """(the node's output shapes on the replayed inputs, whether 'same' changed them),
    or None when the node cannot be replayed."""
    node, result = doc.nodes[nid], results.get(nid)
    spec = shape_spec(doc, node)
    if spec is None or result is None or result.params is None:
        return None
    inputs = [_shape_of(e, results, shapes)
              for e in sorted(doc.in_edges(nid), key=lambda e: e.dst_port)]
    if any(s is None for s in inputs):
        return None
    params = result.params
    try:
        kept = [tuple(s) for s in spec.output_shapes(params, inputs)]
        if params.get("padding") != "valid" or not _offers_same(spec):
            return kept, False
        padded = [tuple(s) for s in spec.output_shapes({**params, "padding": "same"}, inputs)]
    except Exception:  # noqa: BLE001 - a branch that cannot be replayed gets no fix
        return None
    return padded, padded != kept


def _offers_same(spec: LayerSpec) -> bool:
    return any(p.name == "padding" and p.choices and "same" in p.choices for p in spec.params)
