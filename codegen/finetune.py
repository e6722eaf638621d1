"""Two-phase fine-tuning in a generated training script, as `runtime.finetune` runs it.

With a `finetune` section in the training settings::

    "finetune": {"phase1_epochs": 3, "phase1_lr": 1e-3,
                 "phase2_epochs": 2, "phase2_lr": 1e-5, "unfreeze_from": 100}

the script's main() freezes every keras.applications base (the Application nodes)
and trains the head at `phase1_lr`; then it unfreezes each base from layer
`unfreeze_from` on, keeps its BatchNormalization layers frozen, recompiles at
`phase2_lr` (the optimizer's other options kept, no schedule) and continues the
epoch count with `initial_epoch`, exactly as the app trains it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerascanvas.graph.spec import APPLICATION

from .errors import CodegenError
from .literals import Code, literal
from .plan import Plan

# field -> (type, bound): ints must be >= bound, floats > bound (as runtime.finetune.FIELDS).
FIELDS = {"phase1_epochs": (int, 1), "phase1_lr": (float, 0.0),
          "phase2_epochs": (int, 0), "phase2_lr": (float, 0.0), "unfreeze_from": (int, 0)}


def finetune_settings(training: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The checked `finetune` section of the training settings, or None when absent.

    >>> finetune_settings({"finetune": {"phase1_epochs": 1, "phase1_lr": 0.001,
    ...     "phase2_epochs": 0, "phase2_lr": 1e-05, "unfreeze_from": 0}})["phase1_lr"]
    0.001

    Raises:
        CodegenError: naming the field, e.g. `training.finetune.phase2_lr`.
    """
    raw = (training or {}).get("finetune")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise CodegenError(f"training.finetune: expected an object, received {raw!r}")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise CodegenError(f"training.finetune.{unknown[0]}: unknown field. Expected: "
                           f"{', '.join(FIELDS)}")
    return {key: _checked(key, raw.get(key), kind, bound)
            for key, (kind, bound) in FIELDS.items()}


def _checked(key: str, value: Any, kind: type, bound: float):
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and (float(value).is_integer() if kind is int else True)
    if not ok or (value <= bound if kind is float else value < bound):
        what = f"an integer >= {bound}" if kind is int else "a number > 0"
        raise CodegenError(f"training.finetune.{key}: expected {what}. Received: {value!r}")
    return kind(value)


def application_names(plan: Plan) -> list[str]:
    """The Keras names of the Application bases, in model order.

    Raises:
        CodegenError: fine-tuning asked for, but the model has no Application node.
    """
    names = [s.name for s in plan.steps if s.spec.kind == APPLICATION]
    if not names:
        raise CodegenError("training.finetune: two-phase fine-tuning needs an Application "
                           "node (the base network to freeze, then unfreeze)")
    return names


def constants(plan: Plan, settings: Mapping[str, Any]) -> str:
    """`FINETUNE = {...}` and `APPLICATIONS = [...]`, the names quoted with repr."""
    body = "".join(f"    {literal(k)}: {literal(v)},\n" for k, v in settings.items())
    return ("# Two-phase fine-tuning (training.finetune): the head first, then the base\n"
            "# networks from layer unfreeze_from on, at a lower learning rate.\n"
            f"FINETUNE = {{\n{body}}}\n"
            f"APPLICATIONS = {literal(application_names(plan))}  # the base networks\n")


def optimizer_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Optimizer options whose learning rate is the `learning_rate` argument of the phase."""
    return {**options, "learning_rate": Code("learning_rate")}


FUNCTIONS = '''\
def compile_for_phase(model, learning_rate):
    """Compile with the optimizer at one phase's learning rate, the losses and metrics."""
    model.compile(
        optimizer=make_optimizer(learning_rate),
        loss=packed(LOSSES, LOSSES),
        metrics=packed(METRICS, LOSSES),
        loss_weights=packed(LOSS_WEIGHTS, LOSSES) if LOSS_WEIGHTS else None,
    )


def unfreeze(bases, start):
    """Layers from `start` on train; BatchNormalization stays frozen (in inference mode)."""
    for base in bases:
        base.trainable = True
        for index, layer in enumerate(base.layers):
            if index < start or isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
'''

MAIN_EPOCHS = '''\
    parser.add_argument('--phase1-epochs', type=int, default=FINETUNE['phase1_epochs'])
    parser.add_argument('--phase2-epochs', type=int, default=FINETUNE['phase2_epochs'])
'''

MAIN_BUILD = '''\
    model = build_model()
    bases = [model.get_layer(name) for name in APPLICATIONS]
    for base in bases:  # phase 1: only the new head trains
        base.trainable = False
    compile_for_phase(model, FINETUNE['phase1_lr'])
'''

MAIN_FIT = '''\
    fit_options = dict(
        batch_size=SETTINGS['batch_size'],
        validation_data=validation,
        shuffle=SETTINGS['shuffle'],
    )
    first = args.phase1_epochs
    print(f"Phase 1: epochs 1-{first}, bases frozen, learning rate {FINETUNE['phase1_lr']}")
    faster_step(model)
    model.fit(packed(x, INPUTS), packed(y, LOSSES), epochs=first, **fit_options)
    if args.phase2_epochs:
        unfreeze(bases, FINETUNE['unfreeze_from'])
        compile_for_phase(model, FINETUNE['phase2_lr'])
        print(f"Phase 2: epochs {first + 1}-{first + args.phase2_epochs}, bases trained from "
              f"layer {FINETUNE['unfreeze_from']}, learning rate {FINETUNE['phase2_lr']}")
        faster_step(model)  # compile dropped the step
        model.fit(packed(x, INPUTS), packed(y, LOSSES), epochs=first + args.phase2_epochs,
                  initial_epoch=first, **fit_options)
'''
