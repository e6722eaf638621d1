"""The training settings' custom losses and metrics at run time (`graph.training_code`).

The only place their source runs, and only when the document's `CustomContext` lists
the code's digest as trusted (`runtime.trust` decides, never the project file). The
code loads once per process into a module of its own; each top-level function and
class is registered with Keras under `Custom>name`, so a saved `.keras` that names it
reloads in a process that loaded the code.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any

from kerascanvas.graph import training_code
from kerascanvas.graph.layers import custom

from .custom_code import CustomCodeError
from .keras_env import import_keras

_LOADED: dict[str, dict[str, Any]] = {}  # code digest -> name -> object


def load(doc) -> dict[str, Any]:
    """name -> function or class of the document's training code ({} when it has none).

    Raises:
        CustomCodeError: the code is not trusted, does not parse or raises while loading.
    """
    digest = training_code.digest(doc.training)
    if digest is None:
        return {}
    if digest not in custom.context(doc).trusted:
        raise CustomCodeError(f"{training_code.WHERE}: custom code not trusted (custom losses "
                              f"and metrics); nothing ran. {custom.TRUST_HINT}")
    if digest in _LOADED:
        return _LOADED[digest]
    text = training_code.source(doc.training)
    problem = training_code.parse_problem(text)
    if problem:
        raise CustomCodeError(f"{training_code.WHERE}: {problem}")
    module = types.ModuleType("kerascanvas_training_code")
    try:
        exec(compile(text, "<training code>", "exec"), module.__dict__)
    except Exception as exc:  # noqa: BLE001 - the user's code may raise anything
        raise CustomCodeError(f"{training_code.WHERE}: the code raised {type(exc).__name__} "
                              f"while loading: {exc}") from None
    keras = import_keras()
    objects = {}
    for name in training_code.defined(text):
        obj = module.__dict__.get(name)
        if callable(obj):
            keras.saving.register_keras_serializable(package=custom.DEFAULT_PACKAGE,
                                                     name=name)(obj)
            objects[name] = obj
    _LOADED[digest] = objects
    return objects


def make(value: Any, objects: Mapping[str, Any], field: str):
    """The loss or metric a setting names in the custom code: a function as it is, a class
    called with the setting's options ({"name": "Focal", "gamma": 2} -> Focal(gamma=2))."""
    name = training_code.reference_name(value)
    obj = objects[name]
    if not isinstance(obj, type):
        return obj
    options = {k: v for k, v in value.items() if k != "name"} if isinstance(value, Mapping) \
        else {}
    try:
        return obj(**options)
    except Exception as exc:  # noqa: BLE001
        raise CustomCodeError(f"{field}: {name}({', '.join(options)}) raised "
                              f"{type(exc).__name__}: {exc}") from None


def is_custom(value: Any, objects: Mapping[str, Any]) -> bool:
    return training_code.reference_name(value) in objects
