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
from kerascanvas.graph.layers.preprocessing import needs_adapt
from kerascanvas.graph.training import resolve_training

from . import finetune, script_training, training_code
from .emit import INDENT, Module
from .errors import CodegenError
from .literals import call, literal, pretty
from .plan import Plan
from .script_data import DATA_FUNCTIONS
from .script_parts import (
    FASTER_STEP,
    MAIN_ARGS,
    MAIN_BUILD,
    MAIN_DATA,
    MAIN_END,
    MAIN_EPOCHS,
    MAIN_FIT,
    MAIN_GUARD,
    MAIN_PARSER,
    SCRIPT_HEADER,
    SCRIPT_IMPORTS,
    SHUFFLED_SAMPLES,
    split_order,
)
from .script_weights import with_initial_weights

# A Keras user sets the policy once, before building and compiling (Keras wraps the
# optimizer in a LossScaleOptimizer itself when a mixed_float16 model compiles).
MAIN_POLICY = "    keras.config.set_dtype_policy(DTYPE_POLICY)\n"
MAIN_BUILD_ONLY = "    model = build_model()\n"

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
        _mapping("SETTINGS", {k: settings[k] for k in SETTING_KEYS}
                 | ({"class_weight": settings["class_weight"]}
                    if settings.get("class_weight") is not None else {})
                 | ({"shuffle_before_split": True}
                    if settings.get("shuffle_before_split") is True else {}),
                 "Training settings."),
        _keys_block(plan, list(settings["loss"])),
        f"SYNTHETIC_SAMPLES = {SYNTHETIC_SAMPLES}\n"
        f"UNKNOWN_LENGTH = {UNKNOWN_LENGTH}  # length of unknown input dims in synthetic data\n",
    ]
    return "\n".join(parts)


def _keys_block(plan: Plan, output_names: list[str]) -> str:
    """INPUT_KEYS and OUTPUT_KEYS: the model's dict keys by input and output name (None
    where the model takes or returns a list)."""
    inputs = outputs = None
    if plan.input_keys is not None:
        key_of = {var: key for key, var in plan.input_keys.items()}
        inputs = {s.name: key_of[s.outputs[0]] for s in plan.inputs}
    if plan.output_keys is not None:
        key_of = {var: key for key, var in plan.output_keys.items()}
        outputs = dict(zip(output_names, (key_of[v] for v in plan.outputs), strict=True))
    return ("# The model's dict keys by input and output name (None: it takes or returns a "
            "list).\n"
            f"INPUT_KEYS = {pretty(inputs)}\nOUTPUT_KEYS = {pretty(outputs)}\n")


def optimizer_function(options: dict[str, Any], phased: bool = False) -> str:
    """`def make_optimizer(): return keras.optimizers.Adam(learning_rate=0.001)`.

    When `phased` (fine-tuning), the learning rate is its argument: each phase has its own.
    """
    options = finetune.optimizer_options(options) if phased else dict(options)
    name = options.pop("name")
    lines = ["def make_optimizer(learning_rate):" if phased else "def make_optimizer():"]
    cls = OPTIMIZERS.get(name.lower()) if isinstance(name, str) else None
    if cls is not None:
        lines.append(call(f"keras.optimizers.{cls}", [], options, INDENT, "return "))
    else:
        lines.append(f"{INDENT}optimizer = keras.optimizers.get({literal(name)})")
        lines.append(call("type(optimizer)", [], options, INDENT, "return "))
    return "\n".join(lines) + "\n"


def _scheduled_optimizer(settings: dict[str, Any]) -> str:
    options = dict(settings["optimizer"])
    name = options.pop("name")
    cls = OPTIMIZERS.get(name.lower()) if isinstance(name, str) else None
    if cls is None:
        raise CodegenError(f"training.optimizer.name: a schedule needs one of Keras' "
                           f"optimizers ({', '.join(OPTIMIZERS)}). Received: {name!r}")
    return script_training.optimizer_function(options, settings["schedule"],
                                              f"keras.optimizers.{cls}")


def adapt_lines(plan: Plan) -> str:
    """Adapt the preprocessing layers that learn from data on the training inputs, as the
    app's trainer does (runtime/adapt.py); empty when there are none."""
    names = [s.name for s in plan.steps if needs_adapt(s.spec.kind, s.params)]
    if not names:
        return ""
    return (f"{INDENT}# These preprocessing layers learn their state from the training inputs.\n"
            f"{INDENT}for name in {literal(names)}:\n"
            f"{INDENT * 2}layer = model.get_layer(name)\n"
            f"{INDENT * 2}feeder = keras.Model(model.inputs, layer.input)\n"
            f"{INDENT * 2}layer.adapt(feeder.predict(packed(x, INPUTS), verbose=0,\n"
            f"{INDENT * 2}                           batch_size=SETTINGS['batch_size']))\n")


def main_function(plan: Plan, phased: bool, settings: dict[str, Any]) -> str:
    """`def main(argv=None)`: the dtype policy when mixed, one fit or the two fine-tuning
    phases, with the settings' class weights and callbacks. A learning-rate schedule
    needs the steps of an epoch, so the model then compiles once the data is loaded
    (a fine-tune's phases have no schedule, as in the app)."""
    policy = MAIN_POLICY if plan.mixed else ""
    data = MAIN_DATA + adapt_lines(plan)
    if phased:
        return (MAIN_PARSER + finetune.MAIN_EPOCHS + MAIN_ARGS + policy + finetune.MAIN_BUILD
                + data + script_training.with_fit_options(finetune.MAIN_FIT, settings)
                + MAIN_END)
    fit = script_training.with_fit_options(MAIN_FIT, settings)
    if script_training.scheduled(settings):
        build, data = MAIN_BUILD_ONLY, data + script_training.COMPILE_AFTER_DATA
    else:
        build = MAIN_BUILD
    return MAIN_PARSER + MAIN_EPOCHS + MAIN_ARGS + policy + build + data + fit + MAIN_END


def to_script(module: Module, plan: Plan, doc: Document, distributed: bool = False) -> Module:
    """`module` (helpers and build_model) plus constants, data loading, main and its guard.

    With `distributed`, the script runs under torchrun (see `codegen.distributed`).

    Raises:
        CodegenError: unusable training settings (a malformed `finetune` section, or
            fine-tuning without an Application node), naming the field; a fine-tune
            asked for as a distributed script.
    """
    settings = training_code.settings_with_code(_settings(doc), doc.training)
    code = training_code.block(doc.training)
    phases = finetune.finetune_settings(doc.training)
    if distributed:
        if phases is not None:
            raise CodegenError("training.finetune: the distributed script trains in one "
                               "phase; a two-phase fine-tune script runs in one process "
                               "(remove --distributed)")
        return _with_code(with_initial_weights(_distributed_script(module, plan, settings, doc),
                                               doc), *code)
    extra = [] if phases is None else [finetune.constants(plan, phases)]
    functions = [] if phases is None else [finetune.FUNCTIONS]
    if phases is None and script_training.scheduled(settings):
        optimizer = _scheduled_optimizer(settings)
    else:
        optimizer = optimizer_function(settings["optimizer"], phases is not None)
    shuffled = _shuffled_split(doc)
    main = split_order(main_function(plan, phases is not None, settings), shuffled)
    own_step = doc.training.get("executor") == "keras"
    blocks = [*module.blocks, constants(plan, settings), *extra, optimizer,
              *script_training.blocks(settings), DATA_FUNCTIONS,
              *([SHUFFLED_SAMPLES] if shuffled else []),
              *([] if own_step else [FASTER_STEP]), *functions,
              _without_faster_step(main) if own_step else main, MAIN_GUARD]
    module = Module(imports=[*SCRIPT_IMPORTS, *script_training.imports(settings)],
                    blocks=blocks, header=SCRIPT_HEADER)
    return _with_code(with_initial_weights(module, doc), *code)


def _without_faster_step(main: str) -> str:
    """`main` without its `faster_step` calls: `training.executor: "keras"` keeps Keras'
    own train step, as `kerascanvas run` does (under mixed precision the two steps round
    differently, see README "Headless use")."""
    return "".join(line for line in main.splitlines(keepends=True)
                   if "faster_step(model)" not in line)


def _with_code(module: Module, imports: list[str], block: str | None) -> Module:
    """`module` with the training code's imports added and its definitions first."""
    if block is None:
        return module
    merged = [*module.imports, *(line for line in imports if line not in module.imports)]
    merged.sort(key=lambda line: not line.startswith("from __future__"))
    return Module(imports=merged, blocks=[block, *module.blocks], header=module.header)


def _shuffled_split(doc: Document) -> bool:
    return (doc.training or {}).get("shuffle_before_split") is True


def _distributed_script(module: Module, plan: Plan, settings: dict[str, Any],
                        doc: Document) -> Module:
    from . import distributed

    unsupported = [(field, what) for field, what, used in (
        ("training.callbacks", "Keras callbacks", bool(settings.get("callbacks"))),
        ("training.schedule", "a learning-rate schedule", script_training.scheduled(settings)),
        ("training.class_weight", "class weights", settings.get("class_weight") is not None))
        if used]
    if unsupported:
        field, what = unsupported[0]
        raise CodegenError(f"{field}: the distributed script trains with its own loop, which "
                           f"does not apply {what}; generate the one-process script, or train "
                           f"on several processes with `kerascanvas run --nproc-per-node N`, "
                           f"which does")

    shuffled = _shuffled_split(doc)
    main = split_order(distributed.main_function(MAIN_POLICY if plan.mixed else ""), shuffled)
    blocks = [*module.blocks, constants(plan, settings),
              optimizer_function(settings["optimizer"]), DATA_FUNCTIONS,
              *([SHUFFLED_SAMPLES] if shuffled else []), distributed.FUNCTIONS, main,
              MAIN_GUARD]
    return Module(imports=[*SCRIPT_IMPORTS, *distributed.IMPORTS], blocks=blocks,
                  header=distributed.HEADER)
