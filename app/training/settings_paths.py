"""Reading and writing one training setting by its path in a training dict (no widgets).

A path names a setting as the form's rows do: ("batch_size",), ("optimizer",
"learning_rate"), ("loss", output), ("callbacks", "early_stopping", "patience"),
("finetune", "phase2_lr"). `lookup` reads one, `written` sets one (RESET removes
it), `field_path` turns a `check_training` field into the path of its row, and
`setting_type` picks the editor type of a setting from its default.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ...graph.training_schema import (
    CALLBACKS,
    DEVICES,
    MODES,
    OPTIMIZERS,
    PRECISIONS,
    REQUIRED,
    SCHEDULES,
)
from ...runtime.finetune import FinetuneError, finetune_settings
from ..panels.editors import RESET

CHOICES: dict[str, tuple] = {"mode": MODES, "mixed_precision": PRECISIONS, "device": DEVICES,
                             "class_weight": (None, "balanced")}
LIST_KEYS = ("boundaries", "values")
PER_OUTPUT = ("loss", "metrics", "loss_weights")
# Values a switched-on section starts with: paths a user must name, and the two phases.
CALLBACK_STARTS = {"model_checkpoint": {"filepath": "checkpoints/best.keras",
                                        "save_best_only": True},
                   "csv_logger": {"filename": "training_log.csv"}}
FINETUNE_START = {"phase1_epochs": 3, "phase1_lr": 1e-3, "phase2_epochs": 2, "phase2_lr": 1e-5,
                  "unfreeze_from": 0}


def _options(raw) -> dict:
    return {"name": raw} if isinstance(raw, str) else dict(raw or {})


def _callback(training: dict, name: str) -> dict | None:
    return next((cb for cb in training.get("callbacks") or []
                 if isinstance(cb, dict) and cb.get("name") == name), None)


def lookup(training: dict, path: tuple) -> tuple[bool, Any]:
    """(set, value) of the setting at `path` in a training dict (raw or resolved)."""
    head = path[0]
    if head == "callbacks":
        entry = _callback(training, path[1])
        if len(path) == 2:
            return True, entry is not None
        return (True, entry[path[2]]) if entry and path[2] in entry else (False, None)
    if head == "finetune" and len(path) == 1:
        return True, training.get("finetune") is not None
    if head in ("optimizer", "schedule", "finetune"):
        options = _options(training.get(head))
        return path[1] in options, options.get(path[1])
    if head in PER_OUTPUT and len(path) == 2:
        value = training.get(head)
        if isinstance(value, dict):
            return path[1] in value, value.get(path[1])
        return value is not None, value
    return head in training, training.get(head)


def _with_name(options: dict, name: str, table: dict) -> dict:
    # Options of the old choice (momentum, rho…) do not apply to the new one.
    return {**{k: v for k, v in options.items() if k in table.get(name, {})}, "name": name}


def _put(options: dict, key: str, value) -> dict:
    if value is RESET:
        options.pop(key, None)
    else:
        options[key] = value
    return options


def written(training: dict, path: tuple, value, outputs: list[str]) -> dict:
    """`training` with the setting at `path` set to `value` (RESET removes it)."""
    head = path[0]
    if head == "callbacks":
        callbacks = [cb for cb in training.get("callbacks") or []
                     if not (isinstance(cb, dict) and cb.get("name") == path[1])]
        entry = _callback(training, path[1])
        if len(path) == 3:
            entry = _put(dict(entry or {"name": path[1]}), path[2], value)
        elif value is True:
            entry = entry or {"name": path[1], **CALLBACK_STARTS.get(path[1], {})}
        else:
            entry = None
        training["callbacks"] = callbacks + ([entry] if entry else [])
    elif head == "finetune" and len(path) == 1:
        if value is True:
            training["finetune"] = {**FINETUNE_START, **_options(training.get("finetune"))}
        else:
            training.pop("finetune", None)
    elif head in ("optimizer", "schedule") and path[1] == "name":
        table = OPTIMIZERS if head == "optimizer" else SCHEDULES
        training[head] = _with_name(_options(training.get(head)), value, table)
    elif head in ("optimizer", "schedule", "finetune"):
        training[head] = _put(_options(training.get(head)), path[1], value)
    elif head in PER_OUTPUT and len(path) == 2:
        shared = training.get(head)
        per = dict(shared) if isinstance(shared, dict) else \
            {n: copy.deepcopy(shared) for n in outputs} if shared is not None else {}
        training[head] = _put(per, path[1], value)
    else:
        _put(training, head, value)
    return {k: v for k, v in training.items() if v != {} or k == "ui"}


def setting_type(key: str, default: Any) -> str:
    """The editor type of a setting, from its name and its default value."""
    if key in LIST_KEYS:
        return "numbers"
    if key == "class_weight":
        return "class_weight"
    if key == "test_data":
        return "text"
    if key in CHOICES:
        return "choice"
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int) or key == "seed":
        return "int"
    if isinstance(default, float) or default is None:
        return "float"
    return "text"


def finetune_issues(training: dict) -> list[tuple[str, str]]:
    """(field, message) of the fine-tuning refusal, if any."""
    try:
        finetune_settings(training)
    except FinetuneError as exc:
        return [(str(exc).partition(":")[0], str(exc))]
    return []


def field_path(field: str, settings: dict) -> tuple:
    """("callbacks", "early_stopping", "patience") for "training.callbacks[0].patience"."""
    def name_of(match):
        callbacks = settings.get("callbacks") or []
        index = int(match.group(1))
        entry = callbacks[index] if index < len(callbacks) else None
        return f".{entry.get('name')}" if isinstance(entry, dict) else f".{index}"

    text = re.sub(r"\[(\d+)\]", name_of, field.removeprefix("training").lstrip("."))
    parts = tuple(p for p in text.split(".") if p)
    if len(parts) == 3 and parts[0] == "callbacks" and parts[2] == "name":
        parts = parts[:2]
    return parts


def table_default(path: tuple):
    default = CALLBACKS[path[1]][path[2]] if path[0] == "callbacks" else None
    return None if default is REQUIRED else default
