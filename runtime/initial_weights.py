"""Initial weights from a `.keras` archive or `.weights.h5` file, layer by layer.

A project whose `weights` section (`graph.initial_weights`) names a file starts its
model from those weights: each layer (at any depth of nested models, named by its path
of names; the section's `paths` give the archive's path of a layer whose path differs
there, as those of a nested model the import inlined) whose name and variable shapes
match a layer of the file's model gets its weights; a layer renamed, reshaped or new
keeps the fresh ones. The archive is loaded with Keras' safe mode (nothing in it is
executed). A `.weights.h5` file has no layer names: Keras matches its layers by position
and class, skipping those that differ.

The generated training script does the same with its `load_matching_weights` helper
(`codegen.script_weights`), so the exported script trains what the app trains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kerascanvas.graph import initial_weights as section
from kerascanvas.graph.errors import KerasCanvasError

from .keras_env import import_keras


class InitialWeightsError(KerasCanvasError):
    """The initial weights file is missing, changed, or cannot be read."""


@dataclass
class Loaded:
    source: str
    loaded: list[str] = field(default_factory=list)  # layer paths given the file's weights
    fresh: list[str] = field(default_factory=list)  # layers with weights left as built
    held: list[str] = field(default_factory=list)  # the file's layers holding weights

    def message(self) -> str:
        total = len(self.loaded) + len(self.fresh)
        text = f"loaded {len(self.loaded)} of {total} layers from {Path(self.source).name}"
        if self.fresh:
            shown = ", ".join(self.fresh[:8]) + (
                f" and {len(self.fresh) - 8} more" if len(self.fresh) > 8 else "")
            text += f"; fresh: {shown}"
        return text


def weight_layers(model, prefix: str = "") -> dict[str, object]:
    """{path: layer} of the layers holding weights, nested models walked into
    ("block/dense"); a layer shared by several calls is listed once."""
    keras = import_keras()
    found: dict[str, object] = {}
    for layer in model.layers:
        path = f"{prefix}{layer.name}"
        if isinstance(layer, keras.Model):
            found.update(weight_layers(layer, f"{path}/"))
        elif layer.weights and all(layer is not seen for seen in found.values()):
            found[path] = layer
    return found


def _shapes(layer) -> list[tuple]:
    return [tuple(w.shape) for w in layer.weights]


def copy_matching(model, source_model, source: str,
                  paths: dict[str, str] | None = None) -> Loaded:
    """Copy into `model` the weights of each layer of `source_model` with the same path
    (or the archive path `paths` gives it: `graph.initial_weights.archive_path`) and
    variable shapes."""
    theirs = weight_layers(source_model)
    report = Loaded(source, held=list(theirs))
    for path, layer in weight_layers(model).items():
        other = theirs.get(section.archive_path(path, paths or {}))
        if other is not None and _shapes(other) == _shapes(layer):
            layer.set_weights(other.get_weights())
            report.loaded.append(path)
        else:
            report.fresh.append(path)
    return report


def _custom_objects(model) -> dict:
    """The classes of `model`'s own layers by registered name and by class name (an
    archive saved from an unregistered class names it by its class name only), so an
    archive naming the same custom classes loads without running anything else."""
    keras = import_keras()
    found = {}
    for layer in _every_layer(model):
        cls = type(layer)
        if cls.__module__.partition(".")[0] != "keras":  # "kerascanvas..." is not Keras
            found[keras.saving.get_registered_name(cls)] = cls
            found.setdefault(cls.__name__, cls)
    return found


def _every_layer(model):
    """Each layer of `model` at every depth, with or without weights (a custom layer with
    none, such as a sampling step, is in the archive too)."""
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _every_layer(layer)


def load_matching(model, path: str, paths: dict[str, str] | None = None) -> Loaded:
    """Load the matching weights of the file `path` into `model` (`paths`: see
    `copy_matching`; a `.weights.h5` file is matched by position)."""
    keras = import_keras()
    if str(path).lower().endswith(".weights.h5"):
        return _load_by_position(model, path)
    try:
        source_model = keras.saving.load_model(path, safe_mode=True, compile=False,
                                               custom_objects=_custom_objects(model) or None)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for a bad archive
        raise InitialWeightsError(f"weights.source: cannot load {path!r} in safe mode: "
                                  f"{type(exc).__name__}: {str(exc)[:300]}") from None
    return copy_matching(model, source_model, path, paths)


def _load_by_position(model, path: str) -> Loaded:
    import numpy as np

    layers = weight_layers(model)
    before = {p: [np.array(w) for w in layer.get_weights()] for p, layer in layers.items()}
    try:
        model.load_weights(path, skip_mismatch=True)
    except Exception as exc:  # noqa: BLE001
        raise InitialWeightsError(f"weights.source: cannot read {path!r}: "
                                  f"{type(exc).__name__}: {str(exc)[:300]}") from None
    report = Loaded(path, held=_h5_layers(path))
    for p, layer in layers.items():
        changed = any(not np.array_equal(a, b) for a, b in zip(before[p], layer.get_weights(),
                                                              strict=True))
        (report.loaded if changed else report.fresh).append(p)
    return report


def apply(model, doc) -> Loaded | None:
    """Give `model` the initial weights `doc` names (its source already anchored to the
    project's folder, `graph.initial_weights.anchored`); None when it names none.

    Raises:
        InitialWeightsError: the file is missing, changed since it was chosen, or unreadable,
            or no layer of the model matches one of the file's (almost surely the wrong file).
    """
    source = section.active_source(doc)
    if source is None:
        return None
    problem = section.source_state(doc)
    if problem:
        raise InitialWeightsError(problem)
    path = str(Path(source).expanduser())
    report = load_matching(model, path, section.layer_paths(doc))
    if report.fresh and not report.loaded:
        raise InitialWeightsError(no_match_message(report))
    return report


def no_match_message(report: Loaded) -> str:
    """Why a file none of whose layers match the model's is refused, with both sides' layer
    names (the first few) and the ways out."""
    path = report.source
    how = " (matched by position and class)" if path.lower().endswith(".weights.h5") else ""
    return (f"weights.source: no layer of the model matches the initial weights file "
            f"{path!r}{how}, so the model would start from fresh weights: the file holds "
            f"{_some(report.held) if report.held else 'no layer with weights'}; the model "
            f"has {_some(report.fresh)} ({section.TURN_OFF}; or choose another file)")


def _some(names: list[str], count: int = 5) -> str:
    more = f" and {len(names) - count} more" if len(names) > count else ""
    return ", ".join(names[:count]) + more


def _h5_layers(path: str) -> list[str]:
    """The layers holding weights in a `.weights.h5` file, as Keras stores them (named by
    class: "dense_1"; nested models as "block/dense"); a compiled model's optimizer is
    stored beside them and left out."""
    import h5py

    found: list[str] = []

    def visit(name: str, item) -> None:
        if name.startswith("layers/") and name.endswith("/vars") and len(item):
            found.append(name.removesuffix("/vars").removeprefix("layers/")
                         .replace("/layers/", "/"))

    with h5py.File(path, "r") as handle:
        handle.visititems(visit)
    return found


def apply_for_run(model, doc, sink) -> None:
    """`apply` for a run: the layers loaded and left fresh go to `sink` as a "weights"
    event (the run's log); a file that cannot be used refuses the run."""
    from .events import WeightsLoaded
    from .train_messages import TrainingRefused

    try:
        report = apply(model, doc)
    except InitialWeightsError as exc:
        raise TrainingRefused(str(exc)) from None
    if report is not None:
        sink(WeightsLoaded(report.source, report.loaded, report.fresh, report.message()))
