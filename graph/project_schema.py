"""The structure of a project file: its JSON Schema, and the check of a parsed file
against it that names the first field that does not fit (`nodes[2].kind`).

Only the structure: the references between nodes, edges and outputs are checked where
the document is built (`graph.projectfile`).
"""

from __future__ import annotations

import difflib
from typing import Any

import jsonschema

from . import limits
from .errors import ProjectFileError
from .initial_weights import SCHEMA as WEIGHTS_SCHEMA
from .model_section import SCHEMA as MODEL_SCHEMA
from .search import SCHEMA as SEARCH_SCHEMA

FORMAT = "kerascanvas"
VERSION = 2

_ID = {"type": "string", "minLength": 1, "maxLength": 200}
_PORT = {"type": "integer", "minimum": 0, "maximum": 10000}
_OUTPUT_PORT = {"type": "object", "required": ["node", "port"],
                "properties": {"node": _ID, "port": _PORT}, "additionalProperties": False}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["format", "version", "nodes", "edges", "outputs"],
    "properties": {
        "format": {"const": FORMAT},
        "version": {"type": "integer", "minimum": 1},
        # A misspelt field is refused, not ignored: `parms` would drop a node's values,
        # `trainig` every training setting.
        "nodes": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "kind", "name"],
            "properties": {"id": _ID, "kind": {"type": "string"}, "name": {"type": "string"},
                           "params": {"type": "object"}},
            "additionalProperties": False,
        }},
        "edges": {"type": "array", "items": {
            "type": "object",
            "required": ["src", "src_port", "dst", "dst_port"],
            "properties": {"src": _ID, "dst": _ID, "src_port": _PORT, "dst_port": _PORT},
            "additionalProperties": False,
        }},
        # a node id is the node's output port 0; {"node", "port"} names a further port
        "outputs": {"type": "array", "items": {"anyOf": [_ID, _OUTPUT_PORT]}},
        "training": {"type": "object"},
        "ui": {"type": "object"},
        "blocks": {"type": "object"},
        "search": SEARCH_SCHEMA,
        "model": MODEL_SCHEMA,
        "weights": WEIGHTS_SCHEMA,
    },
    "additionalProperties": False,
}
# JSON Schema counts 0.0 as an integer; a port or version of 0.0 must be refused here,
# or it reaches code that indexes with it.
_STRICT_TYPES = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool))
_VALIDATOR = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, type_checker=_STRICT_TYPES)(SCHEMA)
_field = limits.field_name


def check_schema(data: Any) -> None:
    """Refuse `data` unless it has the file's structure: a `ProjectFileError` naming the
    first field that does not fit (`nodes[2].kind`), or the format and version."""
    if not isinstance(data, dict):
        raise ProjectFileError(f"expected a JSON object, received {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise ProjectFileError(
            f"not a Keras Canvas project: expected format {FORMAT!r}, "
            f"received {data.get('format')!r}", field="format")
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        raise ProjectFileError(
            f"this file was written by a newer Keras Canvas (version {version}); "
            f"this one reads version {VERSION} and older", field="version")
    # jsonschema takes about 0.5 ms per node; the long lists are checked item by item with
    # a plain reading of the same schema, and jsonschema words the message of a bad item.
    lists = {key: data.get(key) for key in _LISTS if isinstance(data.get(key), list)}
    _raise_first(SCHEMA, {**data, **dict.fromkeys(lists, [])}, ())
    for key, items in lists.items():
        item_schema = SCHEMA["properties"][key]["items"]
        for i, item in enumerate(items):
            if not _plain_match(item, item_schema):
                _raise_first(item_schema, item, (key, i))


_LISTS = ("nodes", "edges", "outputs")
_TYPES = {"object": dict, "string": str, "array": list}


def _raise_first(schema: dict, value: Any, prefix: tuple) -> None:
    validator = _VALIDATOR.evolve(schema=schema)
    if validator.is_valid(value):
        return
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    message, path = error.message, (*prefix, *error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        message, path = _unknown_field(error.instance, error.schema, path)
    if prefix[:1] == ("nodes",) and isinstance(value, dict):
        message = f"{limits.node_label(value)}: {message}"
    raise ProjectFileError(message, field=_field(path))


def _unknown_field(instance: dict, schema: dict, path: tuple) -> tuple[str, tuple]:
    """(message, field) for the first key of `instance` that `schema` does not know, with
    the closest known one: a misspelt field would otherwise lose what it holds."""
    known = list(schema.get("properties", {}))
    key = next(k for k in instance if k not in known)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown field {key!r}{hint}; expected one of: {', '.join(known)}", (*path, key)


def _plain_match(value: Any, schema: dict) -> bool:
    """True when `value` matches `schema`, read as the few keywords SCHEMA's items use."""
    if "anyOf" in schema:
        return any(_plain_match(value, option) for option in schema["anyOf"])
    kind = schema.get("type")
    if kind == "object" and schema.get("additionalProperties") is False and isinstance(
            value, dict) and set(value) - set(schema.get("properties", {})):
        return False
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)
                and schema.get("minimum", value) <= value <= schema.get("maximum", value))
    if not isinstance(value, _TYPES[kind]):
        return False
    if kind == "string":
        return schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value))
    if kind == "object":
        props = schema.get("properties", {})
        return (all(key in value for key in schema.get("required", ()))
                and all(_plain_match(value[k], props[k]) for k in props if k in value))
    return True
