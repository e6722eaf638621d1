"""Transfer learning: Application base networks, and two-phase fine-tuning.

`make_application` builds the `keras.applications` model of an Application node
with the same arguments the generated code passes, then freezes it as the node
says. The training settings may ask for two phases::

    "finetune": {"phase1_epochs": 3, "phase1_lr": 1e-3,
                 "phase2_epochs": 2, "phase2_lr": 1e-5, "unfreeze_from": 100}

Phase 1 trains the new head with every Application base frozen. Phase 2 unfreezes
each base from layer `unfreeze_from` on, keeps its BatchNormalization layers frozen
(in inference mode, as the Keras transfer-learning guide advises), recompiles at
the lower rate and continues the epoch numbering, so the curves continue.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from kerascanvas.codegen import finetune as codegen_finetune
from kerascanvas.codegen.application import application_kwargs
from kerascanvas.codegen.errors import CodegenError
from kerascanvas.graph.document import Document
from kerascanvas.graph.errors import KerasCanvasError
from kerascanvas.graph.spec import APPLICATION

from .keras_env import import_keras

KIND = APPLICATION
FIELDS = codegen_finetune.FIELDS


class FinetuneError(KerasCanvasError):
    """The finetune settings or an Application's weights file are refused."""


def make_application(name: str, params: Mapping[str, Any], input_shape):
    """The Application node's base model, named `name`, frozen as its params say.

    Args:
        name: the node name (the nested model's name).
        params: the node's resolved params.
        input_shape: the incoming tensor's shape, batch first.

    Raises:
        FinetuneError: `weights` names a file that does not exist.
    """
    keras = import_keras()
    weights = params["weights"]
    if weights is not None and not os.path.isfile(weights):
        raise FinetuneError(f"{name}: the weights file {weights!r} does not exist. Expected a "
                            "local .weights.h5 file (nothing is downloaded)")
    build = getattr(keras.applications, params["architecture"])
    base = build(**application_kwargs(dict(params), tuple(input_shape)), name=name)
    if not params["trainable"]:
        base.trainable = False
    for layer in base.layers[:params["freeze_first"]]:
        layer.trainable = False
    return base


def finetune_settings(training: Mapping[str, Any]) -> dict[str, Any] | None:
    """The checked `finetune` section of the training settings, or None when absent.

    The check is codegen's, so the runner and the generated script accept the same values.

    Raises:
        FinetuneError: naming the field, e.g. `training.finetune.phase2_lr`.
    """
    try:
        return codegen_finetune.finetune_settings(training)
    except CodegenError as exc:
        raise FinetuneError(str(exc)) from None


def application_bases(model, doc: Document) -> list:
    """The nested base models of the document's Application nodes, found by name."""
    names = [n.name for n in doc.nodes.values() if n.kind == KIND]
    return [model.get_layer(name) for name in names]


def freeze_bases(bases) -> None:
    """Phase 1: every base frozen whole."""
    for base in bases:
        base.trainable = False


def unfreeze_bases(bases, unfreeze_from: int) -> None:
    """Phase 2: layers from `unfreeze_from` on train; BatchNormalization stays frozen."""
    keras = import_keras()
    for base in bases:
        base.trainable = True
        for index, layer in enumerate(base.layers):
            if index < unfreeze_from or isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False


def fit_in_phases(model, bases, settings: Mapping[str, Any],
                  compile_at: Callable[[float], None],
                  fit: Callable[..., Any], should_continue: Callable[[], bool] = lambda: True):
    """Run the two phases: freeze, compile, fit; unfreeze, recompile, fit on.

    Args:
        model: the built model (compiled or not).
        bases: the Application base models inside it.
        settings: `finetune_settings(...)`.
        compile_at: compiles `model` with the given learning rate.
        fit: `fit(epochs=..., initial_epoch=...)` runs `model.fit` with the other arguments.
        should_continue: asked after phase 1 (False after a stop request or a NaN loss).

    Returns:
        The two Keras History objects (the second is None when phase 2 did not run).
    """
    freeze_bases(bases)
    compile_at(settings["phase1_lr"])
    first = settings["phase1_epochs"]
    history1 = fit(epochs=first, initial_epoch=0)
    if not settings["phase2_epochs"] or not should_continue():
        return history1, None
    unfreeze_bases(bases, settings["unfreeze_from"])
    compile_at(settings["phase2_lr"])
    history2 = fit(epochs=first + settings["phase2_epochs"], initial_epoch=first)
    return history1, history2


def with_learning_rate(optimizer: Mapping[str, Any], lr: float) -> dict[str, Any]:
    """Optimizer options with `learning_rate` replaced (a schedule is dropped for the phase)."""
    options = {k: v for k, v in optimizer.items() if k != "schedule"}
    return {**options, "learning_rate": lr}


def phase_settings(settings: Mapping[str, Any], lr: float) -> dict[str, Any]:
    """Training settings for one phase: its learning rate, no schedule."""
    return {**settings, "optimizer": with_learning_rate(settings["optimizer"], lr),
            "schedule": None}


def fit_document(model, doc: Document, compile_settings: Callable[[Mapping[str, Any]], None],
                 fit: Callable[..., Any], settings: Mapping[str, Any],
                 should_continue: Callable[[], bool] = lambda: True) -> bool:
    """Run the document's two fine-tuning phases when its training settings ask for them.

    Args:
        model: the built model.
        doc: its document (training settings and Application nodes).
        compile_settings: compiles `model` from training settings.
        fit: runs `model.fit(epochs=..., initial_epoch=..., **the rest)`.
        settings: the resolved training settings.
        should_continue: False stops before phase 2 (stop request, NaN loss).

    Returns:
        False when the document has no `finetune` section (the caller fits as usual).

    Raises:
        FinetuneError: the section is malformed, or the document has no Application node.
    """
    phases = finetune_settings(doc.training or {})
    if phases is None:
        return False
    bases = application_bases(model, doc)
    if not bases:
        raise FinetuneError("training.finetune: two-phase fine-tuning needs an Application "
                            "node (the base network to freeze, then unfreeze)")
    fit_in_phases(model, bases, phases,
                  lambda lr: compile_settings(phase_settings(settings, lr)), fit,
                  should_continue)
    return True


# ---- recognizing a nested keras.applications model on import ------------------------
def recognize_application(model) -> dict[str, Any] | None:
    """Application node params for a nested model that is a keras.applications network.

    The candidate architectures are those whose layer count fits; the one candidate is
    rebuilt with the same arguments and accepted only when every layer's config equals
    the nested model's (names aside for the model itself). Freezing is read back:
    a frozen model gives trainable=False, else the leading frozen layers give
    freeze_first. Weights are not carried (the node starts with weights=None).
    """
    from kerascanvas.graph.layers.application import ARCHITECTURES

    inputs = getattr(model, "inputs", None)
    if not inputs or len(inputs) != 1 or len(model.outputs) != 1:
        return None
    shape = tuple(inputs[0].shape)
    for arch in ARCHITECTURES.values():
        for params in _candidates(arch, model, shape):
            if _same_network(model, params, shape):
                return {**{k: v for k, v in params.items() if v != _DEFAULTS.get(k)},
                        **_freezing(model)}
    return None


_DEFAULTS = {"include_top": False, "pooling": None, "classes": 1000}


def _candidates(arch, model, shape) -> list[dict[str, Any]]:
    extra = len(model.layers) - arch.num_layers
    output = tuple(model.outputs[0].shape)
    found = []
    if extra == 0 and len(output) == 4:
        found.append({"architecture": arch.name})
    elif extra == 1 and len(output) == 2:
        found += [{"architecture": arch.name, "pooling": p} for p in ("avg", "max")]
    elif extra > 1 and len(output) == 2:
        found.append({"architecture": arch.name, "include_top": True, "classes": output[-1]})
    return found


def _same_network(model, params: Mapping[str, Any], shape) -> bool:
    from kerascanvas.graph import get_spec

    resolved = get_spec(KIND).resolve(dict(params))
    try:
        candidate = make_application(model.name, resolved, shape)
    except Exception:  # noqa: BLE001 - a candidate Keras refuses is simply no match
        return False
    ours = [(type(la).__name__, _config(la)) for la in candidate.layers]
    theirs = [(type(la).__name__, _config(la)) for la in model.layers]
    return ours == theirs


def _config(layer) -> dict:
    config = dict(layer.get_config())
    config.pop("name", None)
    config.pop("trainable", None)
    return config


def _freezing(model) -> dict[str, Any]:
    if not model.trainable:
        return {"trainable": False}
    frozen = 0
    for layer in model.layers:
        if layer.trainable:
            break
        frozen += 1
    return {"freeze_first": frozen} if frozen else {}
