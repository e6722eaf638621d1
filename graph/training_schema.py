"""The extended `training` section: optimizer, schedule, callbacks, precision. Pure.

This adds to the contract of `graph.training` (which it does not change):

    {"optimizer": {"name": "adam|adamw|sgd|rmsprop|adagrad|nadam",
                   "learning_rate": 0.001, <that optimizer's Keras keywords>,
                   "weight_decay": null, "clipnorm": null, "clipvalue": null,
                   "global_clipnorm": null},
     "schedule": {"name": "constant"}
               | {"name": "cosine_decay", "decay_epochs": null, "alpha": 0.0,
                  "warmup_epochs": 0}
               | {"name": "exponential_decay", "decay_epochs": 1.0, "decay_rate": 0.9,
                  "staircase": false}
               | {"name": "step", "boundaries": [10, 20], "values": null, "factor": 0.1},
     "class_weight": null | "balanced" | {"0": 1.0, "1": 5.0},
     "mixed_precision": "off|mixed_float16|mixed_bfloat16",
     "device": "auto|cpu|cuda",
     "executor": "auto|keras",
     "callbacks": [{"name": "early_stopping", "monitor": "val_loss", "patience": 3}, ...]}

Schedules count in epochs (fractions allowed): the runtime turns them into steps.
A left-out `learning_rate` takes the chosen optimizer's Keras default (SGD: 0.01).
`step` holds `values[i]` from boundary i on; without `values` the rate is
multiplied by `factor` at each boundary. A cosine schedule without `decay_epochs`
decays over the whole run. Every callback option is named and defaulted as the
Keras keyword it maps to.

`check_training(doc)` never raises: it returns `SettingIssue`s, each naming its
field (e.g. `training.optimizer.name`), shaped like `graph.validate.Issue`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import Any

from .document import Document
from .setting_issue import SettingIssue, _issue
from .training import output_name, resolve_training
from .training_keys import keyword_issues
from .training_outputs import (  # noqa: F401 - public here too
    KERAS_LOSSES,
    KERAS_METRICS,
    METRIC_NAMES,
    OUR_LOSSES,
    OUR_METRICS,
    PER_CLASS,
    TOP_K,
    TOP_K_DEFAULT,
    _check_custom_code,
    _check_losses,
    _check_metrics,
    _hinted,
    closest,
)

REQUIRED = object()

_ADAM = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}
_CLIP = {"weight_decay": None, "clipnorm": None, "clipvalue": None, "global_clipnorm": None}
# Keras' own defaults per optimizer (a test checks them against get_config()).
OPTIMIZERS: dict[str, dict[str, Any]] = {
    "adam": {"learning_rate": 0.001, **_ADAM, **_CLIP},
    "adamw": {"learning_rate": 0.001, **_ADAM, **_CLIP, "weight_decay": 0.004},
    "sgd": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False, **_CLIP},
    "rmsprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
                "centered": False, **_CLIP},
    "adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7,
                **_CLIP},
    "nadam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
              **_CLIP},
}

SCHEDULES: dict[str, dict[str, Any]] = {
    "constant": {},
    "cosine_decay": {"decay_epochs": None, "alpha": 0.0, "warmup_epochs": 0},
    "exponential_decay": {"decay_epochs": 1.0, "decay_rate": 0.9, "staircase": False},
    "step": {"boundaries": [], "values": None, "factor": 0.1},
}

CALLBACKS: dict[str, dict[str, Any]] = {
    "early_stopping": {"monitor": "val_loss", "min_delta": 0.0, "patience": 0, "mode": "auto",
                       "baseline": None, "restore_best_weights": False,
                       "start_from_epoch": 0},
    "model_checkpoint": {"filepath": REQUIRED, "monitor": "val_loss", "save_best_only": False,
                         "save_weights_only": False, "mode": "auto"},
    "reduce_lr_on_plateau": {"monitor": "val_loss", "factor": 0.1, "patience": 10,
                             "mode": "auto", "min_delta": 1e-4, "cooldown": 0, "min_lr": 0.0},
    "csv_logger": {"filename": REQUIRED, "separator": ",", "append": False},
    "terminate_on_nan": {},
    "tensorboard": {"log_dir": "logs"},
}

PRECISIONS = ("off", "mixed_float16", "mixed_bfloat16")
DEVICES = ("auto", "cpu", "cuda")
EXECUTORS = ("auto", "keras")  # auto: the runtime's fastest step; keras: Keras' own
MODES = ("auto", "min", "max")
EXTRA_DEFAULTS: dict[str, Any] = {
    "schedule": {"name": "constant"},
    "class_weight": None,
    "mixed_precision": "off",
    "device": "auto",
    "executor": "auto",
    "callbacks": [],
}


def _with_defaults(options: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict:
    out = {"name": options["name"]} if "name" in options else {}
    out.update(copy.deepcopy({k: v for k, v in defaults.items() if v is not REQUIRED}))
    out.update(copy.deepcopy(dict(options)))
    return out


def resolve_extended(doc: Document, overrides: Mapping[str, Any] | None = None) -> dict:
    """`resolve_training(doc)` plus every extended field filled with its default.

    Args:
        doc: the document; its `training` section is read, never changed.
        overrides: top-level training fields that replace the document's.

    The optimizer, schedule and each callback get all their options; unknown
    names are kept as given (`check_training` reports them).
    """
    if overrides:
        doc = _with_training(doc, {**(doc.training or {}), **copy.deepcopy(dict(overrides))})
    out = resolve_training(doc)
    raw = doc.training or {}
    for key, value in EXTRA_DEFAULTS.items():
        out[key] = copy.deepcopy(raw.get(key, value))
    raw_opt = raw.get("optimizer") or {}
    raw_opt = {"name": raw_opt} if isinstance(raw_opt, str) else dict(raw_opt)
    name = out["optimizer"]["name"]
    options = {k: v for k, v in raw_opt.items() if k != "name"}
    out["optimizer"] = {"name": name, **_with_defaults(options, OPTIMIZERS.get(name, {}))}
    schedule = out["schedule"]
    schedule = {"name": schedule} if isinstance(schedule, str) else dict(schedule)
    out["schedule"] = _with_defaults(schedule, SCHEDULES.get(schedule.get("name"), {}))
    out["callbacks"] = [_with_defaults(cb, CALLBACKS.get(cb.get("name"), {}))
                        if isinstance(cb, Mapping) else cb for cb in out["callbacks"]]
    return out


def _with_training(doc: Document, training: dict) -> Document:
    # A shallow stand-in: resolve_training reads only training, outputs and nodes.
    copied = Document.__new__(Document)
    copied.__dict__.update(doc.__dict__)
    copied.training = training
    return copied


# ---- checks ----------------------------------------------------------------------
Check = Callable[[Any], str | None]


def number(low: float | None = None, high: float | None = None, integer: bool = False,
           allow_none: bool = False, low_open: bool = False) -> Check:
    """A check that a value is a number within bounds; returns the expectation or None."""
    kind = "an integer" if integer else "a number"
    bounds = []
    if low is not None:
        bounds.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        bounds.append(f"<= {high}")
    expected = f"{kind}{' ' + ' and '.join(bounds) if bounds else ''}"
    expected += " or null" if allow_none else ""

    def check(value):
        if value is None:
            return None if allow_none else expected
        types = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, types):
            return expected
        if low is not None and (value < low or (low_open and value == low)):
            return expected
        return expected if high is not None and value > high else None

    return check


def one_of(*choices) -> Check:
    return lambda value: None if value in choices else f"one of {', '.join(map(repr, choices))}"


def boolean(value) -> str | None:
    return None if isinstance(value, bool) else "true or false"


def text(value) -> str | None:
    return None if isinstance(value, str) and value.strip() else "a non-empty string"


POSITIVE = number(0, low_open=True)
OPTIONAL_POSITIVE = number(0, low_open=True, allow_none=True)
RULES: dict[str, Check] = {
    "learning_rate": POSITIVE, "beta_1": number(0, 1), "beta_2": number(0, 1),
    "epsilon": POSITIVE, "amsgrad": boolean, "weight_decay": number(0, allow_none=True),
    "clipnorm": OPTIONAL_POSITIVE, "clipvalue": OPTIONAL_POSITIVE,
    "global_clipnorm": OPTIONAL_POSITIVE, "momentum": number(0, 1), "nesterov": boolean,
    "rho": number(0, 1), "centered": boolean, "initial_accumulator_value": number(0),
    "decay_epochs": OPTIONAL_POSITIVE, "alpha": number(0, 1), "warmup_epochs": number(0),
    "decay_rate": POSITIVE, "staircase": boolean, "factor": POSITIVE,
    "monitor": text, "min_delta": number(0), "patience": number(0, integer=True),
    "mode": one_of(*MODES), "baseline": number(allow_none=True),
    "restore_best_weights": boolean, "start_from_epoch": number(0, integer=True),
    "filepath": text, "save_best_only": boolean, "save_weights_only": boolean,
    "cooldown": number(0, integer=True), "min_lr": number(0), "filename": text,
    "separator": text, "append": boolean, "log_dir": text,
    "batch_size": number(1, integer=True), "epochs": number(1, integer=True),
    "validation_split": number(0, 1), "shuffle": boolean,
    "seed": number(integer=True, allow_none=True),
    "mixed_precision": one_of(*PRECISIONS), "device": one_of(*DEVICES),
    "executor": one_of(*EXECUTORS),
}


def _check_options(options: Any, table: Mapping[str, Any], field: str,
                   what: str) -> list[SettingIssue]:
    if not isinstance(options, Mapping):
        return [_issue(field, f"expected an object with a 'name'. Received: {options!r}")]
    name = options.get("name")
    if name not in table:
        return [_issue(f"{field}.name", f"expected a {what} among {', '.join(table)}. "
                                        f"Received: {name!r}")]
    issues = []
    for key, value in options.items():
        if key == "name":
            continue
        if key not in table[name]:
            issues.append(_issue(f"{field}.{key}", f"{name} takes no option {key!r}. "
                                                   f"Options: {', '.join(table[name])}"))
        elif key in RULES and (expected := RULES[key](value)):
            issues.append(_issue(f"{field}.{key}", f"expected {expected}. Received: {value!r}"))
    missing = [k for k, v in table[name].items() if v is REQUIRED and k not in options]
    issues += [_issue(f"{field}.{k}", f"{name} needs a {k!r}") for k in missing]
    return issues


def _check_schedule(schedule: Mapping[str, Any]) -> list[SettingIssue]:
    if schedule.get("name") != "step":
        return []
    bounds, values = schedule.get("boundaries"), schedule.get("values")
    if not isinstance(bounds, list) or any(number(0, low_open=True)(b) for b in bounds) \
            or bounds != sorted(set(bounds)):
        return [_issue("training.schedule.boundaries",
                       f"expected increasing positive epoch numbers. Received: {bounds!r}")]
    if values is not None and (not isinstance(values, list) or len(values) != len(bounds) + 1
                               or any(POSITIVE(v) for v in values)):
        return [_issue("training.schedule.values",
                       f"expected {len(bounds) + 1} positive learning rates (one more than "
                       f"the boundaries). Received: {values!r}")]
    return []


def _check_class_weight(value: Any, outputs: int) -> list[SettingIssue]:
    field = "training.class_weight"
    if value is None:
        return []
    if outputs != 1:
        return [_issue(field, f"class weights apply to a model with one output. "
                              f"This model has {outputs}")]
    if value == "balanced":
        return []
    if not isinstance(value, Mapping):
        return [_issue(field, f"expected null, 'balanced' or {{class id: weight}}. "
                              f"Received: {value!r}")]
    for key, weight in value.items():
        if not str(key).isdigit() or POSITIVE(weight):
            return [_issue(f"{field}.{key}", f"expected a class id (0, 1, ...) mapped to a "
                                             f"positive weight. Received: {key!r}: {weight!r}")]
    return []


def check_callbacks(settings: Mapping[str, Any]) -> list[SettingIssue]:
    """Problems in `settings["callbacks"]` (resolved settings), each naming its field."""
    callbacks = settings.get("callbacks")
    if not isinstance(callbacks, list):
        return [_issue("training.callbacks", f"expected a list. Received: {callbacks!r}")]
    issues = []
    split = settings.get("validation_split", 0)
    validates = not number(0, 1)(split) and split > 0
    for i, cb in enumerate(callbacks):
        field = f"training.callbacks[{i}]"
        issues += _check_options(cb, CALLBACKS, field, "callback")
        if not isinstance(cb, Mapping):
            continue
        path = cb.get("filepath")
        if isinstance(path, str) and not path.endswith(".weights.h5" if cb.get(
                "save_weights_only") else ".keras"):
            issues.append(_issue(f"{field}.filepath", f"expected a path ending in .keras "
                                 f"(.weights.h5 with save_weights_only). Received: {path!r}"))
        factor = cb.get("factor")
        if cb.get("name") == "reduce_lr_on_plateau" and not POSITIVE(factor) and factor >= 1:
            issues.append(_issue(f"{field}.factor", "expected a number below 1 (the rate is "
                                 f"multiplied by it on a plateau). Received: {factor!r}"))
        if cb.get("name") == "reduce_lr_on_plateau" and \
                settings.get("schedule", {}).get("name", "constant") != "constant":
            issues.append(_issue(f"{field}.name", "reduce_lr_on_plateau cannot change a "
                                 "scheduled learning rate; use schedule 'constant' with it"))
        monitor = cb.get("monitor", "")
        if isinstance(monitor, str) and monitor.startswith("val_") and not validates:
            issues.append(_issue(f"{field}.monitor", f"{monitor!r} needs validation data, "
                                 "but validation_split is 0", "warning"))
    return issues


def check_training(doc: Document, results: Mapping[str, Any] | None = None
                   ) -> list[SettingIssue]:
    """Every problem in `doc.training`, each naming its field. Never raises.

    `results` are the graph's inference results where the caller has them (the
    output units some metrics need); otherwise the shapes are inferred here.
    """
    keys = keyword_issues(doc.training)
    refused = {i.field for i in keys}
    return keys + [i for i in _check_settings(doc, results) if i.field not in refused]


def refused_training(doc: Document) -> str | None:
    """Why `kerascanvas run` refuses `doc.training` (every error, each naming its field and
    the value received), or None when it accepts them. A training script is written from
    the same settings, so whatever writes one refuses what `run` refuses."""
    errors = [i.message for i in check_training(doc) if i.severity == "error"]
    return "The training settings are refused: " + "; ".join(errors) if errors else None


def _check_settings(doc: Document, results: Mapping[str, Any] | None) -> list[SettingIssue]:
    try:
        settings = resolve_extended(doc)
    except (ValueError, TypeError, AttributeError) as exc:
        return [_issue("training", str(exc))]
    try:
        return _check_resolved(doc, settings, results)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        # A value of a type no rule expects (a fuzzed or hand-edited file).
        return [_issue("training", f"expected settings as documented; could not read them "
                                   f"({type(exc).__name__}: {exc})")]


def _check_resolved(doc: Document, settings: Mapping[str, Any],
                    results: Mapping[str, Any] | None) -> list[SettingIssue]:
    issues = _check_options(settings["optimizer"], OPTIMIZERS, "training.optimizer", "optimizer")
    issues += _check_options(settings["schedule"], SCHEDULES, "training.schedule", "schedule")
    issues += _check_schedule(settings["schedule"])
    for key in ("batch_size", "epochs", "validation_split", "shuffle", "seed",
                "mixed_precision", "device", "executor"):
        if expected := RULES[key](settings[key]):
            issues.append(_issue(f"training.{key}", f"expected {expected}. "
                                                    f"Received: {settings[key]!r}"))
    issues += _check_class_weight(settings["class_weight"], len(doc.outputs))
    return (issues + _check_metrics(doc, settings, results) + check_callbacks(settings)
            + _check_monitors(doc, settings) + _check_losses(doc, settings)
            + _check_custom_code(doc, settings))


def logged_names(doc: Document, settings: Mapping[str, Any]) -> list[str]:
    """The names Keras' training logs give the model's losses and metrics (without the
    `val_` twins that validation adds): "loss"; with several outputs, "OUT_loss" per
    output; each metric under the name it was given, "OUT_NAME" with several outputs.
    """
    outputs = [output_name(doc, o) for o in doc.outputs if doc.output_ref(o)[0] in doc.nodes]
    several = len(outputs) > 1
    names = ["loss"]
    for out in outputs:
        if several:
            names.append(f"{out}_loss")
        metrics = (settings.get("metrics") or {}).get(out) or []
        names += [f"{out}_{m}" if several else str(m) for m in metrics]
    return names


def _check_monitors(doc: Document, settings: Mapping[str, Any]) -> list[SettingIssue]:
    # Keras only warns about a monitor it never sees, and the callback then does nothing.
    callbacks = settings.get("callbacks")
    if not isinstance(callbacks, list) or not doc.outputs:
        return []
    names = logged_names(doc, settings)
    offered = [*names, *(f"val_{name}" for name in names)]
    issues = []
    for i, cb in enumerate(callbacks):
        monitor = cb.get("monitor") if isinstance(cb, Mapping) else None
        if not isinstance(monitor, str) or monitor.removeprefix("val_") in names:
            continue
        issues.append(_hinted(f"training.callbacks[{i}].monitor",
                              f"{monitor!r} is not a value that training logs, so "
                              f"{cb.get('name')} would never act. Logged: {', '.join(names)} "
                              "(and val_ of each with validation data).",
                              closest(monitor, offered)))
    return issues


def with_suggested_monitor(doc: Document, field: str, suggestion: str) -> dict | None:
    """The training settings with the monitor of `field` ("training.callbacks[1].monitor")
    set to `suggestion`, or None when `field` names no callback of the settings."""
    found = re.fullmatch(r"training\.callbacks\[(\d+)\]\.monitor", field)
    training = copy.deepcopy(doc.training or {})
    callbacks = training.get("callbacks")
    if found is None or not isinstance(callbacks, list) or int(found[1]) >= len(callbacks) \
            or not isinstance(callbacks[int(found[1])], dict):
        return None
    callbacks[int(found[1])]["monitor"] = suggestion
    return training
