"""The layers an initial weights file is matched against, at every depth. Pure.

Keras saves a model's weights layer by layer, and a nested model (a Sequential or a
functional model used as a layer) holds layers of its own. The runtime
(`runtime.initial_weights`) names each layer holding weights by its path of names:
"d1", "block/inner_dense" (the layer inner_dense of the nested model block).
`model_paths` gives the same paths for a document without building it: user block
instances inlined (f"{instance}_{inner}"), block kinds expanded (f"{block}_{sublayer}"),
nested models walked into. `config_paths` gives the paths of the layers of a `.keras`
archive's config.json, so the two can be compared before anything is loaded.

>>> from kerascanvas.graph.document import Document, Edge
>>> doc = Document()
>>> x = doc.add_node("Input", "x", params={"shape": [4]})
>>> d = doc.add_node("Dense", "d", params={"units": 2})
>>> r = doc.add_node("Dropout", "r", params={"rate": 0.5})
>>> doc.connect(Edge(x.id, 0, d.id, 0)); doc.connect(Edge(d.id, 0, r.id, 0))
>>> doc.set_outputs([r.id])
>>> model_paths(doc)
['d']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import nested
from .block_expansion import trace_block
from .document import Document
from .errors import KerasCanvasError
from .initial_weights import archive_path
from .layers import shared
from .node_result import spec_of
from .spec import APPLICATION, INPUT, USER_BLOCK
from .userblock_inline import flatten, model_document
from .validate import Analysis, analyze

_MODEL_CLASSES = ("Functional", "Sequential", "Model")


def model_paths(doc: Document, prefix: str = "", analysis: Analysis | None = None
                ) -> list[str]:
    """The paths of the layers of `doc`'s model that hold weights, as the runtime names
    them; a keras.applications base counts as one (its layers are Keras' own).
    `analysis` is `doc`'s when the caller holds it (used unless instances are inlined)."""
    flat = doc
    if any(n.kind == USER_BLOCK and not nested.is_model_block(doc.blocks, n.params.get("block"))
           for n in doc.nodes.values()):
        try:
            flat, analysis = flatten(doc, keep_models=True), None
        except KerasCanvasError:  # a broken definition: its instance is counted as one
            pass
    analysis = analysis or analyze(flat)
    paths: list[str] = []
    left_out = set(analysis.left_out)
    for node in flat.nodes.values():
        result = analysis.results.get(node.id)
        if node.id not in left_out and result is not None:
            paths += _node_paths(flat, node, result, prefix)
    return paths


def _node_paths(doc: Document, node, result, prefix: str) -> list[str]:
    spec = spec_of(node)
    if spec is None or spec.kind in (INPUT, shared.KIND):  # a shared call owns no weights
        return []
    shapes = list(result.input_shapes)
    if spec.kind == USER_BLOCK and nested.is_model_block(doc.blocks, node.params.get("block")):
        inner = model_document(doc.blocks, node.params, node.name, shapes)
        return model_paths(inner, f"{prefix}{node.name}/")
    if spec.is_block and result.params is not None:
        try:
            _, subs = trace_block(spec.kind, result.params, shapes)
        except KerasCanvasError:
            return [f"{prefix}{node.name}"]
        return [f"{prefix}{node.name}_{name}" for name, sub in subs.items() if sum(sub.count)]
    if spec.kind == APPLICATION or result.count is None or sum(result.count):
        return [f"{prefix}{node.name}"]
    return []


def config_paths(config: Any) -> list[str]:
    """The paths of the layers of an archive's model config (config.json, parsed), nested
    models walked into, Input layers left out; [] where the config lists no layers."""
    return list(_config_paths(config, ""))


def _config_paths(config: Any, prefix: str) -> Iterator[str]:
    inner = config.get("config") if isinstance(config, Mapping) else None
    layers = inner.get("layers") if isinstance(inner, Mapping) else None
    for layer in layers if isinstance(layers, list) else ():
        if not isinstance(layer, Mapping) or layer.get("class_name") == "InputLayer":
            continue
        name = layer.get("name") or (layer.get("config") or {}).get("name")
        path = f"{prefix}{name}"
        if layer.get("class_name") in _MODEL_CLASSES:
            yield from _config_paths(layer, f"{path}/")
        else:
            yield path


def matching(ours: list[str], theirs: list[str],
             paths: dict[str, str] | None = None) -> list[str]:
    """Those of `ours` found in `theirs` (a keras.applications base of ours matches the
    file's layers under its name), each looked up at its archive path where the weights
    section's `paths` gives one (`initial_weights.archive_path`)."""
    held = set(theirs)
    held |= {path.rsplit("/", i)[0] for path in theirs for i in range(1, path.count("/") + 1)}
    return [path for path in ours if archive_path(path, paths or {}) in held]
