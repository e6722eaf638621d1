"""The `model` section of a project file (version 2): the model's own identity.

    "model": {"name": "ranker v2",
              "inputs": [{"key": "query", "node": "n1"}, {"key": "doc", "node": "n2"}],
              "outputs": [{"key": "score", "node": "n9", "port": 0}]}

`name` is the Keras name of the model (any string without '/', quoted in the code).
`inputs` and `outputs` are present when the model takes or returns a dict: one key
per Input node and per model output, in the order the dict is written. Files of
version 1 have no section: the model is named 'model' and takes and returns lists.

>>> from kerascanvas.graph.document import Document
>>> doc = Document()
>>> read_section(doc, {"name": "ranker v2"})
>>> doc.model_name, section_json(doc)
('ranker v2', {'name': 'ranker v2'})
"""

from __future__ import annotations

from typing import Any

from .document import Document, model_name_problem, output_entry
from .errors import ProjectFileError

_KEY = {"type": "string", "minLength": 1, "maxLength": 200}
_ID = {"type": "string", "minLength": 1, "maxLength": 200}
_PORT = {"type": "integer", "minimum": 0, "maximum": 10000}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "inputs": {"type": "array", "items": {
            "type": "object", "required": ["key", "node"], "additionalProperties": False,
            "properties": {"key": _KEY, "node": _ID}}},
        "outputs": {"type": "array", "items": {
            "type": "object", "required": ["key", "node"], "additionalProperties": False,
            "properties": {"key": _KEY, "node": _ID, "port": _PORT}}},
    },
    "additionalProperties": False,
}


def read_section(doc: Document, section: dict) -> None:
    """Set the model name and keys of `doc` (its nodes and outputs already read) from the
    file's `model` section, checked; a `ProjectFileError` names the bad field."""
    if "name" in section:
        problem = model_name_problem(section["name"])
        if problem:
            raise ProjectFileError(problem, field="model.name")
        doc.model_name = section["name"]
    doc.input_keys = _keys(section.get("inputs", []), "inputs",
                           lambda raw, field: _input_member(doc, raw, field))
    doc.output_keys = _keys(section.get("outputs", []), "outputs",
                            lambda raw, field: _output_member(doc, raw, field))


def _keys(items: list[dict], part: str, member) -> dict[str, str]:
    keys: dict[str, str] = {}
    for i, raw in enumerate(items):
        field = f"model.{part}[{i}]"
        entry = member(raw, field)
        if entry in keys:
            raise ProjectFileError(f"this {part[:-1]} is keyed twice ({keys[entry]!r} and "
                                   f"{raw['key']!r})", field=field)
        if raw["key"] in keys.values():
            raise ProjectFileError(f"the key {raw['key']!r} is used twice: a dict holds each "
                                   "key once", field=f"{field}.key")
        keys[entry] = raw["key"]
    return keys


def _input_member(doc: Document, raw: dict, field: str) -> str:
    node = doc.nodes.get(raw["node"])
    if node is None:
        raise ProjectFileError(f"no node with id {raw['node']!r}", field=f"{field}.node")
    if node.kind != "Input":
        raise ProjectFileError(f"{node.name!r} is a {node.kind} node; only Input nodes are "
                               "keys of the model's inputs", field=f"{field}.node")
    return node.id


def _output_member(doc: Document, raw: dict, field: str) -> str:
    entry = output_entry(raw["node"], raw.get("port", 0))
    if entry not in doc.outputs:
        raise ProjectFileError(f"node {raw['node']!r} port {raw.get('port', 0)} is not one of "
                               "the model's outputs", field=f"{field}.node")
    return entry


def section_json(doc: Document) -> dict[str, Any]:
    """The `model` section of `doc` (empty when the model has the default name and lists)."""
    section: dict[str, Any] = {}
    if doc.model_name:
        section["name"] = doc.model_name
    inputs = [{"key": key, "node": nid} for nid, key in doc.input_keys.items()
              if nid in doc.nodes]
    outputs = []
    for entry, key in doc.output_keys.items():
        if entry in doc.outputs:
            nid, port = doc.output_ref(entry)
            outputs.append({"key": key, "node": nid, "port": port})
    if inputs:
        section["inputs"] = inputs
    if outputs:
        section["outputs"] = outputs
    return section
