"""One name for each Keras loss, whichever way a setting spells it.

A loss setting is a name (`"sparse_categorical_crossentropy"`, `"SparseCategoricalCrossentropy"`,
`"bce"`) or `{"name": ..., **options}`. Keras resolves a snake-case name to its plain
function and a class name to its `Loss` class; only the class takes options such as
`from_logits`. The checks that read a loss (label form, final activation) compare the
canonical snake-case name; the runtime and the script build the class when options are set.

>>> canonical("BCE"), canonical({"name": "SparseCategoricalCrossentropy", "from_logits": True})
('binary_crossentropy', 'sparse_categorical_crossentropy')
>>> loss_class("kld"), options({"name": "mse", "reduction": "sum"})
('KLDivergence', {'reduction': 'sum'})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .training_code import reference_name

# canonical snake-case name -> Keras' Loss class (keras.losses.<class>)
CLASSES = {
    "binary_crossentropy": "BinaryCrossentropy",
    "binary_focal_crossentropy": "BinaryFocalCrossentropy",
    "categorical_crossentropy": "CategoricalCrossentropy",
    "categorical_focal_crossentropy": "CategoricalFocalCrossentropy",
    "categorical_hinge": "CategoricalHinge",
    "circle": "Circle",
    "cosine_similarity": "CosineSimilarity",
    "ctc": "CTC",
    "dice": "Dice",
    "hinge": "Hinge",
    "huber": "Huber",
    "kl_divergence": "KLDivergence",
    "log_cosh": "LogCosh",
    "mean_absolute_error": "MeanAbsoluteError",
    "mean_absolute_percentage_error": "MeanAbsolutePercentageError",
    "mean_squared_error": "MeanSquaredError",
    "mean_squared_logarithmic_error": "MeanSquaredLogarithmicError",
    "poisson": "Poisson",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    "squared_hinge": "SquaredHinge",
    "tversky": "Tversky",
}
# Keras' short names and class aliases -> canonical name
ALIASES = {
    "bce": "binary_crossentropy", "BCE": "binary_crossentropy",
    "kld": "kl_divergence", "KLD": "kl_divergence",
    "mae": "mean_absolute_error", "MAE": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error", "MAPE": "mean_absolute_percentage_error",
    "mse": "mean_squared_error", "MSE": "mean_squared_error",
    "msle": "mean_squared_logarithmic_error", "MSLE": "mean_squared_logarithmic_error",
}
_BY_CLASS = {cls: name for name, cls in CLASSES.items()}
_CE = ("from_logits", "label_smoothing", "axis")
_FOCAL = ("alpha", "gamma", *_CE)
# canonical name -> the options its class takes besides reduction and dtype (a test reads
# Keras' signatures)
OPTIONS: dict[str, tuple[str, ...]] = {name: () for name in CLASSES} | {
    "binary_crossentropy": _CE, "categorical_crossentropy": _CE,
    "binary_focal_crossentropy": ("apply_class_balancing", *_FOCAL),
    "categorical_focal_crossentropy": _FOCAL,
    "sparse_categorical_crossentropy": ("from_logits", "ignore_class", "axis"),
    "circle": ("gamma", "margin", "remove_diagonal"), "cosine_similarity": ("axis",),
    "dice": ("axis",), "huber": ("delta",), "tversky": ("alpha", "beta", "axis"),
}
COMMON_OPTIONS = ("reduction", "dtype")


def canonical(loss: Any) -> str | None:
    """The snake-case name of a Keras loss setting; another name (ours, the user's code)
    as it is; None for a setting without a name."""
    name = reference_name(loss)
    if name is None:
        return None
    return ALIASES.get(name) or _BY_CLASS.get(name) or name


def loss_class(loss: Any) -> str | None:
    """Keras' Loss class for a Keras loss setting, None for any other."""
    return CLASSES.get(canonical(loss) or "")


def options(loss: Any) -> dict[str, Any]:
    """The options a `{"name": ..., **options}` setting gives (none for a name)."""
    if not isinstance(loss, Mapping):
        return {}
    return {k: v for k, v in loss.items() if k != "name"}


def from_logits(loss: Any) -> bool:
    return bool(options(loss).get("from_logits", False))


def unknown_options(loss: Any) -> tuple[list[str], tuple[str, ...]]:
    """(options a Keras loss setting gives that its class does not take, those it takes);
    nothing is unknown for a loss that is not Keras'."""
    name = canonical(loss)
    if name not in OPTIONS:
        return [], ()
    takes = (*OPTIONS[name], *COMMON_OPTIONS)
    return sorted(k for k in options(loss) if k not in takes), takes
