"""A compiled model's optimizer, loss, loss weights and metrics -> the project's training
settings, for `kerascanvas import`.

A `.keras` archive of a compiled model holds `compile_config` in its `config.json`. The
import carries over what the training settings can say: an optimizer of
`training_schema.OPTIMIZERS` with its options (those that differ from Keras' defaults),
losses and metrics given by a name (or serialized with default options only), per output
as a list or a dict; a Keras loss with options (`from_logits=True`, `label_smoothing`) as
`{"name": class, **options}`. Anything else (a schedule as learning rate, a metric object,
the options of a loss that is not Keras') is left at the project's default, and a note says
what was left out. Pure: reads the config dict, no keras.

>>> training, notes = training_from_compile(
...     {"optimizer": {"class_name": "SGD", "config": {"learning_rate": 0.05000000074505806,
...                                                    "momentum": 0.9}},
...      "loss": "mse", "metrics": ["mae"]}, ["out"])
>>> training
{'optimizer': {'name': 'sgd', 'learning_rate': 0.05, 'momentum': 0.9}, 'loss': 'mse', \
'metrics': ['mae']}
>>> notes
[]
"""

from __future__ import annotations

from typing import Any

from kerascanvas.graph import loss_names
from kerascanvas.graph.training_schema import KERAS_LOSSES, METRIC_NAMES, OPTIMIZERS, OUR_LOSSES

_NO_DEFAULT = object()
LOSS_DEFAULTS = {"reduction": "sum_over_batch_size", "from_logits": False,
                 "label_smoothing": 0.0, "axis": -1, "ignore_class": None, "dtype": None}


def training_from_compile(config: Any, outputs: list[str]) -> tuple[dict, list[str]]:
    """(training settings, notes) from a model's `compile_config`; `outputs` are the
    model's output names in order (a list of losses or metrics follows it)."""
    if not isinstance(config, dict):
        return {}, []
    training: dict[str, Any] = {}
    notes: list[str] = []
    optimizer = _optimizer(config.get("optimizer"), notes)
    if optimizer:
        training["optimizer"] = optimizer
    for field, read in (("loss", _loss), ("loss_weights", _weight), ("metrics", _metrics)):
        value = _per_output(config.get(field), outputs, read, field, notes)
        if value is not None:
            training[field] = value
    return training, notes


def _round(value: Any) -> Any:
    """A float as written (a float32 0.0010000000474974513 is 0.001)."""
    return float(f"{value:.7g}") if isinstance(value, float) else value


def _optimizer(value: Any, notes: list[str]) -> dict | None:
    if value is None:
        return None
    name, options = ((value, {}) if isinstance(value, str)
                     else (value.get("class_name", ""), value.get("config") or {})
                     if isinstance(value, dict) else ("", {}))
    name = str(name).lower()
    if name not in OPTIMIZERS:
        notes.append(f"optimizer {name or value!r}: not one of {', '.join(OPTIMIZERS)}; "
                     "the project trains with adam")
        return None
    out = {"name": name}
    for key, default in OPTIMIZERS[name].items():
        given = _round(options.get(key, default))
        if isinstance(given, dict):
            notes.append(f"optimizer {key}: a {given.get('class_name', 'schedule')} object "
                         "is not carried over; set a schedule in the training settings")
        elif given != default:
            out[key] = given
    return out


def _per_output(value: Any, outputs: list[str], read, field: str,
                notes: list[str]) -> Any:
    """One value for all outputs, a list in output order or a dict by output name, each
    item read by `read` (None: left out, with a note)."""
    if value is None:
        return None
    if isinstance(value, dict) and "class_name" not in value:
        items = {name: read(item, f"{field} of {name!r}", notes)
                 for name, item in value.items() if name in outputs}
        return {name: item for name, item in items.items() if item is not None} or None
    if isinstance(value, list) and field != "metrics" or _nested_metrics(value, field):
        if len(value) != len(outputs):
            notes.append(f"{field}: {len(value)} given for {len(outputs)} output(s); "
                         "left at the default")
            return None
        return _per_output(dict(zip(outputs, value, strict=True)), outputs, read, field, notes)
    return read(value, field, notes)


def _nested_metrics(value: Any, field: str) -> bool:
    return field == "metrics" and isinstance(value, list) and bool(value) and all(
        isinstance(item, list | type(None)) for item in value)


def _named(value: Any) -> Any:
    """A custom function or class (the file holds its name, never its code) as that name:
    `{"class_name": "function", "config": "my_loss"}` as 'my_loss', a class from outside
    keras as its registered name; anything else as it is."""
    if not isinstance(value, dict):
        return value
    if value.get("class_name") == "function" and isinstance(value.get("config"), str):
        return value["config"]
    if not str(value.get("module") or "keras").startswith("keras"):
        return value.get("registered_name") or value.get("class_name")
    return value


def _loss(value: Any, where: str, notes: list[str]) -> str | dict | None:
    value = name = _named(value)
    if isinstance(value, dict):
        options = value.get("config") or {}
        name = value.get("class_name") if loss_names.loss_class(value.get("class_name")) \
            else options.get("name") or value.get("class_name")
        kept, unknown = _loss_options(name, options)
        if unknown:
            notes.append(f"{where}: {name} with {', '.join(unknown)} set is not carried "
                         "over; the project's default loss is used")
            return None
        if kept:
            return {"name": name, **kept}
        name = loss_names.canonical(name) if loss_names.loss_class(name) else name
    if isinstance(name, str) and (name in KERAS_LOSSES or name in OUR_LOSSES):
        return name
    notes.append(f"{where}: {name!r} is not carried over (not a loss named by Keras)")
    return None


def _loss_options(name: Any, options: dict) -> tuple[dict, list[str]]:
    """(the options of a serialized Keras loss that differ from Keras' defaults, those
    the project cannot say: any of a loss that is not Keras' own)."""
    changed = {k: _round(v) for k, v in options.items()
               if k not in ("name", "fn") and v != LOSS_DEFAULTS.get(k, _NO_DEFAULT)}
    if loss_names.loss_class(name) is None:
        return {}, sorted(changed)
    unknown, _ = loss_names.unknown_options({"name": name, **changed})
    return {k: v for k, v in changed.items() if k not in unknown}, unknown


def _weight(value: Any, where: str, notes: list[str]) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    notes.append(f"{where}: expected a number, received {value!r}")
    return None


def _metrics(value: Any, where: str, notes: list[str]) -> list[str] | None:
    items = value if isinstance(value, list) else [value]
    kept = []
    for item in map(_named, items):
        options = item.get("config") if isinstance(item, dict) else None
        name = options.get("name") if isinstance(options, dict) else item
        if isinstance(name, str) and name in METRIC_NAMES:
            kept.append(name)
        else:
            notes.append(f"{where}: metric {name!r} is not carried over")
    return kept or None
