"""The model a run trains: built and compiled under the settings' dtype policy
(`make_model`), optionally given the weights and optimizer state of a saved model
(`continue_from`), and refused when Keras builds it but cannot train it on torch
(`refuse_untrainable`). `runtime.train` calls these for every run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerascanvas.graph.document import Document

from .build import build_model
from .keras_env import import_keras
from .model_compile import compile_model
from .train_messages import TrainingRefused

__all__ = ["continue_from", "load_kept", "make_model", "refuse_untrainable"]


def make_model(doc: Document, settings: Mapping[str, Any], steps: int,
               initial_model: str | None = None, analysis=None):
    """Build and compile under the settings' dtype policy; continue `initial_model`.
    `analysis`: the document's, when the caller holds it (else analysed once here)."""
    from kerascanvas.graph import validate

    from .precision import output_dtype_overrides, policy_for, precision_scope

    analysis = analysis if analysis is not None else validate.analyze(doc)
    with precision_scope(policy_for(settings)):
        model = build_model(doc, dtypes=output_dtype_overrides(doc, analysis),
                            analysis=analysis)
        compile_model(model, doc, settings, steps, analysis)
    if initial_model:
        continue_from(model, initial_model)
    return model


def continue_from(model, path: str) -> None:
    """Give `model` the weights and optimizer state of the model saved at `path`.

    The new optimizer keeps the learning rate of the current settings (so a
    changed rate applies) and continues the saved step count and slots.

    Raises:
        TrainingRefused: the file cannot be loaded, or a layer's weights differ.
    """
    from .optim import carry_state

    try:
        saved = load_kept(path)
    except ValueError as exc:
        raise TrainingRefused(f"Could not load the model to continue from {path}: {exc}") \
            from exc
    for layer in model.layers:
        if not layer.weights:
            continue
        try:
            layer.set_weights(saved.get_layer(layer.name).get_weights())
        except ValueError as exc:
            raise TrainingRefused(
                f"The model in {path} does not match the document at layer "
                f"{layer.name!r}: expected weights of shapes "
                f"{[tuple(w.shape) for w in layer.weights]}. ({exc})") from exc
    carry_state(getattr(saved, "optimizer", None), model.optimizer, model.trainable_variables)


def load_kept(path: str, compile: bool = True):
    """The model of the `.keras` archive at `path` (a run's kept model), loaded in safe
    mode, with its optimizer when `compile`.

    Raises:
        ValueError: why it cannot be loaded (an incomplete archive, Keras' reason).
    """
    from . import archive_check
    from .extras import CUSTOM_OBJECTS
    from .precision import loss_scaled_policy, precision_scope

    keras = import_keras()
    problem = archive_check.incomplete(path)
    if problem:
        raise ValueError(problem)
    try:
        with precision_scope(loss_scaled_policy(path)):
            return keras.saving.load_model(path, custom_objects=CUSTOM_OBJECTS,
                                           safe_mode=True, compile=compile)
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from exc


def refuse_untrainable(model) -> None:
    """Refuse what Keras builds but cannot train on torch: stateful LSTM and GRU layers
    (Keras writes their state in place while the backward pass still needs it; a
    stateful SimpleRNN trains).

    Raises:
        TrainingRefused: naming the layer (the node, or the node inside a block).
    """
    keras = import_keras()
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.LSTM | keras.layers.GRU) and layer.stateful:
            raise TrainingRefused(
                f"{layer.name}: {type(layer).__name__} with stateful=True cannot be trained "
                "with Keras on the torch backend (Keras updates the state in place while "
                "the backward pass still needs it). The model builds and its code can be "
                "generated; set stateful=False to train it here.")
