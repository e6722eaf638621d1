"""A wrapper's inner layer: the `layer` (or `layers`) param's normal form, checked by the
inner kind's own spec, and the Keras names of inner layers.

>>> inner_names([{"kind": "Dense", "params": {}}, {"kind": "Dense", "params": {}}])
['dense', 'dense_1']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ParamError
from ..params import REQUIRED, ParamSpec
from ..spec import AS_LISTS, LayerSpec, get_spec

_KEYS = {"kind", "params", "name"}


def inner_name(inner: Mapping[str, Any]) -> str:
    """The Keras name of an inner layer: its own "name" ("" too, which Keras keeps), else
    its kind's snake name."""
    from ..document import default_name

    name = inner.get("name")
    return default_name(inner["kind"]) if name is None else name


def coerce_inner(p: ParamSpec, value: Any, where: str | None = None,
                 find: Callable[[str], LayerSpec] = get_spec) -> dict:
    """The normal form of an inner layer (only non-default params kept), or ParamError.
    `where` names it in messages (`layers[1]`); the param's name by default. `find` gives
    the spec of a kind (an RNN's cells have a table of their own)."""
    where = where or p.name
    if not isinstance(value, Mapping) or not isinstance(value.get("kind"), str) \
            or set(value) - _KEYS or not isinstance(value.get("params", {}), Mapping):
        _fail(p, where, 'a layer as {"kind": ..., "params": {...}}', value)
    try:
        spec = find(value["kind"])
    except KeyError:
        spec = None
    if spec is None or spec.kind not in p.choices:
        _fail(p, where, "a layer of one of the kinds " + ", ".join(p.choices), value)
    try:
        resolved = spec.resolve(value.get("params", {}))
        params = spec.non_default(resolved)
    except ParamError as exc:
        raise ParamError(f"{where} ({spec.kind}): {exc}", param=p.name) from None
    if spec.keyword_port_names(resolved):
        raise ParamError(f"{where} ({spec.kind}): an inner layer has no input ports of its "
                         f"own, so its {spec.keyword_ports.param} must be false (a "
                         f"Bidirectional takes initial states itself). Received: "
                         f"{spec.keyword_ports.param}=True", param=p.name)
    if AS_LISTS in resolved:  # kept, so that the inner layer is built with its lists
        params[AS_LISTS] = list(resolved[AS_LISTS])
    out = {"kind": spec.kind, "params": params}
    name = value.get("name")
    if name is not None:
        if not isinstance(name, str) or "/" in name:  # "" is a name, as in Keras
            _fail(p, where, "an inner layer name without '/'", value)
        out["name"] = name
    return out


def coerce_inner_list(p: ParamSpec, value: Any,
                      find: Callable[[str], LayerSpec] = get_spec) -> list[dict]:
    """A non-empty list of inner layers in normal form, or ParamError naming the item."""
    if not isinstance(value, list | tuple) or not value:
        _fail(p, p.name, "a non-empty list of layers", value)
    return [coerce_inner(p, item, f"{p.name}[{i}]", find) for i, item in enumerate(value)]


def _fail(p: ParamSpec, where: str, expected: str, value: Any):
    raise ParamError(f"Received an invalid value for {where}, expected {expected}. "
                     f"Received: {where}={value!r}", param=p.name)


def inner_names(layers: list[Mapping[str, Any]]) -> list[str]:
    """Keras names of a Pipeline's layers: their own, else the kind's snake name, made
    unique within the list as Keras would (`dense`, `dense_1`)."""
    names, seen = [], set()
    for layer in layers:
        base = inner_name(layer)
        name, n = base, 0
        while name in seen:
            n += 1
            name = f"{base}_{n}"
        seen.add(name)
        names.append(name)
    return names


def inner(params) -> tuple[LayerSpec, dict]:
    """(spec, resolved params) of a wrapper's inner layer."""
    spec = get_spec(params["layer"]["kind"])
    return spec, spec.resolve(params["layer"]["params"])


def layer_param(kinds: tuple[str, ...], initial: dict, doc: str) -> ParamSpec:
    return ParamSpec("layer", "layer", default=REQUIRED, initial=initial, choices=kinds, doc=doc)
