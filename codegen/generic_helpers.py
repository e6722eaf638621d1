"""One helper function per family of KerasLayer nodes that share their kept config.

A model imported with layers our specs do not cover (ConvNeXt's LayerScale, say) holds
many KerasLayer nodes of one class whose configs differ only in the name and a value or
two. Their config is written once, in a module-level function taking what differs:

    def layer_scale(name, projection_dim):
        \"\"\"A LayerScale layer rebuilt from its config; name and projection_dim vary.\"\"\"
        return keras.saving.deserialize_keras_object({...}, safe_mode=True)

and each use is `layer_scale('stage_0_layer_scale', projection_dim=96)(x)`. A layer
matches a helper when its config equals the helper's but for those arguments; the
writers find the helpers of the module being written through `active`. The families
span the whole module: the model's own layers and those of the blocks and nested
models it uses (`block_configs`), which call the same module-level functions.
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from kerascanvas.graph import userblocks
from kerascanvas.graph.layers.generic import serialized
from kerascanvas.graph.spec import GENERIC, get_spec

from .literals import Code

# A family shares all but at most this many config values (besides the name).
MAX_VARYING = 3
# Names an argument may not take: the helper's body reads them as the module's own.
_BODY_NAMES = frozenset({"keras", "layers", "name", "safe_mode"})


@dataclass(frozen=True)
class Helper:
    """A family's function: its name, the shared config and the keys passed per use."""

    function: str
    config: dict  # the serialization dict; the varying values are the argument names
    varying: tuple[str, ...]

    def arguments(self, config: dict) -> dict[str, Any] | None:
        """The varying values of `config` by key, or None when `config` is not of this
        family."""
        inner = config["config"]
        if _family_key(config) != _family_key(self.config) or any(
                repr(inner[k]) != repr(v) for k, v in self.config["config"].items()
                if k not in self.varying and k != "name"):
            return None
        return {k: inner[k] for k in self.varying}


def config_of(params: Mapping[str, Any], name: str, dtype: str | None = None) -> dict:
    """The serialization dict a KerasLayer node is rebuilt from (`dtype`: see
    `generic.constructor`)."""
    config = serialized(params, name)
    if dtype:
        config["config"]["dtype"] = dtype
    return config


def block_configs(blocks: Mapping[str, Any], names: Sequence[str]) -> list[dict]:
    """The configs of the KerasLayer nodes inside the blocks `names`, as their helper
    functions write them: with the definition's defaults for the exposed params."""
    spec, configs = get_spec(GENERIC), []
    for name in names:
        definition = blocks[name]
        values = userblocks.inner_params(
            definition, userblocks.bound_spec(blocks, name).resolve({"block": name}))
        configs += [config_of(spec.resolve(values[node["id"]]), node["name"])
                    for node in definition["nodes"] if node["kind"] == GENERIC]
    return configs


def find_helpers(configs: Sequence[dict], taken: frozenset[str]) -> list[Helper]:
    """A helper for each family of two or more `configs` that differ in at most
    MAX_VARYING values besides the name; function names keep clear of `taken`."""
    families: dict[str, list[dict]] = {}
    for config in configs:
        families.setdefault(_family_key(config), []).append(config)
    helpers, names = [], set(taken)
    for members in families.values():
        varying = _varying(members)
        if len(members) < 2 or varying is None:
            continue
        function = _unique(_snake(members[0]["class_name"]), names)
        names.add(function)
        shared = {k: Code(k) if k in varying else v for k, v in members[0]["config"].items()}
        shared["name"] = Code("name")
        helpers.append(Helper(function, {**members[0], "config": shared}, varying))
    return helpers


def _family_key(config: dict) -> str:
    """What a family shares whole: everything but the inner config, and its keys."""
    outer = {k: v for k, v in config.items() if k != "config"}
    return json.dumps([outer, list(config["config"])], default=repr)


def _varying(members: list[dict]) -> tuple[str, ...] | None:
    """The config keys (not the name) whose values differ among `members`, or None when
    they are too many or one cannot be an argument name."""
    first = members[0]["config"]
    varying = tuple(k for k in first if k != "name"
                    and any(repr(m["config"][k]) != repr(first[k]) for m in members[1:]))
    if len(varying) > MAX_VARYING or not all(_argument(k) for k in varying):
        return None
    return varying


def _argument(key: str) -> bool:
    return (key.isascii() and key.isidentifier() and not keyword.iskeyword(key)
            and key not in _BODY_NAMES)


def _snake(class_name: str) -> str:
    """`LayerScale` -> `layer_scale`; a name that is no identifier -> `keras_layer`."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", class_name)
    snake = words.lower()
    return snake if snake.isascii() and snake.isidentifier() else "keras_layer"


def _unique(base: str, taken: set[str]) -> str:
    name, i = base, 1
    while name in taken or keyword.iskeyword(name):
        name, i = f"{base}_{i}", i + 1
    return name


_ACTIVE: ContextVar[tuple[Helper, ...]] = ContextVar("generic_helpers", default=())


@contextmanager
def active(helpers: Sequence[Helper]) -> Iterator[None]:
    """A `with` context in which KerasLayer constructors call the matching helper."""
    token = _ACTIVE.set(tuple(helpers))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def helper_call(config: dict) -> tuple[str, dict[str, Any]] | None:
    """The active helper making the layer of `config` and the values to pass it, if one
    does."""
    for helper in _ACTIVE.get():
        values = helper.arguments(config)
        if values is not None:
            return helper.function, values
    return None
