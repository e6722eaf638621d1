"""The Application block: a `keras.applications` base network used as one layer.

Shape and count rules stay pure (no keras import): they read `ARCHITECTURES`, the table
measured once from Keras 3.15 in `graph.layers.application_table` (per architecture: the
minimum input size, how its stride-2 stages round, the channels of its last feature map,
the weights of each layer of the base and of the classifier top); its names are
importable here too.

>>> from kerascanvas.graph.spec import get_spec
>>> spec = get_spec("Application")
>>> params = spec.resolve({"architecture": "MobileNetV2", "pooling": "avg"})
>>> spec.output_shapes(params, [(None, 64, 64, 3)])
[(None, 1280)]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt, require_known, require_rank
from ..spec import APPLICATION, LayerSpec, Sample, register
from .application_table import (  # noqa: F401 - public here too
    ARCHITECTURES,
    TABLE,
    Architecture,
)

KIND = APPLICATION


def weights_problem(value: Any) -> str | None:
    """Why `value` may not be the `weights` of an Application (nothing may download)."""
    if value is None:
        return None
    text = str(value)
    if text == "imagenet" or "://" in text:
        return ("None or the path of a local .weights.h5 file (pretrained weights are never "
                "downloaded; save them once with base.save_weights(path))")
    if not text.endswith(".weights.h5"):
        return "a path ending in .weights.h5 (a Keras weights file)"
    return None


def _check(params: Mapping[str, Any]) -> str | None:
    arch = ARCHITECTURES[params["architecture"]]
    if params["freeze_first"] > arch.num_layers:
        return (f"freeze_first counts layers of the {arch.name} base, which has "
                f"{arch.num_layers}. Received: freeze_first={params['freeze_first']}")
    return None


def _input_dims(params, inputs) -> tuple[int | None, int | None, int]:
    shape = tuple(inputs[0])
    require_rank(shape, 4, KIND)
    channels = require_known(shape[-1], "The channel count of the input to Application", shape)
    given = params["input_shape"]
    if given is not None and tuple(given) != shape[1:]:
        raise ShapeError(f"Application expects inputs of input_shape={fmt(tuple(given))}. "
                         f"Received: input_shape={fmt(shape)}", port=0)
    arch = ARCHITECTURES[params["architecture"]]
    for size in shape[1:3]:
        if size is not None and size < arch.min_size:
            raise ShapeError(f"{arch.name} needs height and width of at least {arch.min_size}. "
                             f"Received: input_shape={fmt(shape)}", port=0)
    return shape[1], shape[2], channels


def _shape(params, inputs):
    height, width, _ = _input_dims(params, inputs)
    arch = ARCHITECTURES[params["architecture"]]
    if params["include_top"]:
        return (inputs[0][0], params["classes"])
    if params["pooling"] is not None:
        return (inputs[0][0], arch.features)
    return (inputs[0][0], arch.spatial(height), arch.spatial(width), arch.features)


def _count(params, inputs):
    height, width, channels = _input_dims(params, inputs)
    arch = ARCHITECTURES[params["architecture"]]
    return _counted(arch.name, channels, params["trainable"], params["freeze_first"],
                    params["include_top"], params["classes"],
                    _cells(arch, height, width) if params["include_top"] else 0)


def _cells(arch: Architecture, height, width) -> int:
    if arch.top[2] == 0:
        return 0
    h, w = arch.spatial(height), arch.spatial(width)
    if h is None or w is None:
        raise ShapeError(f"{arch.name} with include_top flattens its last feature map, so "
                         f"height and width must be known. Received: {height}x{width}", port=0)
    return math.prod((h, w))


@lru_cache(maxsize=256)
def _counted(name, channels, trainable, freeze_first, include_top, classes, cells):
    arch = ARCHITECTURES[name]
    on, off = 0, 0
    for index, t, n in arch.layer_counts(channels):
        if trainable and index >= freeze_first:
            on, off = on + t, off + n
        else:
            off += t + n
    if include_top:
        top = arch.top_count(classes, cells)
        on, off = (on + top, off) if trainable else (on, off + top)
    return (on, off)


PARAMS = (
    ParamSpec("architecture", "choice", initial="MobileNetV2",
              choices=tuple(ARCHITECTURES), doc="The keras.applications base network"),
    ParamSpec("input_shape", "shape", default=None, allow_none=True,
              doc="Input shape without the batch axis; empty takes the incoming tensor's"),
    ParamSpec("include_top", "bool", default=False,
              doc="Keep the ImageNet-style classifier (then `classes` outputs)"),
    ParamSpec("classes", "int", default=1000, min=1, doc="Classes of the top (include_top)"),
    ParamSpec("pooling", "choice", default=None, choices=(None, "avg", "max"),
              doc="Global pooling of the last feature map when include_top is off"),
    ParamSpec("weights", "str", default=None, allow_none=True, check=weights_problem,
              doc="Empty for random weights, or a local .weights.h5 file"),
    ParamSpec("trainable", "bool", default=True, doc="Off freezes the whole base"),
    ParamSpec("freeze_first", "int", default=0, min=0,
              doc="Freeze the first N layers of the base (base.layers[:N])"),
)


register(LayerSpec(
    kind=KIND,
    category="Blocks",
    composite=True,
    doc="A keras.applications base network (transfer learning), frozen in whole or in part",
    params=PARAMS,
    shape=_shape,
    count=_count,
    check=_check,
    samples=(Sample({"architecture": "MobileNetV2", "pooling": "avg"}, ((None, 32, 32, 3),)),),
    keras_module="keras.applications",
))
