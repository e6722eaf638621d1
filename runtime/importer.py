"""Keras models -> project documents.

`import_model` walks a Functional (or Sequential) model's graph call by call
(`import_walk.Walker`), then places the nodes and keeps the model's structure. The
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
from pathlib import Path

from kerascanvas.graph import limits
from kerascanvas.graph.document import Document, model_name_problem
from kerascanvas.graph.layers.custom import DEFAULT_PACKAGE
from kerascanvas.graph.layout import layered_layout

from . import archive_check, import_nested
from .custom_import import (
    custom_objects,
    custom_settings,
    load_custom_objects,
    missing_note,
    wrapped_custom_classes,
)
from .custom_missing import placeholder_class, prepare_config
from .custom_weights import read_stored_weights
from .import_errors import explain_load_error
from .import_map import ModelImportError, wrapped_message
from .import_notes import keep_structure, sequential_note
from .import_walk import ImportReport, Walker, functional
from .keras_env import import_keras

log = logging.getLogger(__name__)

# Serialized class names that stand for Python code.
_CODE_CLASSES = {"Lambda", "__lambda__", "TFOpLambda", "SlicingOpLambda"}


def layout(doc: Document) -> None:
    """Give every node a position: the layered layout, with sizes guessed from names."""
    for node_id, pos in layered_layout(doc).items():
        doc.set_position(node_id, pos)


def import_model_report(model, custom: dict | None = None) -> ImportReport:
    """Import a model and say which nodes became generic KerasLayer nodes, and why.

    `custom` maps user classes (loaded from trusted code) to the CustomLayer params
    their layers get (see `load_with_code`).
    """
    report = ImportReport(Document())
    walker = Walker(report, custom)
    graph = functional(model)
    walker.live = frozenset(import_nested.graph_nodes(graph, functional))
    walker.add_inputs(graph)
    walker.walk(graph)
    outputs = [walker.output(t) for t in graph.outputs]
    if len(set(outputs)) != len(outputs):
        log.warning("model %s lists one node's outputs twice; kept once", model.name)
    report.doc.set_outputs(list(dict.fromkeys(outputs)))
    import_nested.drop_unused_operations(report.doc)
    layout(report.doc)
    if model_name_problem(model.name) is None:
        report.doc.model_name = model.name
    report.notes += keep_structure(report.doc, model, graph,
                                   lambda t: walker._ref(t, "inputs")[0], walker.output)
    if isinstance(model, import_keras().Sequential):
        report.notes.append(sequential_note(report.doc, model.name))
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


def _refuse_custom_settings(config, where: str) -> None:
    """Refuse custom functions and classes in layer settings, then custom classes held by
    a Keras layer (a wrapper's), before Keras loads anything."""
    found = custom_settings(config)
    if found:
        layer, setting, name, what = found[0]
        instead = "a custom layer class (--custom-code)" if what == "function" else \
            "a custom layer class holding it (--custom-code)"
        raise ModelImportError(
            f"{where}: refused, layer {layer!r} uses the custom {what} {name!r} as its "
            f"{setting}; the file holds only its name, not its code, and only custom layer "
            f"classes come in. Use a Keras built-in there, or {instead}")
    wrapped = wrapped_custom_classes(config)
    if wrapped:
        layer, class_name, held = wrapped[0]
        raise ModelImportError(wrapped_message(f"{where}: refused, ", layer, class_name, held))


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
    try:  # a key given twice is left marked, for check_config to name with its field
        data = json.loads(text, object_pairs_hook=limits.unique_keys)
    except RecursionError:
        raise ModelImportError(
            f"{where}: values are nested more than {archive_check.MAX_CONFIG_NESTING} levels "
            f"deep{limits.deep_place(text, archive_check.MAX_CONFIG_NESTING)}") from None
    except ValueError as exc:
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
    if path.is_dir():
        raise ModelImportError(
            f"{path}: a folder, not a model file. Expected a .keras file or a model's JSON; a "
            "TensorFlow SavedModel folder is not read: save the model as .keras from the "
            "Keras that made it (model.save('model.keras'))")
    if not path.is_file():
        raise ModelImportError(f"{path}: no such file")
    if _is_hdf5(path):
        raise ModelImportError(
            f"{path}: an HDF5 file, Keras' legacy .h5 format, which the import does not read. "
            "Load it in Keras and save it as .keras: "
            "keras.saving.load_model('model.h5').save('model.keras')")
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
    _refuse_custom_settings(config, str(path))
    return config


def _is_hdf5(path: Path) -> bool:
    """Whether the file starts with HDF5's signature (a .h5 model or weights file)."""
    try:
        with path.open("rb") as handle:
            return handle.read(8) == b"\x89HDF\r\n\x1a\n"
    except OSError:
        return False


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
    if stand_ins:  # rebuilt from the config, uncompiled as load_model(compile=False) is
        config = {key: value for key, value in prepare_config(config, set(stand_ins)).items()
                  if key != "compile_config"}
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
