"""Changing what a node is while it keeps its place: wrap a layer (Bidirectional,
TimeDistributed, SpectralNormalization), unwrap it, or change it to a kind of the same
family (LSTM to GRU, Conv2D to SeparableConv2D, Add to Multiply).

The node keeps its id, name, position, wires and model-output slots, so training
settings and search spaces that name it still apply; only a name Keras would have given
the old kind (no user typed it: `leaky_re_lu`) follows a changed kind (`re_lu`). A wire
or an output slot on a port the new kind does not have is dropped. Each change is one undoable step.

Only changes that the analysis accepts are offered: the new node must take the tensors
wired into it now (checked by the same inference the analysis runs), with the params
carried over. A node that is not wired yet is not checked against shapes. Pure: no Qt,
keras or torch.

>>> from kerascanvas.graph.document import Document, Edge
>>> doc, stack = Document(), cmd.UndoStack()
>>> x = doc.add_node("Input", params={"shape": [10, 8]})
>>> rnn = doc.add_node("LSTM", params={"units": 4})
>>> doc.connect(Edge(x.id, 0, rnn.id, 0))
>>> "Bidirectional" in wrap_choices(doc, rnn.id), "GRU" in kind_choices(doc, rnn.id)
(True, True)
>>> wrap(doc, rnn.id, "Bidirectional", stack); doc.node(rnn.id).params["layer"]
{'kind': 'LSTM', 'params': {'units': 4}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import commands as cmd
from .document import Document, Edge, Node
from .errors import DocumentError, KerasCanvasError
from .inference import ERROR, infer_node
from .keras_quirks import RETURNS_INPUT
from .layers.recurrent_cells import CELL_KINDS, cell_spec
from .layers.wrappers import WRAPPERS
from .names import default_name, is_auto_name, is_default_name, new_node_name
from .spec import GENERIC, INPUT, LAYER_SPECS, SHARED_CALL, LayerSpec, get_spec

# Wrappers of one layer; a Pipeline holds a list and is made from several nodes.
WRAP_KINDS = tuple(w for w in WRAPPERS if w != "Pipeline")
# Params many unrelated kinds have, which say nothing about a kind's family (besides
# every *_initializer, *_regularizer and *_constraint).
_GENERIC_PARAMS = {"trainable", "dtype", "name", "seed", "data_format", "activation",
                   "use_bias", "activity_regularizer"}
_GENERIC_ENDINGS = ("_initializer", "_regularizer", "_constraint")


def _results(doc: Document, results: Mapping | None) -> Mapping:
    if results is not None:
        return results
    from .validate import analyze

    return analyze(doc).results


def accepts(doc: Document, node_id: str, kind: str, params: dict,
            results: Mapping | None = None) -> bool:
    """Whether a node of `kind` with `params` in the place of `node_id` would be valid
    there: params, ports and (when wired) the shapes arriving now."""
    node = doc.node(node_id)
    edges = doc.in_edges(node_id)
    results = _results(doc, results) if edges else {}
    if edges and any(results.get(e.src) is None or not results[e.src].ok for e in edges):
        edges = []  # what arrives is unknown: judge the params only
    trial = Node(node_id, kind, node.name, params)
    try:
        result, issues = infer_node(doc, trial, edges, results)
    except KerasCanvasError:
        return False
    problems = [i for i in issues if i.severity == ERROR]
    if not edges:  # unwired ports are not the new kind's fault
        problems = [i for i in problems if i.code != "unconnected_input"]
        return not problems and result.params is not None
    return not problems and result.ok


def carried(node: Node, spec: LayerSpec) -> dict:
    """The node's params the other kind also has, where its ParamSpec takes the value,
    on top of the other kind's initial params. A recurrent layer changed to an RNN takes
    the matching cell with the layer's cell params (LSTM(8) -> RNN(LSTMCell(8))), and an
    RNN of one such cell changed to that cell's layer takes the cell's params back."""
    params = _carry(node.params, node.spec.params, spec.params, spec.initial_params())
    cell = node.params.get("cell")
    if spec.kind == "RNN" and f"{node.kind}Cell" in CELL_KINDS:
        kind = f"{node.kind}Cell"
        params["cell"] = {"kind": kind, "params": _carry(
            node.params, node.spec.params, cell_spec(kind).params, {})}
    elif node.kind == "RNN" and isinstance(cell, Mapping) and cell.get("kind") == \
            f"{spec.kind}Cell":
        kind = cell["kind"]
        params = _carry(cell.get("params", {}), cell_spec(kind).params, spec.params, params)
    return params


def _carry(values: Mapping[str, Any], types, specs, params: dict) -> dict:
    """`params` with each of `values` whose name the `specs` have, of the same type as in
    `types` (the params `values` were set for), and which that ParamSpec takes."""
    names = {p.name: p for p in specs}
    mine = {p.name: p.type for p in types}
    for name, value in values.items():
        p = names.get(name)
        if p is None or mine.get(name) != p.type:
            continue
        try:
            p.coerce(value)
        except (KerasCanvasError, TypeError, ValueError):
            continue
        params[name] = value
    return params


def _own_params(spec: LayerSpec) -> set[tuple[str, str]]:
    """The params that make the kind what it is (`units`, `rate`, `pool_size`), with
    their types (BatchNormalization's bool `scale` is not Rescaling's number)."""
    return {(p.name, p.type) for p in spec.params
            if p.name not in _GENERIC_PARAMS and not p.name.endswith(_GENERIC_ENDINGS)}


def _family(spec: LayerSpec, other: LayerSpec) -> bool:
    """Kinds a node may change between: the same palette category, neither a wrapper,
    an Input, a generic or a user-made kind, sharing a param that makes them what they
    are (`_own_params`), or (outside the mixed Core category) both having none."""
    excluded = {INPUT, GENERIC, SHARED_CALL, *WRAPPERS, *RETURNS_INPUT}
    if spec.kind == other.kind or other.kind in excluded or spec.kind in excluded:
        return False
    if other.category != spec.category or other.kind not in LAYER_SPECS:
        return False
    if other.composite and not other.is_block:
        return False  # user blocks, applications, custom layers: not a family member
    mine, theirs = _own_params(spec), _own_params(other)
    if spec.category == "Core":
        return bool(mine & theirs)
    return bool(mine & theirs) or not (mine or theirs)


def kind_choices(doc: Document, node_id: str, results: Mapping | None = None) -> list[str]:
    """The kinds `node_id` can change to (see `_family`), each taking what arrives there."""
    node = doc.node(node_id)
    try:
        spec = get_spec(node.kind)
    except KeyError:
        return []
    results = _results(doc, results)
    return sorted(other.kind for other in LAYER_SPECS.values()
                  if _family(spec, other)
                  and accepts(doc, node_id, other.kind, carried(node, other), results))


def wrap_choices(doc: Document, node_id: str, results: Mapping | None = None) -> list[str]:
    """The wrappers `node_id` can go into: those whose inner-layer choices hold its kind,
    where the wrapped node takes what arrives there."""
    node = doc.node(node_id)
    results = _results(doc, results)
    return [w for w in WRAP_KINDS
            if node.kind in get_spec(w).param("layer").choices
            and accepts(doc, node_id, w, _wrapped(node), results)]


def _wrapped(node: Node) -> dict:
    spec = get_spec(node.kind)
    try:
        params = spec.non_default(spec.resolve(node.params))
    except KerasCanvasError:
        params = dict(node.params)
    return {"layer": {"kind": node.kind, "params": params}}


def can_unwrap(doc: Document, node_id: str) -> bool:
    """Whether `node_id` is a wrapper of one layer."""
    node = doc.node(node_id)
    layer = node.params.get("layer")
    return node.kind in WRAP_KINDS and isinstance(layer, Mapping) and "kind" in layer


def change_kind(doc: Document, node_id: str, kind: str, stack: cmd.UndoStack) -> None:
    """Make `node_id` a `kind` node, carrying over the params both kinds have."""
    node = doc.node(node_id)
    name = doc.unique_name(default_name(kind), exclude=node_id) \
        if _renamable(doc, node) else node.name
    _replace(doc, node_id, kind, carried(node, get_spec(kind)), stack,
             f"Change {node.name} to {kind}", name)


def _renamable(doc: Document, node: Node) -> bool:
    """Whether the node's name is Keras' own for its kind and no setting names it (a loss
    per output, a search space, a dict key keep their node by keeping its name)."""
    settings = (doc.training, doc.search, doc.weights, doc.input_keys, doc.output_keys)
    return is_default_name(node.name, node.kind) and not _mentions(settings, node.name)


def set_param(doc: Document, node_id: str, name: str, value: Any,
              stack: cmd.UndoStack) -> None:
    """Set one param of `node_id` (`UNSET` resets it). Where the node's name is still the
    automatic one of its old params and the new ones name a new node otherwise (an
    Application's architecture: `mobilenetv2_1.00_224` to `resnet50`), the name follows,
    in the same undo step, as a changed kind's does (`change_kind`)."""
    node = doc.node(node_id)
    old = dict(node.params)
    new = {k: v for k, v in {**old, name: value}.items() if v is not cmd.UNSET}
    renamed = _followed_name(doc, node, old, new)
    if renamed is None:
        stack.push(cmd.SetParam(doc, node_id, name, value))
        return
    with stack.macro(f"Set {name} of {node.name}"):
        stack.push(cmd.SetParam(doc, node_id, name, value))
        stack.push(cmd.Rename(doc, node_id, renamed))


def _followed_name(doc: Document, node: Node, old: dict, new: dict) -> str | None:
    """The automatic name a node with params `new` gets, where `node` has the automatic
    name of params `old`, no setting names it and the two differ; else None."""
    spec = get_spec(node.kind)
    try:
        old, new = spec.resolve(old), spec.resolve(new)
    except KerasCanvasError:
        return None
    base = new_node_name(node.kind, new)
    settings = (doc.training, doc.search, doc.weights, doc.input_keys, doc.output_keys)
    if (base == new_node_name(node.kind, old) or not is_auto_name(node.name, node.kind, old)
            or _mentions(settings, node.name)):
        return None
    return doc.unique_name(base, exclude=node.id)


def _mentions(value: Any, name: str) -> bool:
    if isinstance(value, Mapping):
        return any(_mentions(k, name) or _mentions(v, name) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_mentions(v, name) for v in value)
    return value == name


def wrap(doc: Document, node_id: str, wrapper: str, stack: cmd.UndoStack) -> None:
    """Put the layer of `node_id` inside a `wrapper` node of the same name."""
    if wrapper not in WRAP_KINDS:
        raise DocumentError(f"{wrapper!r} is not a wrapper; expected one of "
                            + ", ".join(WRAP_KINDS))
    node = doc.node(node_id)
    if node.kind not in get_spec(wrapper).param("layer").choices:
        raise DocumentError(f"{wrapper} cannot wrap a {node.kind} layer ({node.name!r})")
    _replace(doc, node_id, wrapper, _wrapped(node), stack, f"Wrap {node.name} in {wrapper}")


def hold_in_pipeline(doc: Document, node_id: str, stack: cmd.UndoStack) -> None:
    """Replace `node_id` by a Pipeline node of the same name that holds its layer (a layer
    a functional model cannot hold alone, such as Equalization, runs there)."""
    node = doc.node(node_id)
    if node.kind not in get_spec("Pipeline").param("layers").choices:
        raise DocumentError(f"A Pipeline cannot hold a {node.kind} layer ({node.name!r})")
    _replace(doc, node_id, "Pipeline", {"layers": [_wrapped(node)["layer"]]}, stack,
             f"Hold {node.name} in a Pipeline")


def unwrap(doc: Document, node_id: str, stack: cmd.UndoStack) -> None:
    """Replace a wrapper node by its inner layer, which takes the wrapper's name."""
    if not can_unwrap(doc, node_id):
        node = doc.node(node_id)
        raise DocumentError(f"{node.name!r} ({node.kind}) is not a wrapper of one layer")
    node = doc.node(node_id)
    layer = node.params["layer"]
    _replace(doc, node_id, layer["kind"], dict(layer.get("params", {})), stack,
             f"Unwrap {node.name}")


def _replace(doc: Document, node_id: str, kind: str, params: dict[str, Any],
             stack: cmd.UndoStack, text: str, name: str | None = None) -> None:
    """Remove the node and add a `kind` node with its id, name (or `name`), place,
    position, wires and output slots, dropping those on ports the new node lacks."""
    node = doc.node(node_id)
    spec = get_spec(kind)
    try:
        resolved = spec.resolve(params)
    except KerasCanvasError as exc:
        raise DocumentError(f"{node.name!r} cannot become {kind}: {exc}") from None
    inputs, most = spec.max_ports(resolved), spec.outputs(resolved)
    ins = [e for e in doc.in_edges(node_id) if inputs is None or e.dst_port < inputs]
    outs = [e for e in doc.out_edges(node_id) if e.src_port < most]
    outputs = [o for o in doc.outputs
               if doc.output_ref(o)[0] != node_id or doc.output_ref(o)[1] < most]
    index, pos = list(doc.nodes).index(node_id), doc.position(node_id)
    with stack.macro(text):
        stack.push(cmd.RemoveNode(doc, node_id))
        stack.push(cmd.AddNode(doc, kind, name or node.name, params=params, pos=pos,
                               node_id=node_id, index=index))
        for e in [*ins, *outs]:
            stack.push(cmd.Connect(doc, Edge(e.src, e.src_port, e.dst, e.dst_port)))
        if outputs != doc.outputs:
            stack.push(cmd.SetOutputs(doc, outputs))
