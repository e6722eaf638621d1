"""Mixed precision: the Keras dtype policy of a run, with the outputs kept in float32.

Under "mixed_float16" or "mixed_bfloat16" layers compute in half precision and
keep float32 variables. Losses and metrics are only trustworthy in float32, so
the layers that produce the model outputs must compute in float32: build inside
`precision_scope(policy_for(settings))`, passing `dtype="float32"` to the layers
named in `output_dtype_overrides(doc)` (a block output names its last sublayer, a user
block output the inner layer that leaves it, a nested model's its instance, whose inner
output layers the build makes float32),
as `runtime.train_model.make_model` does through `build_model(doc, dtypes=...)`. That
is also how hand-written Keras code for the policy reads, so the configs match.

Keras' dtype policy is global (per thread), which is why the scope restores
the previous policy on exit: a worker that trains one model after another
must not leak a policy into the next build. Keras wraps the optimizer in a
`LossScaleOptimizer` itself when a model built under "mixed_float16" compiles.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.training_schema import PRECISIONS

from .keras_env import import_keras

FLOAT32 = "float32"
LOSS_SCALED = "mixed_float16"  # the policy under which Keras compiles a LossScaleOptimizer


def policy_for(settings: Mapping[str, Any] | Document) -> str:
    """The Keras dtype policy name for the settings' `mixed_precision` ("off" -> float32).

    Args:
        settings: resolved training settings, or a document (its `training` is read).

    Raises:
        ValueError: an unknown `mixed_precision` value.
    """
    training = settings.training if isinstance(settings, Document) else settings
    value = (training or {}).get("mixed_precision", "off")
    if value not in PRECISIONS:
        raise ValueError(f"training.mixed_precision: expected one of {', '.join(PRECISIONS)}. "
                         f"Received: {value!r}")
    return FLOAT32 if value == "off" else value


def output_layer_names(doc: Document, analysis=None) -> list[str]:
    """The Keras layer that computes each model output (a block's last sublayer).

    Codegen's rule, so the trained model and the exported code agree. `analysis` is the
    document's when the caller holds it; without it the document is analysed here.
    """
    from kerascanvas.codegen.precision import output_layer_names as names_of
    from kerascanvas.graph import validate

    return names_of(doc, (analysis if analysis is not None else validate.analyze(doc)).results)


def output_dtype_overrides(doc: Document, analysis=None) -> dict[str, str]:
    """`{layer name: "float32"}` for the output layers when mixed precision is on, else {}:
    codegen's `output_dtypes` (an output operation is cast only where its result is
    floating point; top_k's `("float32", None)` casts its values, not its indices)."""
    from kerascanvas.codegen.precision import output_dtypes
    from kerascanvas.graph import validate

    if policy_for(doc) == FLOAT32:
        return {}
    return output_dtypes(doc, (analysis if analysis is not None else
                               validate.analyze(doc)).results)


@contextlib.contextmanager
def precision_scope(policy: str) -> Iterator[None]:
    """Build (and compile) models under the dtype policy `policy`, then restore the old one."""
    keras = import_keras()
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def loss_scaled_policy(path) -> str:
    """The policy to load the `.keras` archive at `path` under, so that its optimizer comes
    back whole: "mixed_float16" when its layers computed under it, else float32. Keras
    saved such a model's optimizer wrapped in a `LossScaleOptimizer`, and compiles that
    wrapper again only under the same policy: loaded outside it, every optimizer variable
    was skipped (a UserWarning only), the step count and Adam's moments back at zero."""
    import json
    import zipfile

    from .archive_check import ArchiveError, read_config_member

    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(read_config_member(archive, "config.json", str(path)))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, ArchiveError):
        return FLOAT32  # loading it then says what is wrong with the file
    return LOSS_SCALED if LOSS_SCALED in policy_names(config) else FLOAT32


def policy_names(config: Any) -> set[str]:
    """The names of the dtype policies a Keras config holds, at any depth."""
    if isinstance(config, list):
        return set().union(*map(policy_names, config))
    if not isinstance(config, dict):
        return set()
    inner = config.get("config")
    own = {inner["name"]} if config.get("class_name") == "DTypePolicy" and isinstance(
        inner, dict) and isinstance(inner.get("name"), str) else set()
    return own.union(*map(policy_names, config.values()))
