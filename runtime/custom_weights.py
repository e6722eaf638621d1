"""Weight counts of custom layers without source, read from a `.keras` archive's weights.

A layer whose class was not given cannot be built, so Keras cannot count its
weights. The archive's `model.weights.h5` still holds every variable: this module
opens it with h5py and reads the shapes of the datasets stored under each
placeholder layer. Only the file's structure and shapes are read, no values, and
nothing is executed.

Keras names a model's layers in that file by their class name in snake case,
numbered `_1`, `_2`... among the layers of the same class in `model.layers` order
(`saving_lib`); a nested model's layers sit under its own `layers` group. The file
does not say which variables are trainable.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

from .custom_missing import is_placeholder
from .keras_env import import_keras

WEIGHTS = "model.weights.h5"


def read_stored_weights(model, path: str | Path) -> dict[int, int]:
    """Set `stored_weights` (the number of weights the archive `path` holds for it) on each
    placeholder layer of `model` found there; returns them by id(layer) ({} for a model
    JSON, or an archive without weights)."""
    import h5py  # a dependency of keras itself

    path = Path(path)
    if path.suffix != ".keras" or not zipfile.is_zipfile(path):
        return {}
    found: dict[int, int] = {}
    with zipfile.ZipFile(path) as archive:
        if WEIGHTS not in archive.namelist():
            return {}
        with archive.open(WEIGHTS) as raw, h5py.File(raw, "r") as weights:
            _walk(model, weights.get("layers"), found)
    return found


def _walk(model, group, found: dict[int, int]) -> None:
    from keras.src.utils.naming import to_snake_case  # the names Keras saved under

    keras = import_keras()
    used: dict[str, int] = {}
    for layer in model.layers:
        name = to_snake_case(_class_name(layer))
        used[name] = used.get(name, -1) + 1
        key = name if used[name] == 0 else f"{name}_{used[name]}"
        sub = group.get(key) if group is not None else None
        if sub is None:
            continue
        if is_placeholder(layer):
            found[id(layer)] = layer.stored_weights = _size(sub)
        elif isinstance(layer, keras.Model):
            _walk(layer, sub.get("layers"), found)


def _class_name(layer) -> str:
    recorded = getattr(layer, "recorded", None) or {}
    return recorded.get("class") or type(layer).__name__


def _size(group) -> int:
    """Elements in all the datasets under `group` (shapes only, no values read)."""
    sizes: list[int] = []
    group.visititems(lambda _, item: sizes.append(math.prod(item.shape))
                     if hasattr(item, "shape") else None)
    return int(sum(sizes))
