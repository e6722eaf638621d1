"""Importing models with custom layers: find the user's classes, keep their source.

A saved model names each custom class by its `registered_name` (`package>Class`,
or just `Class` for an unregistered one). Keras cannot load it without the
class, so the user gives a Python file (`--custom-code FILE.py`). The file is
parsed with `ast` to find the classes; it is executed only when the user trusts
it (`--trust-custom-code`), and then Keras still loads the model in safe mode with
exactly those classes passed as `custom_objects`. Each layer of such a class
becomes a CustomLayer node holding the file's import lines, the class source and
the constructor arguments taken from the layer's `get_config()`. A class whose
source is not given comes in without it (`custom_missing`), and nothing runs.
"""

from __future__ import annotations

import ast
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kerascanvas.graph import pysource
from kerascanvas.graph.layers import custom
from kerascanvas.graph.spec import get_spec

from .custom_missing import is_placeholder, recorded_call
from .import_call import call_template
from .import_map import Call, ModelImportError, custom_class_inside
from .keras_env import import_keras


class UntrustedCodeError(ModelImportError):
    """The model needs custom code that the user did not trust."""


@dataclass(frozen=True)
class Reference:
    """One custom class a model config names."""

    registered_name: str
    class_name: str
    package: str
    layer: str  # the first layer using it


def read_classes(path: str | os.PathLike) -> dict[str, str]:
    """class name -> source (the file's import lines, then the class) of each top-level
    class of a Python file. Parsed only: nothing in the file runs."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        tree = pysource.parse(text, filename=str(path))
    except OSError as exc:
        raise ModelImportError(f"{path}: cannot read it ({exc.strerror})") from None
    except (SyntaxError, ValueError) as exc:
        raise ModelImportError(f"{path}: not valid Python ({exc})") from None
    lines = text.splitlines()
    imports = [_segment(lines, n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    head = "\n".join(imports)
    classes = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            body = _segment(lines, node)
            classes[node.name] = f"{head}\n\n\n{body}\n" if head else f"{body}\n"
    return classes


def _segment(lines: list[str], node: ast.stmt) -> str:
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return "\n".join(lines[start - 1:node.end_lineno])


def references(config: Any, layer: str = "?") -> list[Reference]:
    """The custom classes a serialized model names (first use each), outside keras."""
    found: dict[str, Reference] = {}
    _walk(config, layer, found)
    return list(found.values())


def _walk(value: Any, layer: str, found: dict[str, Reference]) -> None:
    if isinstance(value, list):
        for item in value:
            _walk(item, layer, found)
        return
    if not isinstance(value, dict):
        return
    inner = value.get("config")
    here = inner.get("name", layer) if isinstance(inner, dict) else layer
    registered = value.get("registered_name")
    if isinstance(registered, str) and not _keras_module(value) and not is_function(value):
        package, _, name = registered.rpartition(">")
        found.setdefault(registered, Reference(registered, name, package or
                                               custom.DEFAULT_PACKAGE, here))
    for key, item in value.items():
        if key != "compile_config" and not is_setting(key):  # no layers there
            _walk(item, here, found)


def is_function(value: dict) -> bool:
    """Whether a serialized object is a Python function (`{"class_name": "function",
    "config": "my_loss"}`, only its name in the file), not a class."""
    return value.get("class_name") == "function"


def is_setting(key: str) -> bool:
    """Whether a layer config key holds a Keras object that is no layer: an activation, an
    initializer, a regularizer or a constraint."""
    return key.endswith(("activation", "_initializer", "_regularizer", "_constraint"))


def _keras_module(value: dict) -> bool:
    module = str(value.get("module") or "")  # "kerascanvas_custom_X" is a user class
    return module == "keras" or module.startswith("keras.")


def custom_settings(config: Any, layer: str = "?", key: str = "?"
                    ) -> list[tuple[str, str, str, str]]:
    """(layer, setting, name, "function" or "class") of each custom function a serialized
    model's layers name, and of each custom class they hold as a setting (`is_setting`),
    depth first. The model's compile settings are left out (a custom loss is left behind
    with a note); a custom layer class is a layer, not a setting."""
    if isinstance(config, list):
        return [f for item in config for f in custom_settings(item, layer, key)]
    if not isinstance(config, dict):
        return []
    if is_function(config) and not _keras_module(config):
        return [(layer, key, str(config.get("config")), "function")]
    if is_setting(key) and isinstance(config.get("class_name"), str) \
            and not _keras_module(config):
        return [(layer, key, str(config.get("registered_name") or config["class_name"]),
                 "class")]
    inner = config.get("config")
    here = inner.get("name", layer) if isinstance(inner, dict) else layer
    return [f for name, item in config.items() if name != "compile_config"
            for f in custom_settings(item, here, name)]


_MODELS = ("Functional", "Sequential", "Model")


def wrapped_custom_classes(config: Any) -> list[tuple[str, str, str]]:
    """(layer, class, registered name) of each Keras layer of a serialized model (nested
    models walked into) whose config holds a custom class: a custom layer inside
    TimeDistributed or Bidirectional, a custom RNN cell. Its node would be a KerasLayer,
    which rebuilds Keras' own classes only."""
    inner = config.get("config") if isinstance(config, dict) else None
    entries = inner.get("layers") if isinstance(inner, dict) else None
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not _keras_module(entry):
            continue
        if entry.get("class_name") in _MODELS:
            found += wrapped_custom_classes(entry)
            continue
        held = custom_class_inside(entry.get("config"))
        if held is not None:
            name = (entry.get("config") or {}).get("name", "?")
            found.append((str(name), str(entry.get("class_name")), held))
    return found


def load_custom_objects(config: dict, where: str, code: str | os.PathLike | None,
                        trusted: bool) -> tuple[dict[str, dict], list[Reference]]:
    """(registered name -> CustomLayer params, class loaded, for each custom class of
    `config` that the file `code` defines; the classes neither Keras nor `code` knows).

    The unknown classes come in without source (`custom_missing`): nothing runs for them.

    Raises:
        ModelImportError: the code file cannot be read or parsed.
        UntrustedCodeError: the code file was not trusted (nothing from it ran).
    """
    keras = import_keras()
    refs = references(config)
    unknown = [r for r in refs if keras.saving.get_registered_object(r.registered_name) is None]
    if code is None:
        return {}, unknown  # classes this process registered itself: Keras finds them
    classes = read_classes(code)
    missing = [r for r in unknown if r.class_name not in classes]
    refs = [r for r in refs if r.class_name in classes]
    if not refs:
        return {}, missing
    if not trusted:
        listed = ", ".join(f"{r.class_name} (layer {r.layer!r})" for r in refs)
        raise UntrustedCodeError(f"{where}: loading it runs custom code from {code} "
                                 f"({listed}); nothing ran. Review that file, then pass "
                                 "--trust-custom-code")
    from .custom_code import load_class

    out = {}
    for ref in refs:
        params = {"class_name": ref.class_name, "source": classes[ref.class_name],
                  "package": ref.package}
        load_class(params, {custom.code_digest(params)})
        out[ref.registered_name] = params
    return out, missing


def missing_note(ref: Reference, code: str | os.PathLike | None) -> str:
    """The import's note on a class it brought in without source."""
    where = f"{code} defines no class {ref.class_name}" if code else "no source was given"
    return (f"custom layer {ref.layer!r} (registered name {ref.registered_name}): {where}; "
            "imported as a CustomLayer without source (its config and recorded shapes "
            "kept). Attach its class to build or run it: kerascanvas attach-code PROJECT "
            "FILE.py")


def custom_objects(loaded: dict[str, dict]) -> dict[str, type]:
    """The `custom_objects` Keras needs: registered name -> class, for loaded classes."""
    from .custom_code import load_class

    return {name: load_class(p, {custom.code_digest(p)}) for name, p in loaded.items()}


def constructor_kwargs(layer) -> dict[str, Any]:
    """The layer's `get_config()` without its name and the keys a bare Layer has by default."""
    keras = import_keras()
    base = keras.layers.Layer().get_config()
    config = layer.get_config()
    kwargs = {k: v for k, v in config.items()
              if k != "name" and not (k in base and _same(v, base[k]))}
    try:
        return json.loads(json.dumps(kwargs))
    except (TypeError, ValueError) as exc:
        raise ModelImportError(f"layer {layer.name!r}: its get_config() is not JSON data "
                               f"({exc})") from None


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def custom_call(node, classes: dict[type, dict]) -> Call | None:
    """The CustomLayer node for a call of a user class, or None for any other layer."""
    layer = node.operation
    base = classes.get(type(layer))
    if base is None:
        return None
    template, tensors = call_template(node)
    as_list = {"args": [[{"__input__": i} for i in range(len(tensors))]]}
    if template != {"args": [{"__input__": 0}]} and not (len(tensors) > 1
                                                         and template == as_list):
        raise ModelImportError(f"custom layer {layer.name!r} is called with extra arguments; "
                               "a CustomLayer node takes its input or the list of its inputs")
    kwargs = constructor_kwargs(layer)
    frozen = kwargs.pop("trainable", True) is False  # the node's own trainable param
    params = {**base, "kwargs": kwargs or None, "trainable": False if frozen else None,
              "outputs": len(node.outputs) if len(node.outputs) > 1 else None}
    if is_placeholder(layer):  # no code: keep the shapes Keras recorded for this call
        params["output_shapes"] = recorded_call(layer, [t.shape for t in tensors]) or None
        params["stored_weights"] = getattr(layer, "stored_weights", None)
    return Call(custom.KIND, {k: v for k, v in params.items() if v is not None}, tensors)


def record(doc, params: dict, tensors: list, outputs: list, layer) -> None:
    """Trust the imported code in `doc`'s context and keep the shapes Keras computed."""
    from .custom_code import weight_count

    if is_placeholder(layer):  # nothing ran: its recorded shapes are in its params
        return
    ctx = custom.context(doc)
    resolved = get_spec(custom.KIND).resolve(params)
    ctx.trusted = ctx.trusted | {custom.code_digest(resolved)}
    key = custom.shape_key(resolved, [tuple(t.shape) for t in tensors])
    ctx.results[key] = {"outputs": [list(t.shape) for t in outputs],
                        "count": weight_count(layer)}


def share_context(source, target) -> None:
    """Add the trust and the shapes `source`'s import recorded (a nested model's own walk)
    to `target`'s context: the code is the same project's."""
    found, into = custom.context(source), custom.context(target)
    into.trusted = into.trusted | found.trusted
    into.results.update(found.results)
