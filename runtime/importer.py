"""Keras models -> project documents.

`import_model` walks a Functional (or Sequential) model's graph call by call. The
model keeps its name, and the keys of dict inputs and outputs (`import_notes`).
Each call becomes a node: of our own kind when the layer maps exactly (see
`import_map`), else a KerasLayer node holding the full config. Nested models
become an Application node when they are a keras.applications network (same
config), else a nested-model block (definition plus instance, `import_nested`) named
as the model, which builds a nested model again: with one output port per model output,
its shared layers and keras.applications bases inside. A model the block cannot rebuild
(called with extra keywords, dict outputs, a layer also called outside it) is inlined
with its own layer names, and the report's notes say why. A
layer or nested model called several times (shared weights) stays one node, at its
first call; each further call is a SharedCall node named f"{layer}_call{i}" that
calls that same object.

`import_file` reads `.keras` archives and model JSON (`model.to_json()`). Both
are loaded in Keras' safe mode, and a Lambda layer (arbitrary Python) is
refused before Keras sees the file.
"""

from __future__ import annotations

import json
import logging
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from kerascanvas.graph.document import Document, Edge, model_name_problem, output_entry
from kerascanvas.graph.layers.custom import DEFAULT_PACKAGE
from kerascanvas.graph.layers.custom import KIND as CUSTOM
from kerascanvas.graph.layers.shared import KIND as SHARED_CALL
from kerascanvas.graph.layers.shared import OWNER_PARAM as SHARED_OWNER
from kerascanvas.graph.spec import APPLICATION, GENERIC, INPUT, LAYER_SPECS, USER_BLOCK

from . import archive_check, import_nested
from .custom_import import (
    custom_call,
    custom_objects,
    load_custom_objects,
    missing_note,
    record,
    share_context,
)
from .custom_missing import placeholder_class, prepare_config
from .custom_weights import read_stored_weights
from .import_errors import explain_load_error
from .import_map import ModelImportError, implied_keyword, map_call
from .import_notes import keep_structure
from .keras_env import import_keras

log = logging.getLogger(__name__)

# Serialized class names that stand for Python code.
_CODE_CLASSES = {"Lambda", "__lambda__", "TFOpLambda", "SlicingOpLambda"}


@dataclass
class ImportReport:
    """What an import made: the document, and each generic node with the reason."""

    doc: Document
    generic: dict[str, str] = field(default_factory=dict)  # node name -> why
    notes: list[str] = field(default_factory=list)  # choices the import made, for the user


class _Walker:
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
        graph = _functional(model)
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
        keywords = (LAYER_SPECS[call.kind].call_only if call.kind in LAYER_SPECS else ())
        if call.kind != owner.kind or any(call.params.get(k) != owner.params.get(k)
                                          for k in ("call", *keywords)):
            raise ModelImportError(
                f"layer {op.name!r} is called in different ways (as {owner.name!r} and as "
                f"{name!r}); a shared layer must be called the same way at each use")
        if owner.kind in (GENERIC, CUSTOM):  # its shape rule reads the shapes Keras recorded
            records = owner.params.setdefault("output_shapes", [])
            for record in call.params.get("output_shapes") or []:
                if record["inputs"] not in [r["inputs"] for r in records]:
                    records.append(record)
        return {SHARED_OWNER: owner.id}

    def _application(self, node) -> bool:
        """A nested keras.applications network becomes one Application node."""
        from .finetune import recognize_application

        params = recognize_application(node.operation)
        if params is None or len(node.arguments.keras_tensors) != 1:
            return False
        new = self.doc.add_node(APPLICATION, self._name(node.operation.name), params)
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
        block, params = made
        new = self.doc.add_node(USER_BLOCK, self._name(node.operation.name), params)
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
        for port, tensor in enumerate(node.arguments.keras_tensors):
            src, src_port = self._ref(tensor, node.operation.name)
            self.doc.connect(Edge(src, src_port, new_id, port))
        for port, tensor in enumerate(node.outputs):
            self.refs[id(tensor)] = (new_id, port)

    def _inline(self, node) -> None:
        inner = _functional(node.operation)
        extra = {k for k, v in node.arguments.kwargs.items() if not implied_keyword(k, v)}
        if extra:
            raise ModelImportError(f"nested model {node.operation.name!r} is called with "
                                   f"{sorted(extra)}; only its inputs can be imported")
        outer = node.arguments.keras_tensors
        if len(outer) != len(inner.inputs):
            raise ModelImportError(f"nested model {node.operation.name!r} expects "
                                   f"{len(inner.inputs)} inputs, received {len(outer)}")
        for mine, theirs in zip(inner.inputs, outer, strict=True):
            self.refs[id(mine)] = self._ref(theirs, node.operation.name)
        self.walk(inner)
        for mine, theirs in zip(inner.outputs, node.outputs, strict=True):
            self.refs[id(theirs)] = self.refs[id(mine)]

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
                  live: frozenset[int]) -> tuple[tuple[str, dict] | None, str]:
    """((block name, instance params), "") for a nested model's first call, its definition
    added to `blocks` (with those of the models nested in it) and its generic layers and
    notes to `report`; or (None, why not)."""
    model = node.operation
    extra = {k for k, v in node.arguments.kwargs.items() if not implied_keyword(k, v)}
    if extra:
        return None, f"it is called with {sorted(extra)}; a block is called on its inputs only"
    graph = _functional(model)
    if len(graph.inputs) != len(node.arguments.keras_tensors):
        return None, "it is called on a structure of tensors other than its inputs"
    inner = _Walker(ImportReport(Document()), custom)  # custom classes: CustomLayer nodes
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
    return (name, import_nested.instance_params(name, model)), ""


def _call_index(node) -> int:
    """Which call of its layer a graph node is (calls of one depth keep the model's order)."""
    calls = getattr(node.operation, "_inbound_nodes", [])
    return next((i for i, n in enumerate(calls) if n is node), len(calls))


def _is_model(op) -> bool:
    keras = import_keras()
    return isinstance(op, keras.Model)


def _functional(model):
    """The Functional graph behind a model (a Sequential keeps one once built)."""
    graph = getattr(model, "_functional", None) if not hasattr(model, "_nodes_by_depth") \
        else model
    if graph is None or not hasattr(graph, "_nodes_by_depth"):
        raise ModelImportError(
            f"model {model.name!r} is a {type(model).__name__} without a layer graph; only "
            "Functional models and built Sequential models can be imported")
    return graph


def layout(doc: Document, dx: float = 240.0, dy: float = 110.0) -> None:
    """Give every node a position: columns by topological generation, rows within one."""
    try:
        from kerascanvas.graph import layout as graph_layout
    except ImportError:
        graph_layout = None
    if graph_layout is not None and hasattr(graph_layout, "layered_layout"):
        positions = graph_layout.layered_layout(doc)
        for node_id, pos in positions.items():
            doc.set_position(node_id, pos)
        return
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(doc.nodes)
    g.add_edges_from((e.src, e.dst) for e in doc.edges)
    for column, generation in enumerate(nx.topological_generations(g)):
        rank = {nid: i for i, nid in enumerate(doc.nodes)}
        for row, node_id in enumerate(sorted(generation, key=rank.get)):
            doc.set_position(node_id, (column * dx, row * dy))


def import_model_report(model, custom: dict | None = None) -> ImportReport:
    """Import a model and say which nodes became generic KerasLayer nodes, and why.

    `custom` maps user classes (loaded from trusted code) to the CustomLayer params
    their layers get (see `load_with_code`).
    """
    report = ImportReport(Document())
    walker = _Walker(report, custom)
    graph = _functional(model)
    walker.live = frozenset(import_nested.graph_nodes(graph, _functional))
    walker.add_inputs(graph)
    walker.walk(graph)
    outputs = [walker.output(t) for t in graph.outputs]
    if len(set(outputs)) != len(outputs):
        log.warning("model %s lists one node's outputs twice; kept once", model.name)
    report.doc.set_outputs(list(dict.fromkeys(outputs)))
    layout(report.doc)
    if model_name_problem(model.name) is None:
        report.doc.model_name = model.name
    report.notes += keep_structure(report.doc, model, graph,
                                   lambda t: walker._ref(t, "inputs")[0], walker.output)
    if isinstance(model, import_keras().Sequential):
        report.notes.append(
            f"model {model.name!r} is a Sequential: the Sequential code style (--style "
            "sequential) writes it as one again; the functional style writes keras.Model, "
            "whose layers list starts with its InputLayer")
    return report


def import_model(model) -> Document:
    """A document equivalent to a Keras Functional or Sequential model.

    Args:
        model: a built `keras.Model` (Functional, or a Sequential with an input shape).

    Returns:
        The document: inputs and outputs in the model's order, every node placed.

    Raises:
        ModelImportError: a subclassed model, or a graph the document cannot hold.
    """
    return import_model_report(model).doc


# ---- files ---------------------------------------------------------------
def find_code_layers(config) -> list[str]:
    """Names of the layers in a serialized model that carry Python code (Lambda and kin)."""
    found = []
    if isinstance(config, dict):
        if config.get("class_name") in _CODE_CLASSES:
            inner = config.get("config")
            found.append(inner.get("name", "?") if isinstance(inner, dict) else "?")
        for value in config.values():
            found += find_code_layers(value)
    elif isinstance(config, list):
        for value in config:
            found += find_code_layers(value)
    return found


def _refuse_code(config, where: str) -> None:
    names = find_code_layers(config)
    if names:
        raise ModelImportError(
            f"{where}: refused, layer {names[0]!r} is a Lambda layer (arbitrary Python code, "
            "which Keras Canvas never runs). Replace it with a regular or registered layer")


def _read_keras_config(path: Path) -> dict:
    problem = archive_check.incomplete(path)
    if problem:
        raise ModelImportError(f"{path}: {problem}")
    try:
        with zipfile.ZipFile(path) as archive:
            archive_check.check_members(archive, str(path))
            text = archive_check.read_config_member(archive, "config.json", str(path))
    except archive_check.ArchiveError as exc:
        raise ModelImportError(str(exc)) from None
    except (zipfile.BadZipFile, EOFError, NotImplementedError, zlib.error):
        raise ModelImportError(f"{path}: not a .keras file (expected a zip archive)") from None
    except KeyError:
        raise ModelImportError(f"{path}: not a .keras file (no config.json inside)") from None
    return _parse_json(text, f"{path}: config.json")


def _parse_json(text, where: str) -> dict:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ModelImportError(f"{where}: not valid JSON ({exc})") from None
    try:
        archive_check.check_config(data, where)
    except archive_check.ArchiveError as exc:
        raise ModelImportError(str(exc)) from None
    if not isinstance(data, dict) or "class_name" not in data:
        raise ModelImportError(f"{where}: expected a serialized Keras model (an object with "
                               f"'class_name'), received {type(data).__name__}")
    return data


def check_file(path: str | os.PathLike) -> dict:
    """The model config of a `.keras` archive or model JSON, checked without keras.

    Raises:
        ModelImportError: no such file, not a model, or a Lambda layer (code) inside.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelImportError(f"{path}: no such file")
    if path.suffix == ".keras":
        config = _read_keras_config(path)
    else:
        try:
            archive_check.check_config_size(path.stat().st_size, str(path))
            config = _parse_json(path.read_bytes(), str(path))
        except archive_check.ArchiveError as exc:
            raise ModelImportError(str(exc)) from None
        except OSError as exc:
            raise ModelImportError(f"{path}: cannot read it ({exc.strerror})") from None
    _refuse_code(config, str(path))
    return config


def load_file(path: str | os.PathLike):
    """Load a `.keras` archive or model JSON in safe mode, refusing Lambda layers first."""
    return load_with_code(path)[0]


def load_with_code(path: str | os.PathLike, code: str | os.PathLike | None = None,
                   trusted: bool = False, notes: list[str] | None = None):
    """(model, {user class: CustomLayer params}) of a `.keras` archive or model JSON.

    Safe mode stays on; custom classes the model names come from the Python file
    `code`, which runs only when `trusted` (see `custom_import.load_custom_objects`).
    Classes with no source stand in as placeholders that run nothing (their layers
    become CustomLayer nodes without source; a line per class goes to `notes`); the
    model is then rebuilt from its config alone, without weights.
    """
    config = check_file(path)
    keras = import_keras()
    loaded, missing = load_custom_objects(config, str(path), code, trusted)
    objects = custom_objects(loaded)
    stand_ins = {r.registered_name: placeholder_class(r.registered_name) for r in missing}
    if config.get("registered_name") in stand_ins:  # a keras.Model subclass, saved by name
        raise ModelImportError(
            f"{path}: the model is a {config.get('class_name')} (a keras.Model subclass) "
            "without a layer graph; only Functional models and built Sequential models can "
            "be imported")
    objects.update(stand_ins)
    path = Path(path)
    if stand_ins:
        config = prepare_config(config, set(stand_ins))
        loader = lambda: keras.saving.deserialize_keras_object(  # noqa: E731
            config, safe_mode=True, custom_objects=objects)
    elif path.suffix == ".keras":
        loader = lambda: keras.saving.load_model(  # noqa: E731
            path, safe_mode=True, compile=False, custom_objects=objects or None)
    else:
        loader = lambda: keras.saving.deserialize_keras_object(  # noqa: E731
            config, safe_mode=True, custom_objects=objects or None)
    try:
        model = loader()
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for a bad file
        raise ModelImportError(explain_load_error(keras, path, config, objects, exc)) from None
    if not isinstance(model, keras.Model):
        raise ModelImportError(f"{path}: expected a Keras model, received "
                               f"{type(model).__name__}")
    if stand_ins:  # their weight counts: shapes read from the archive, nothing run
        read_stored_weights(model, path)
    if notes is not None:
        notes += [missing_note(r, code) for r in missing]
    classes = {objects[name]: params for name, params in loaded.items()}
    classes.update({cls: {"class_name": name.rpartition(">")[2], "source": "",
                          "package": name.rpartition(">")[0] or DEFAULT_PACKAGE}
                    for name, cls in stand_ins.items()})
    return model, classes


def import_file(path: str | os.PathLike) -> Document:
    """A document from a `.keras` archive or a model JSON file (see `import_model`)."""
    return import_model(load_file(path))


def import_file_report(path: str | os.PathLike) -> ImportReport:
    return import_model_report(load_file(path))
