"""Walking a Keras model's graph into a document, call by call (`importer` drives it).

`Walker` adds one model graph's calls as nodes and edges: a layer that maps exactly
becomes a node of our own kind (`import_map`), else a KerasLayer node with its full
config; a further call of the same layer becomes a SharedCall node of the first; a
nested keras.applications network becomes an Application node, another nested model a
nested-model block (`import_nested`) or, when a block cannot rebuild it, its calls
inlined (the `ImportReport`'s notes say why).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kerascanvas.graph.document import Document, Edge, output_entry
from kerascanvas.graph.layers.custom import KIND as CUSTOM
from kerascanvas.graph.layers.shared import KIND as SHARED_CALL
from kerascanvas.graph.layers.shared import OWNER_PARAM as SHARED_OWNER
from kerascanvas.graph.layers.shared import own_keywords as shared_keywords
from kerascanvas.graph.spec import APPLICATION, GENERIC, INPUT, LAYER_SPECS, USER_BLOCK

from . import import_nested
from .custom_import import custom_call, record, share_context
from .import_call import argument_tensors, given_keywords
from .import_map import ModelImportError, map_call
from .keras_env import import_keras

__all__ = ["ImportReport", "Walker", "functional"]


@dataclass
class ImportReport:
    """What an import made: the document, and each generic node with the reason."""

    doc: Document
    generic: dict[str, str] = field(default_factory=dict)  # node name -> why
    notes: list[str] = field(default_factory=list)  # choices the import made, for the user
    # a layer's path in the document -> its path in the model where they differ (the layers
    # of an inlined nested model): the weights section's `paths` (graph.initial_weights)
    weight_paths: dict[str, str] = field(default_factory=dict)


class Walker:
    """Adds the nodes and edges of one model graph (and nested ones) to a document."""

    def __init__(self, report: ImportReport, custom: dict | None = None):
        self.report = report
        self.custom = custom or {}  # user class -> CustomLayer params (trusted code)
        self.doc = report.doc
        self.refs: dict[int, tuple[str, int]] = {}  # id(KerasTensor) -> (node id, port)
        self.calls: dict[int, int] = {}  # id(layer) -> calls seen so far
        self.owners: dict[int, str] = {}  # id(layer) -> the node of its first call
        # ids of the graph nodes (layer calls) of the imported model, at every depth
        self.live: frozenset[int] = frozenset()
        self.prefix = ""  # the path of names of the inlined models being walked ("base/")

    def add_inputs(self, model) -> None:
        keras = import_keras()
        for tensor in model.inputs:
            layer = tensor._keras_history.operation
            if not isinstance(layer, keras.layers.InputLayer):
                raise ModelImportError(f"model input {tensor.name!r} is not a keras.Input")
            params = {"shape": list(tensor.shape[1:])}
            if tensor.shape[0] is not None:
                params["batch_size"] = tensor.shape[0]
            if tensor.dtype != "float32":
                params["dtype"] = tensor.dtype
            node = self.doc.add_node(INPUT, self._name(layer.name), params)
            self.refs[id(tensor)] = (node.id, 0)

    def walk(self, model) -> None:
        """Add every call of `model`, whose inputs already have refs."""
        graph = functional(model)
        order = {id(op): i for i, op in enumerate(graph._operations)}
        for depth in sorted(graph._nodes_by_depth, reverse=True):
            nodes = sorted(graph._nodes_by_depth[depth],
                           key=lambda n: (order[id(n.operation)], _call_index(n)))
            for node in nodes:
                if not node.is_input:
                    self._call(node)

    def _call(self, node) -> None:
        op = node.operation
        if _is_model(op):
            if not self._model_again(node) and not self._application(node) \
                    and not self._user_block(node):
                self._inline(node)
            return
        call = custom_call(node, self.custom) if self.custom else None
        call, why = (call, None) if call is not None else map_call(node)
        nth = self.calls.get(id(op), 0)
        self.calls[id(op)] = nth + 1
        name = self._name(op.name if nth == 0 else f"{op.name}_call{nth}")
        if nth == 0:
            new = self.doc.add_node(call.kind, name, call.params)
            self.owners[id(op)] = new.id
            if getattr(op, "weights", None):  # the layers the weights section matches
                self._keep_path(name, op.name)
        else:  # the same layer object again: one node owns it, this one calls it
            new = self.doc.add_node(SHARED_CALL, name, self._shared(op, call, node, name))
            why = None
        for port, tensor in enumerate(call.inputs):
            src, src_port = self._ref(tensor, name)
            self.doc.connect(Edge(src, src_port, new.id, port))
        for port, tensor in enumerate(node.outputs):
            self.refs[id(tensor)] = (new.id, port)
        if call.kind == "CustomLayer":  # Keras ran the trusted class: keep its shapes
            record(self.doc, call.params, call.inputs, node.outputs, op)
        if why is not None:
            self.report.generic[name] = why

    def _shared(self, op, call, node, name: str) -> dict:
        """The params of a further call of `op`, checked against its first call."""
        owner = self.doc.node(self.owners[id(op)])
        spec = LAYER_SPECS.get(call.kind)
        # Call keywords (reverse=True) may differ per call: the call site keeps its own.
        fixed = [k for k in (spec.call_only if spec else ()) if k not in spec.call_params]
        if call.kind != owner.kind or any(call.params.get(k) != owner.params.get(k)
                                          for k in ("call", *fixed)):
            raise ModelImportError(
                f"layer {op.name!r} is called in different ways (as {owner.name!r} and as "
                f"{name!r}); a shared layer must be called the same way at each use")
        if owner.kind in (GENERIC, CUSTOM):  # its shape rule reads the shapes Keras recorded
            records = owner.params.setdefault("output_shapes", [])
            for record in call.params.get("output_shapes") or []:
                if record["inputs"] not in [r["inputs"] for r in records]:
                    records.append(record)
        own = shared_keywords(spec, owner.params, call.params) if spec else {}
        return {SHARED_OWNER: owner.id, **own}

    def _application(self, node) -> bool:
        """A nested keras.applications network becomes one Application node."""
        from .finetune import recognize_application

        params = recognize_application(node.operation)
        if params is None or len(argument_tensors(node)) != 1:
            return False
        new = self.doc.add_node(APPLICATION, self._name(node.operation.name), params)
        self._keep_path(f"{new.name}/", f"{node.operation.name}/")
        self._connect_call(node, new.id)
        self.owners[id(node.operation)] = new.id  # a further call shares it
        self.calls[id(node.operation)] = 1
        return True

    def _user_block(self, node) -> bool:
        """A nested model becomes a nested-model block (definition plus instance), named as
        the model; `nested_block` says why not otherwise, and the model is inlined."""
        made, why = _nested_block(node, self.doc.blocks, self.report, self.custom, self.live)
        if made is None:
            self.report.notes.append(f"nested model {node.operation.name!r} was inlined: {why}")
            return False
        block, params, inner_paths = made
        model = node.operation.name
        new = self.doc.add_node(USER_BLOCK, self._name(model), params)
        self._keep_path(f"{new.name}/", f"{model}/")
        for mine, theirs in inner_paths.items():
            self._keep_path(f"{new.name}/{mine}", f"{model}/{theirs}")
        self._connect_call(node, new.id)
        self.owners[id(node.operation)] = new.id
        self.calls[id(node.operation)] = 1
        return True

    def _model_again(self, node) -> bool:
        """A further call of a nested model imported as a block: a SharedCall of it."""
        model = node.operation
        owner = self.owners.get(id(model))
        if owner is None:
            return False
        nth = self.calls[id(model)]
        self.calls[id(model)] = nth + 1
        new = self.doc.add_node(SHARED_CALL, self._name(f"{model.name}_call{nth}"),
                                {SHARED_OWNER: owner})
        self._connect_call(node, new.id)
        return True

    def _connect_call(self, node, new_id: str) -> None:
        for port, tensor in enumerate(argument_tensors(node)):
            src, src_port = self._ref(tensor, node.operation.name)
            self.doc.connect(Edge(src, src_port, new_id, port))
        for port, tensor in enumerate(node.outputs):
            self.refs[id(tensor)] = (new_id, port)

    def _inline(self, node) -> None:
        inner = functional(node.operation)
        extra = given_keywords(node)
        if extra:
            raise ModelImportError(f"nested model {node.operation.name!r} is called with "
                                   f"{extra}; only its inputs can be imported")
        outer = argument_tensors(node)
        if len(outer) != len(inner.inputs):
            raise ModelImportError(f"nested model {node.operation.name!r} expects "
                                   f"{len(inner.inputs)} inputs, received {len(outer)}")
        for mine, theirs in zip(inner.inputs, outer, strict=True):
            self.refs[id(mine)] = self._ref(theirs, node.operation.name)
        outside, self.prefix = self.prefix, f"{self.prefix}{node.operation.name}/"
        try:
            self.walk(inner)
        finally:
            self.prefix = outside
        for mine, theirs in zip(inner.outputs, node.outputs, strict=True):
            self.refs[id(theirs)] = self.refs[id(mine)]

    def _keep_path(self, path: str, name: str) -> None:
        """Note the model's path of the layer (or nested model, ending in `/`) `name` walked
        now, when the document's `path` for it differs (`ImportReport.weight_paths`)."""
        if path != f"{self.prefix}{name}":
            self.report.weight_paths[path] = f"{self.prefix}{name}"

    def output(self, tensor) -> str:
        """The `Document.outputs` entry of a model output: the port of the node that makes
        it (a further port for RNN states, attention scores, a layer's k-th output)."""
        return output_entry(*self._ref(tensor, "outputs"))

    def _ref(self, tensor, where: str) -> tuple[str, int]:
        try:
            return self.refs[id(tensor)]
        except KeyError:
            raise ModelImportError(f"layer {where!r} reads tensor {tensor.name!r}, which no "
                                   "layer of the model produces") from None

    def _name(self, name: str) -> str:
        return self.doc.unique_name(name.replace("/", "_"))


def _nested_block(node, blocks: dict, report: ImportReport, custom: dict,
                  live: frozenset[int]) -> tuple[tuple[str, dict, dict] | None, str]:
    """((block name, instance params, weight paths inside it), "") for a nested model's
    first call, its definition added to `blocks` (with those of the models nested in it)
    and its generic layers and notes to `report`; or (None, why not)."""
    model = node.operation
    extra = given_keywords(node)
    if extra:
        return None, f"it is called with {extra}; a block is called on its inputs only"
    graph = functional(model)
    if isinstance(getattr(graph, "_inputs_struct", None), dict):
        return None, "it takes its inputs as a dict, whose keys a block's ports do not keep"
    if len(graph.inputs) != len(argument_tensors(node)):
        return None, "it is called on a structure of tensors other than its inputs"
    inner = Walker(ImportReport(Document()), custom)  # custom classes: CustomLayer nodes
    inner.live = live
    inner.doc.blocks = dict(blocks)  # the models nested in it become blocks too
    inner.add_inputs(graph)
    inner.walk(graph)
    try:
        import_nested.check_outputs(graph, node)
        import_nested.check_layers_inside(graph, live)
        definition = import_nested.definition(inner.doc, graph, inner.refs, model)
    except import_nested.NotABlock as why:
        return None, str(why)
    blocks.update(inner.doc.blocks)
    share_context(inner.doc, report.doc)  # the trusted code Keras ran, and its shapes
    report.generic.update(inner.report.generic)
    report.notes += inner.report.notes
    name = import_nested.block_name(model.name, blocks)
    blocks[name] = definition
    return (name, import_nested.instance_params(name, model), inner.report.weight_paths), ""


def _call_index(node) -> int:
    """Which call of its layer a graph node is (calls of one depth keep the model's order)."""
    calls = getattr(node.operation, "_inbound_nodes", [])
    return next((i for i, n in enumerate(calls) if n is node), len(calls))


def _is_model(op) -> bool:
    keras = import_keras()
    return isinstance(op, keras.Model)


def functional(model):
    """The Functional graph behind a model (a Sequential keeps one once built)."""
    graph = getattr(model, "_functional", None) if not hasattr(model, "_nodes_by_depth") \
        else model
    if graph is None or not hasattr(graph, "_nodes_by_depth"):
        raise ModelImportError(
            f"model {model.name!r} is a {type(model).__name__} without a layer graph; only "
            "Functional models and built Sequential models can be imported")
    return graph
