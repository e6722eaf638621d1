"""The rows of a user block's contents view, named as Keras names the layers.

A plain block is inlined: its layers are named f"{instance}_{inner}", blocks inside it in
turn. A nested-model block builds a keras.Model whose layers keep their inner names, so a
layer is named relative to the nearest nested model around it, and each nested model
inside the shown one is a row of its own whose children are its layers (as
`model.get_layer(name).layers` lists them, after the Input). Shapes and counts come from
inference on the flattened document, so what is shown is what is built.
"""

from __future__ import annotations

import dataclasses

from ...graph import nested
from ...graph.blockcheck import output_refs
from ...graph.errors import KerasCanvasError
from ...graph.layers import shared
from ...graph.userblocks import KIND as USER_BLOCK
from ...graph.userblocks import flatten
from ...graph.validate import analyze
from ..canvas.render import shape_text


@dataclasses.dataclass
class Row:
    """One layer (or one nested model) of the view; `parent` is the key of its model row."""

    key: str
    parent: str | None
    name: str
    kind: str
    inputs: str
    shape: str
    count: int | None

    def texts(self) -> tuple[str, ...]:
        count = "" if self.count is None else f"{self.count:,}"
        return self.name, self.kind, self.inputs, self.shape, count


@dataclasses.dataclass
class _Link:
    """One step of a flat id: the inner node it names, and whether it builds a model."""

    prefix: str
    name: str
    block: str | None
    is_model: bool
    calls_model: bool = False  # a SharedCall of a nested model: one row, not its layers


def user_block_rows(doc, node_id: str) -> tuple[list[Row], str | None]:
    """The rows of instance `node_id` (nested blocks inlined or as model rows), and a
    problem text or None."""
    try:
        flat = flatten(doc)
    except KerasCanvasError as exc:
        return [], str(exc)
    results = analyze(flat).results
    rows: dict[str, Row] = {}
    unknown = False
    for nid, inner in flat.nodes.items():
        if not nid.startswith(f"{node_id}."):
            continue
        chain = _chain(doc, nid)
        call = next((i for i, link in enumerate(chain[1:-1], start=1) if link.calls_model),
                    None)
        if call is not None:
            unknown |= not _add_model_call(doc, flat, nid, chain[:call + 1], rows, results)
            continue
        parent = _add_model_rows(doc, chain, rows, results)
        result = results.get(nid)
        shapes = result.output_shapes if result is not None else None
        unknown |= not shapes
        inputs = ", ".join(_source_name(doc, flat, e, chain) for e in flat.in_edges(nid))
        _add_model_inputs(doc, flat, nid, chain, rows)
        rows[nid] = Row(nid, parent, _keras_name(chain), inner.kind, inputs,
                        shape_text(shapes[0] if shapes else None),
                        sum(result.count) if shapes and result.count is not None else None)
    problem = None
    if unknown:
        problem = ("Some shapes are unknown: connect the block's inputs and see the Issues "
                   "panel for problems upstream or inside the block.")
    return _with_model_counts(list(rows.values())), problem


def _chain(doc, flat_id: str) -> list[_Link]:
    """The nodes a flat id goes through, from the top-level instance to the layer."""
    segments = flat_id.split(".")
    top = doc.nodes[segments[0]]
    links = [_link(doc, segments[0], top.name, top.kind, top.params, {})]
    for i, segment in enumerate(segments[1:], start=2):
        definition = doc.blocks.get(links[-1].block)
        siblings = {n["id"]: n for n in definition["nodes"]} if definition else {}
        node = siblings.get(segment)
        if node is None:
            break
        links.append(_link(doc, ".".join(segments[:i]), node["name"], node["kind"],
                           node.get("params", {}), siblings))
    return links


def _link(doc, prefix, name, kind, params, siblings) -> _Link:
    """A link; a SharedCall of an inlined instance goes into its owner's definition."""
    if kind == shared.KIND:
        owner = siblings.get(params.get(shared.OWNER_PARAM)) or doc.nodes.get(
            params.get(shared.OWNER_PARAM))
        owner_params = owner.get("params", {}) if isinstance(owner, dict) else \
            getattr(owner, "params", {})
        block = owner_params.get("block")
        return _Link(prefix, name, block, False, nested.is_model_block(doc.blocks, block))
    block = params.get("block") if kind == USER_BLOCK else None
    return _Link(prefix, name, block, nested.is_model_block(doc.blocks, block))


def _scope(chain: list[_Link]) -> int | None:
    """The index of the nearest nested-model instance around the chain's last node."""
    around = [i for i, link in enumerate(chain[:-1]) if link.is_model]
    return around[-1] if around else None


def _keras_name(chain: list[_Link]) -> str:
    """Inlined blocks prefix their layers; a nested model keeps its layers' own names."""
    scope = _scope(chain)
    start = 0 if scope is None else scope + 1
    return "_".join(link.name for link in chain[start:])


def _add_model_rows(doc, chain: list[_Link], rows: dict[str, Row], results) -> str | None:
    """Add the rows of the nested models (inside the shown one) around the chain's last
    node, outer first; return the key of the innermost, the node's parent row."""
    parent = None
    for i, link in enumerate(chain[1:-1], start=1):
        if not link.is_model:
            continue
        if link.prefix not in rows:
            definition = doc.blocks[link.block]
            shapes = [_output_shape(results, link.prefix, ref) for ref in output_refs(definition)]
            rows[link.prefix] = Row(link.prefix, parent, _keras_name(chain[:i + 1]),
                                    nested.model_of(definition)["class"], "", "; ".join(shapes),
                                    None)
        parent = link.prefix
    return parent


def _add_model_call(doc, flat, node_id: str, chain: list[_Link], rows: dict[str, Row],
                    results) -> bool:
    """The row of a further call of a nested model (the chain ends at the SharedCall), for
    flat node `node_id`, one of the call's copies; whether its shapes are known."""
    call = chain[-1]
    parent = _add_model_rows(doc, chain, rows, results)
    if call.prefix not in rows:
        shapes = [_output_shape(results, call.prefix, ref)
                  for ref in output_refs(doc.blocks[call.block])]
        rows[call.prefix] = Row(call.prefix, parent, _keras_name(chain), shared.KIND, "",
                                "; ".join(shapes), 0)
    _add_model_inputs(doc, flat, node_id, chain + [call], rows)
    return results.get(node_id) is not None and bool(results[node_id].output_shapes)


def _add_model_inputs(doc, flat, node_id: str, chain: list[_Link],
                      rows: dict[str, Row]) -> None:
    """Name, on the rows of the nested models (or model calls) around the chain's last
    node, flat node `node_id`, the sources from outside each that feed that node."""
    for i, link in enumerate(chain[1:-1], start=1):
        if not (link.is_model or link.calls_model):
            continue
        row = rows[link.prefix]
        for edge in flat.in_edges(node_id):
            if edge.src.startswith(f"{link.prefix}."):
                continue
            name = _source_name(doc, flat, edge, chain[:i + 1])
            if name not in row.inputs.split(", "):
                row.inputs = ", ".join(filter(None, [row.inputs, name]))


def _output_shape(results, prefix: str, ref: dict) -> str:
    result = results.get(f"{prefix}.{ref['node']}")
    shapes = result.output_shapes if result is not None else None
    port = ref.get("port", 0)
    return shape_text(shapes[port] if shapes and port < len(shapes) else None)


def _source_name(doc, flat, edge, chain: list[_Link]) -> str:
    """The Keras name of an edge's source as seen by the chain's last node: a layer of the
    same model by its name (a nested model by its own), anything outside it as that
    model's Input."""
    scope = _scope(chain)
    if scope is None:
        return flat.nodes[edge.src].name
    model = chain[scope]
    if edge.src.startswith(f"{model.prefix}."):
        source = _chain(doc, edge.src)
        inner = [i for i, link in enumerate(source[:-1])
                 if i > scope and (link.is_model or link.calls_model)]
        return _keras_name(source[:inner[0] + 1] if inner else source)
    definition = doc.blocks[model.block]
    child = chain[scope + 1].prefix.rsplit(".", 1)[-1]
    ports = [p for p, targets in enumerate(definition["inputs"])
             if any(t["node"] == child for t in targets)] or [0]
    return nested.input_name(nested.model_of(definition), _keras_name(chain[:scope + 1]),
                             ports[0], len(definition["inputs"]))


def _with_model_counts(rows: list[Row]) -> list[Row]:
    """Each nested model's row counts the parameters of the layers it holds."""
    children: dict[str | None, list[Row]] = {}
    for row in rows:
        children.setdefault(row.parent, []).append(row)

    def total(row: Row) -> int | None:
        if row.count is not None or row.key not in children:
            return row.count
        counts = [total(child) for child in children[row.key]]
        row.count = None if None in counts else sum(counts)
        return row.count

    for row in rows:
        total(row)
    return rows
