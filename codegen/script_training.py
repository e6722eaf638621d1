"""The training script's learning-rate schedule, callbacks and class weights.

They are written as the app's runtime makes them (`runtime.optim`, `runtime.callbacks`,
`runtime.fitplan.class_weights`), so `python train.py` trains as `kerascanvas run`:

* a schedule counts optimizer steps, and the settings give it in epochs, so
  `make_optimizer(steps_per_epoch, epochs)` turns epochs into steps once the data is
  loaded, and the model compiles after that;
* the callbacks are Keras' own, made by `make_callbacks()` (the TensorBoard one writes
  with torch's SummaryWriter, as Keras' own refuses the torch backend);
* "balanced" class weights are computed from the training labels as scikit-learn does.

Nothing is written for settings left at their defaults, so a script without them
reads as before.
"""

from __future__ import annotations

from typing import Any

from kerascanvas.graph.training_schema import CALLBACKS, REQUIRED, SCHEDULES

from .emit import INDENT
from .errors import CodegenError
from .literals import Code, call, literal

KERAS_CALLBACKS = {"early_stopping": "EarlyStopping", "model_checkpoint": "ModelCheckpoint",
                   "reduce_lr_on_plateau": "ReduceLROnPlateau", "csv_logger": "CSVLogger",
                   "terminate_on_nan": "TerminateOnNaN", "tensorboard": "TensorBoardLogger"}
PATH_OPTIONS = ("filepath", "filename")  # their folder is made first, as the runtime does
SCHEDULE_CLASS = "keras.optimizers.schedules"


def scheduled(settings: dict[str, Any]) -> bool:
    """Whether the settings' learning rate follows a schedule (not a constant)."""
    return (settings.get("schedule") or {}).get("name", "constant") != "constant"


def _steps(epochs: Any) -> Code:
    return Code(f"steps({literal(epochs)})")


def schedule_expression(schedule: dict[str, Any], rate: float) -> str:
    """The source of the schedule object, reading `steps()` and `epochs`."""
    name = schedule.get("name")
    if name not in SCHEDULES:
        raise CodegenError(f"training.schedule.name: expected one of {', '.join(SCHEDULES)}. "
                           f"Received: {name!r}")
    options = {**SCHEDULES[name], **schedule}
    if name == "cosine_decay":
        warmup = options["warmup_epochs"]
        span = _steps(options["decay_epochs"]) if options["decay_epochs"] else \
            Code(f"steps(max(epochs - {literal(warmup)}, 1e-9))")
        if not warmup:
            return call(f"{SCHEDULE_CLASS}.CosineDecay", [literal(rate), span],
                        {"alpha": options["alpha"]})
        return call(f"{SCHEDULE_CLASS}.CosineDecay", ["0.0", span],
                    {"alpha": options["alpha"], "warmup_target": rate,
                     "warmup_steps": _steps(warmup)})
    if name == "exponential_decay":
        return call(f"{SCHEDULE_CLASS}.ExponentialDecay",
                    [literal(rate), _steps(options["decay_epochs"]),
                     literal(options["decay_rate"])], {"staircase": options["staircase"]})
    bounds = list(options["boundaries"])
    values = options["values"]
    if values is None:
        values = [rate * options["factor"] ** i for i in range(len(bounds) + 1)]
    values = [float(v) for v in values]
    if not bounds:
        return literal(values[0])
    return call(f"{SCHEDULE_CLASS}.PiecewiseConstantDecay",
                [f"[{', '.join(_steps(b) for b in bounds)}]", literal(values)], {})


def optimizer_function(options: dict[str, Any], schedule: dict[str, Any], cls: str) -> str:
    """`def make_optimizer(steps_per_epoch, epochs)`: the optimizer `cls` (a source name)
    with its rate following `schedule`."""
    options = dict(options)
    rate = float(options.pop("learning_rate"))
    expression = schedule_expression(schedule, rate)
    return (
        "def make_optimizer(steps_per_epoch, epochs):\n"
        f'{INDENT}"""The optimizer, its learning rate on a schedule that counts optimizer '
        f'steps\n{INDENT}(the settings give it in epochs)."""\n\n'
        f"{INDENT}def steps(epochs_):\n"
        f"{INDENT * 2}return max(1, round(epochs_ * steps_per_epoch))\n\n"
        + expression_lines(expression)
        + call(cls, [], {**options, "learning_rate": Code("learning_rate")}, INDENT, "return ")
        + "\n")


def expression_lines(expression: str) -> str:
    lines = expression.splitlines()
    return "".join(f"{INDENT}{'learning_rate = ' if i == 0 else ''}{line}\n"
                   for i, line in enumerate(lines))


def callbacks_function(callbacks: list[dict[str, Any]]) -> str | None:
    """`def make_callbacks()` returning Keras callbacks, or None when there are none. The
    folder of a file a callback writes is made first, as the runtime does (a bare file
    name, written in the working folder, needs none)."""
    if not callbacks:
        return None
    folders, made = [], []
    for entry in callbacks:
        name = entry.get("name")
        if name not in KERAS_CALLBACKS:
            raise CodegenError(f"training.callbacks: the script cannot write a {name!r} "
                               f"callback; expected one of {', '.join(KERAS_CALLBACKS)}")
        defaults = CALLBACKS[name]
        options = {k: v for k, v in entry.items()
                   if k != "name" and (defaults.get(k, REQUIRED) is REQUIRED or v != defaults[k])}
        folders += [f"{INDENT}os.makedirs(os.path.dirname({literal(options[key])}) or '.', "
                    f"exist_ok=True)" for key in PATH_OPTIONS if _in_folder(options.get(key))]
        cls = KERAS_CALLBACKS[name]
        func = cls if name == "tensorboard" else f"keras.callbacks.{cls}"
        made.append(call(func, [], options, 2 * INDENT) + ",")
    return "\n".join(["def make_callbacks():",
                      f'{INDENT}"""The callbacks of the training settings, made for each run."""',
                      *folders, f"{INDENT}return [", *made, f"{INDENT}]"]) + "\n"


def _in_folder(path: Any) -> bool:
    """Whether a callback's file path names a folder (on any system's separators)."""
    return isinstance(path, str) and ("/" in path or "\\" in path)


TENSORBOARD_LOGGER = '''\
class TensorBoardLogger(keras.callbacks.Callback):
    """Epoch losses, metrics and the learning rate as TensorBoard scalars, written with
    torch's SummaryWriter (`pip install tensorboard`): Keras' own TensorBoard callback
    refuses the torch backend."""

    def __init__(self, log_dir='logs'):
        super().__init__()
        self.log_dir = log_dir

    def on_train_begin(self, logs=None):
        self.writer = SummaryWriter(log_dir=self.log_dir)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            tag = f'validation/{key[4:]}' if key.startswith('val_') else f'train/{key}'
            self.writer.add_scalar(tag, float(value), epoch)
        rate = self.model.optimizer.learning_rate  # a schedule's rate at the current step
        self.writer.add_scalar('learning_rate', float(keras.ops.convert_to_numpy(rate)), epoch)
        self.writer.flush()

    def on_train_end(self, logs=None):
        self.writer.close()
'''

CLASS_WEIGHTS = '''\
def class_weights(setting, labels):
    """Keras' class_weight: as given, or "balanced": class c weighs n / (classes * count(c))."""
    if setting != 'balanced':
        return {int(k): float(v) for k, v in setting.items()}
    labels = np.asarray(labels)
    ids = labels.argmax(-1) if labels.ndim > 1 and labels.shape[-1] > 1 else labels.reshape(-1)
    classes, counts = np.unique(ids.astype('int64'), return_counts=True)
    return {int(c): len(ids) / (len(classes) * int(n))
            for c, n in zip(classes, counts, strict=True)}
'''

COMPILE_AFTER_DATA = '''\
    steps_per_epoch = max(1, -(-len(next(iter(x.values()))) // SETTINGS['batch_size']))
    model.compile(
        optimizer=make_optimizer(steps_per_epoch, args.epochs),
        loss=packed(LOSSES, LOSSES),
        metrics=packed(METRICS, LOSSES),
        loss_weights=packed(LOSS_WEIGHTS, LOSSES) if LOSS_WEIGHTS else None,
    )
'''

FIT_ANCHOR = "        shuffle=SETTINGS['shuffle'],\n"


def imports(settings: dict[str, Any]) -> list[str]:
    """Import lines the fit's functions need: torch's SummaryWriter for TensorBoard."""
    if any(c.get("name") == "tensorboard" for c in settings.get("callbacks") or []):
        return ["from torch.utils.tensorboard import SummaryWriter  # noqa: E402"]
    return []


def blocks(settings: dict[str, Any]) -> list[str]:
    """The functions the fit needs: make_callbacks (and the TensorBoard logger it may use),
    class_weights; none for settings at their defaults."""
    callbacks = settings.get("callbacks") or []
    out = []
    if any(c.get("name") == "tensorboard" for c in callbacks):
        out.append(TENSORBOARD_LOGGER)
    made = callbacks_function(callbacks)
    if made:
        out.append(made)
    if settings.get("class_weight") is not None:
        out.append(CLASS_WEIGHTS)
    return out


def with_fit_options(fit: str, settings: dict[str, Any]) -> str:
    """A fit call's text (or its options' dict) with class_weight and callbacks added."""
    extra = []
    if settings.get("class_weight") is not None:
        extra.append("class_weight=class_weights(SETTINGS['class_weight'], packed(y, LOSSES)),")
    if settings.get("callbacks"):
        extra.append("callbacks=make_callbacks(),")
    if not extra:
        return fit
    if FIT_ANCHOR not in fit:
        raise AssertionError("the fit text changed; update codegen.script_training")
    return fit.replace(FIT_ANCHOR, FIT_ANCHOR + "".join(f"        {e}\n" for e in extra))
