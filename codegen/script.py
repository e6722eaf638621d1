"""`script=True`: the model module grown into a standalone training script.

The script sets KERAS_BACKEND before importing keras, loads data (synthetic,
scikit-learn sets or an .npz file), compiles with the document's training settings
(per-output losses, metrics and loss weights), fits with validation, evaluates and
saves a .keras file. It never imports kerascanvas. User text (names, losses, the
data spec) reaches it only as `repr` literals in the constants block.
"""

from __future__ import annotations

from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.training import resolve_training

from .emit import INDENT, Module
from .errors import CodegenError
from .literals import call, literal
from .plan import Plan
from .script_parts import (
    DATA_FUNCTIONS,
    MAIN_FUNCTION,
    MAIN_GUARD,
    SCRIPT_HEADER,
    SCRIPT_IMPORTS,
)

SYNTHETIC_SAMPLES = 256  # as runtime.data.DEFAULT_SYNTHETIC
UNKNOWN_LENGTH = 8  # as runtime.data.SYNTHETIC_LENGTH: unknown Input dims in synthetic data
SETTING_KEYS = ("batch_size", "epochs", "validation_split", "shuffle", "seed", "data")

# Keras optimizer identifiers -> classes, so the script reads `keras.optimizers.Adam(...)`.
OPTIMIZERS = {
    "adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad",
    "adadelta": "Adadelta", "adamax": "Adamax", "nadam": "Nadam", "ftrl": "Ftrl",
    "lion": "Lion", "adafactor": "Adafactor", "lamb": "Lamb",
}


def _settings(doc: Document) -> dict[str, Any]:
    try:
        return resolve_training(doc)
    except (ValueError, TypeError, AttributeError) as exc:  # a malformed training section
        raise CodegenError(f"The training settings cannot be used: {exc}") from None


def _int_limit(plan: Plan, step) -> int | None:
    """Synthetic integer inputs stay below the smallest input_dim of the Embeddings they feed."""
    dims = [s.params["input_dim"] for s in plan.steps
            if s.spec.kind == "Embedding" and step.outputs[0] in s.inputs]
    return min(dims) if dims else None


def _mapping(name: str, items: dict[str, Any], comment: str) -> str:
    if not items:
        return f"# {comment}\n{name} = {{}}\n"
    body = "".join(f"{INDENT}{literal(k)}: {literal(v)},\n" for k, v in items.items())
    return f"# {comment}\n{name} = {{\n{body}}}\n"


def constants(plan: Plan, settings: dict[str, Any]) -> str:
    """The block of constants the fixed script functions read."""
    inputs = {s.name: (s.params["shape"], s.params["dtype"], _int_limit(plan, s))
              for s in plan.inputs}
    weights = settings["loss_weights"]
    parts = [
        _mapping("INPUTS", inputs, "Model inputs: name -> (shape without batch, dtype, "
                 "integer values below, or None)."),
        _mapping("LOSSES", settings["loss"], "Model outputs, in order: name -> loss."),
        _mapping("METRICS", settings["metrics"], "Metrics per output."),
        (_mapping("LOSS_WEIGHTS", weights, "Weight of each output's loss in the total.")
         if weights else "LOSS_WEIGHTS = None\n"),
        _mapping("SETTINGS", {k: settings[k] for k in SETTING_KEYS}, "Training settings."),
        f"SYNTHETIC_SAMPLES = {SYNTHETIC_SAMPLES}\n"
        f"UNKNOWN_LENGTH = {UNKNOWN_LENGTH}  # length of unknown input dims in synthetic data\n",
    ]
    return "\n".join(parts)


def optimizer_function(options: dict[str, Any]) -> str:
    """`def make_optimizer(): return keras.optimizers.Adam(learning_rate=0.001)`."""
    options = dict(options)
    name = options.pop("name")
    lines = ["def make_optimizer():"]
    cls = OPTIMIZERS.get(name.lower()) if isinstance(name, str) else None
    if cls is not None:
        lines.append(call(f"keras.optimizers.{cls}", [], options, INDENT, "return "))
    else:
        lines.append(f"{INDENT}optimizer = keras.optimizers.get({literal(name)})")
        lines.append(call("type(optimizer)", [], options, INDENT, "return "))
    return "\n".join(lines) + "\n"


def to_script(module: Module, plan: Plan, doc: Document) -> Module:
    """`module` (helpers and build_model) plus constants, data loading, main and its guard."""
    settings = _settings(doc)
    blocks = [*module.blocks, constants(plan, settings),
              optimizer_function(settings["optimizer"]), DATA_FUNCTIONS, MAIN_FUNCTION,
              MAIN_GUARD]
    return Module(imports=list(SCRIPT_IMPORTS), blocks=blocks, header=SCRIPT_HEADER)
