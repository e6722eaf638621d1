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
import difflib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from . import name_fix, percent_fix, rate_check, value_fix
from .document import Document
from .setting_issue import SettingIssue, _issue
from .setting_values import (  # noqa: F401 - public here too
    OPTIONAL_POSITIVE,
    POSITIVE,
    Check,
    boolean,
    check_class_weight,
    check_schedule,
    data_spec,
    number,
    one_of,
    optional_data_spec,
    text,
)
from .training import DEFAULTS, resolve_training
from .training_keys import keyword_issues
from .training_monitors import (  # noqa: F401 - public here too
    check_monitors,
    logged_names,
)
from .training_outputs import (  # noqa: F401 - public here too
    KERAS_LOSSES,
    KERAS_METRICS,
    METRIC_NAMES,
    OUR_LOSSES,
    OUR_METRICS,
    PER_CLASS,
    SUGGEST_FIX,
    TOP_K,
    TOP_K_DEFAULT,
    _check_custom_code,
    _check_losses,
    _check_metrics,
    check_class_ids,
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
    # Keras' validation_split holds out the last samples as they come; on a file sorted by
    # its labels that is one class. True: in an order drawn with the seed first.
    "shuffle_before_split": False,
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
    out["optimizer"] = {"name": name, **_with_defaults(options, _entry(OPTIMIZERS, name))}
    schedule = out["schedule"]
    if isinstance(schedule, str | Mapping):
        schedule = {"name": schedule} if isinstance(schedule, str) else dict(schedule)
        out["schedule"] = _with_defaults(schedule, _entry(SCHEDULES, schedule.get("name")))
    if isinstance(out["callbacks"], list):  # else check_callbacks says what it received
        out["callbacks"] = [_with_defaults(cb, _entry(CALLBACKS, cb.get("name")))
                            if isinstance(cb, Mapping) else cb for cb in out["callbacks"]]
    return out


def _entry(table: Mapping[str, dict], name: Any) -> dict:
    """The defaults of `name` in `table`; none for an unknown name, or one of another type
    than text (a list: `_check_options` reports it)."""
    return table.get(name, {}) if isinstance(name, str) else {}


def _with_training(doc: Document, training: dict) -> Document:
    # A shallow stand-in: resolve_training reads only training, outputs and nodes.
    copied = Document.__new__(Document)
    copied.__dict__.update(doc.__dict__)
    copied.training = training
    return copied


# ---- checks ----------------------------------------------------------------------
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
    "validation_split": number(0, 1), "shuffle": boolean, "shuffle_before_split": boolean,
    "seed": number(integer=True, allow_none=True),
    "mixed_precision": one_of(*PRECISIONS), "device": one_of(*DEVICES),
    "executor": one_of(*EXECUTORS), "data": data_spec, "test_data": optional_data_spec,
}


def _check_options(options: Any, table: Mapping[str, Any], field: str,
                   what: str) -> list[SettingIssue]:
    if not isinstance(options, Mapping):
        return [_issue(field, f"expected an object with a 'name'. Received: {options!r}")]
    name = options.get("name")
    if not isinstance(name, str) or name not in table:
        issue = _issue(f"{field}.name", f"expected {'an' if what[0] in 'aeiou' else 'a'} "
                                        f"{what} among {', '.join(table)}. Received: {name!r}")
        meant = name_fix.closest(name, table)  # 'adam' for 'Adam'
        return [replace(issue, fixes=(SUGGEST_FIX,), data={"suggestion": meant})
                if meant is not None else issue]
    issues = []
    for key, value in options.items():
        if key == "name":
            continue
        if key not in table[name]:
            issues.append(_issue(f"{field}.{key}", f"{name} takes no option {key!r}. "
                                                   f"Options: {', '.join(table[name])}"))
        elif key in RULES and (expected := RULES[key](value)):
            issues.append(value_fix.offer(_issue(f"{field}.{key}", f"expected {expected}. "
                                                 f"Received: {value!r}"), value, RULES[key]))
    missing = [k for k, v in table[name].items() if v is REQUIRED and k not in options]
    issues += [_issue(f"{field}.{k}", f"{name} needs a {k!r}") for k in missing]
    return issues


def check_callbacks(settings: Mapping[str, Any]) -> list[SettingIssue]:
    """Problems in `settings["callbacks"]` (resolved settings), each naming its field."""
    callbacks = settings.get("callbacks")
    if not isinstance(callbacks, list):
        return [_issue("training.callbacks", f"expected a list. Received: {callbacks!r}")]
    issues = []
    split = settings.get("validation_split", 0)
    # no validation data: a split of 0 (one that is no number has its own issue)
    unvalidated = not number(0, 1)(split) and split == 0
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
        if isinstance(monitor, str) and monitor.startswith("val_") and unvalidated:
            # the training value of the same name is logged: the plain answer
            issues.append(SettingIssue(
                f"{field}.monitor", "warning", f"{field}.monitor: {monitor!r} needs "
                f"validation data, but validation_split is 0; monitor {monitor[4:]!r} or "
                "hold out a validation split", fixes=(SUGGEST_FIX,),
                data={"suggestion": monitor[4:]}))
    return issues


def check_training(doc: Document, results: Mapping[str, Any] | None = None
                   ) -> list[SettingIssue]:
    """Every problem in `doc.training`, each naming its field. Never raises.

    `results` are the graph's inference results where the caller has them (the
    output units some metrics need); otherwise the shapes are inferred here.
    """
    keys = keyword_issues(doc.training)
    refused = {i.field for i in keys}
    return keys + [i for i in unknown_settings(doc.training) + _check_settings(doc, results)
                   if i.field not in refused]


# The section's fields: the contract's, the extended ones, and those of their own modules
# (`graph.training_code`, `runtime.finetune`) or that a run record adds.
SETTINGS = (*DEFAULTS, *EXTRA_DEFAULTS, "custom_code", "finetune")
KNOWN_SETTINGS = (*SETTINGS, "data_fingerprint", "data_stamp")


def unknown_settings(training: Any) -> list[SettingIssue]:
    """A warning per top-level key nothing reads (`Epochs`, a typo, was silently ignored
    and the default trained), naming the closest known setting."""
    if not isinstance(training, Mapping):
        return []
    issues = []
    for key in training:
        if not isinstance(key, str) or key in KNOWN_SETTINGS:
            continue
        close = difflib.get_close_matches(key.lower(), SETTINGS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        issues.append(_issue(f"training.{key}", f"no setting of this name, so it is not used"
                             f"{hint}. Received: {key!r}", "warning"))
    return issues


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
        field, _, message = str(exc).partition(": ")
        if field.startswith("training") and message:  # the error names its field
            return [_issue(field, message)]
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
    if isinstance(settings["schedule"], Mapping):
        issues += check_schedule(settings["schedule"])
    for key in ("batch_size", "epochs", "validation_split", "shuffle", "shuffle_before_split",
                "seed", "mixed_precision", "device", "executor", "data", "test_data"):
        if expected := RULES[key](settings[key]):
            issue = _issue(f"training.{key}", f"expected {expected}. "
                                              f"Received: {settings[key]!r}")
            if key in percent_fix.SETTINGS and percent_fix.percentage(settings[key]):
                issue = replace(issue, fixes=(percent_fix.FIX,))  # 20 for 0.2
            issues.append(value_fix.offer(issue, settings[key], RULES[key]))  # "10" for 10
    issues += check_class_weight(settings["class_weight"], len(doc.outputs))
    if not issues or all(i.field != "training.class_weight" for i in issues):
        issues += check_class_ids(doc, settings["class_weight"], results)
    issues += [_issue(f"training.loss_weights.{name}", f"a negative weight trains output "
                      f"{name!r} to make its loss larger. Expected a number >= 0. Received: "
                      f"{weight!r}", "warning")
               for name, weight in (settings.get("loss_weights") or {}).items() if weight < 0]
    issues += rate_check.rate_issues(settings, OPTIMIZERS) if not issues else []
    return (issues + _check_metrics(doc, settings, results) + check_callbacks(settings)
            + check_monitors(doc, settings) + _check_losses(doc, settings)
            + _check_custom_code(doc, settings))
