"""The training settings' custom losses and metrics in a generated training script.

The code (`graph.training_code`) is written once, its import lines among the script's
imports and its definitions above the constants; each function and class is registered
with Keras under `Custom>name` so the saved `.keras` reloads where the script's module
is imported. A loss or metric of the code is written as the name itself (`focal`), a
class with options as a call (`Focal(gamma=2.0)`); every other one stays a string.
"""

from __future__ import annotations

from typing import Any

from kerascanvas.graph import loss_names, training_code
from kerascanvas.graph.layers.custom import DEFAULT_PACKAGE, split_source

from .errors import CodegenError
from .literals import Code, call
from .naming import RESERVED

REGISTER = "keras.saving.register_keras_serializable"


def definitions(training: dict | None) -> dict[str, str]:
    """The code's top-level functions and classes; CodegenError when it does not parse or
    takes a name the script uses."""
    text = training_code.source(training)
    problem = training_code.parse_problem(text)
    if problem:
        raise CodegenError(f"{training_code.WHERE}: {problem}")
    found = training_code.defined(text)
    taken = sorted(n for n in found if n in RESERVED)
    if taken:
        raise CodegenError(f"{training_code.WHERE}: the name {taken[0]!r} is taken by the "
                           "generated script; rename it")
    return found


def reference(value: Any, kinds: dict[str, str]) -> Any:
    """A loss or metric setting as the script writes it: custom ones as code."""
    name = training_code.reference_name(value)
    if name not in kinds:
        return value
    options = {k: v for k, v in value.items() if k != "name"} if isinstance(value, dict) \
        else {}
    return Code(call(name, [], options) if kinds[name] == "class" else name)


def loss_reference(value: Any, kinds: dict[str, str]) -> Any:
    """A loss setting as the script writes it: a Keras loss with options as its class
    (`keras.losses.SparseCategoricalCrossentropy(from_logits=True)`: a snake-case name
    would give Keras' function, which takes no options), one without by its snake-case
    name, which the script's label_form reads ("BCE" as binary_crossentropy)."""
    cls = loss_names.loss_class(value)
    if training_code.reference_name(value) in kinds or cls is None:
        return reference(value, kinds)
    options = loss_names.options(value)
    return Code(call(f"keras.losses.{cls}", [], options)) if options \
        else loss_names.canonical(value)


def settings_with_code(settings: dict[str, Any], training: dict | None) -> dict[str, Any]:
    """`settings` with each custom loss and metric, and each Keras loss with options,
    replaced by its code."""
    kinds = definitions(training)
    out = dict(settings)
    out["loss"] = {k: loss_reference(v, kinds) for k, v in settings["loss"].items()}
    if not kinds:
        return out
    out["metrics"] = {k: [reference(m, kinds) for m in v] for k, v in settings["metrics"].items()}
    return out


def block(training: dict | None) -> tuple[list[str], str | None]:
    """(import lines, the code's body with a registration line per definition), or
    ([], None) when there is no code."""
    kinds = definitions(training)
    text = training_code.source(training)
    if not text.strip():
        return [], None
    imports, body = split_source(text)
    registers = "\n".join(
        call(REGISTER, [], {"package": DEFAULT_PACKAGE, "name": name},
             prefix=f"{name} = ", suffix=f"({name})") for name in kinds)
    head = "# Custom losses and metrics (the project's training code).\n"
    return imports, f"{head}{body.rstrip()}\n\n\n{registers}\n" if registers else head + body
