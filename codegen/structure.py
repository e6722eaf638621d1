"""The call structure of the written model: lists, or dicts keyed as the project says.

A model built as `keras.Model(inputs={"a": a, "b": b}, outputs={"y": y})` takes and
returns dicts. The project keeps one key per Input node and per output
(`Document.keyed_inputs`/`keyed_outputs`); here they become `{key: variable}` in
the order the dict is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerascanvas.graph.document import Document

from .emit import pack
from .errors import CodegenError
from .literals import literal


def input_keys(doc: Document, variables: Mapping[str, Any]) -> dict[str, Any] | None:
    """{key: variable} of the model's inputs when it takes a dict, else None.

    `variables` maps each Input node id to its variable (or any value standing for it).
    """
    return _by_key(doc.keyed_inputs(), variables, "input", lambda nid: doc.nodes[nid].name)


def output_keys(doc: Document, variables: Mapping[str, Any]) -> dict[str, Any] | None:
    """{key: variable} of the model's outputs when it returns a dict, else None.

    `variables` maps each `outputs` entry to the variable holding it.
    """
    return _by_key(doc.keyed_outputs(), variables, "output",
                   lambda entry: doc.nodes[doc.output_ref(entry)[0]].name)


def _by_key(keyed, variables: Mapping[str, Any], what: str, name_of) -> dict[str, Any] | None:
    if keyed is None:
        return None
    out: dict[str, Any] = {}
    for member, key in keyed.items():
        if key in out:
            raise CodegenError(f"The model's {what}s are a dict, and the key {key!r} is used "
                               f"twice (by {name_of(member)!r}); give each {what} its own key")
        out[key] = variables[member]
    return out


def pack_keyed(names: list[str], keys: dict[str, str] | None) -> str:
    """`{'a': a, 'b': b}` for a dict structure, else `pack(names)`.

    >>> pack_keyed(["x", "y"], {"b": "y", "a": "x"}), pack_keyed(["x"], None)
    ("{'b': y, 'a': x}", 'x')
    """
    if keys is None:
        return pack(names)
    return "{" + ", ".join(f"{literal(key)}: {var}" for key, var in keys.items()) + "}"


def refuse_keyed(keys_in, keys_out, style: str, why: str) -> None:
    """A clear CodegenError when a style cannot write the model's dict structure."""
    parts = [f"takes a dict (keys {', '.join(map(repr, keys_in))})" if keys_in else "",
             f"returns a dict (keys {', '.join(map(repr, keys_out))})" if keys_out else ""]
    if any(parts):
        raise CodegenError(f"The model {' and '.join(p for p in parts if p)}, which the "
                           f"{style} style cannot write: {why}. Use the functional or "
                           "subclass style")
