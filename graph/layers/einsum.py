"""EinsumDense: a dense layer written as an einsum equation "input,kernel->output".

The shape and count rules follow Keras' own analysis of the equation: the
input's letters map to the input axes (from the left, or from the right when
the equation starts with "..."), `output_shape` gives the output axes after the
batch (None for an axis the input gives, which Keras then leaves unknown, as
keras-hub's attention projections write it), the kernel's letters take their
sizes from the input or the output, and `bias_axes` (output letters) shape the
bias from its first letter onward. With `lora_rank` the kernel is frozen and
two small trainable factors are added.

>>> from kerascanvas.graph import get_spec
>>> spec = get_spec("EinsumDense")
>>> p = spec.resolve({"equation": "abc,cd->abd", "output_shape": (None, 8), "bias_axes": "d"})
>>> spec.output_shapes(p, [(None, 5, 3)]), spec.count(p, [(None, 5, 3)])
([(None, None, 8)], (32, 0))
"""

from __future__ import annotations

import math
import re

from ..errors import ParamError, ShapeError
from ..params import ParamSpec
from ..shapes import fmt
from ..spec import LayerSpec, Sample, register
from .common import activation, weight_params

_FORMS = (  # (pattern on the equation with "..." written as 0, left_elided)
    (r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", False),
    (r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", True),
    (r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", False),
)


def _split(equation: str):
    text = equation.replace("...", "0")
    for pattern, left in _FORMS:
        match = re.match(pattern, text)
        if match:
            return match.group(1), match.group(2), match.group(3), left
    return None


def _equation_problem(value) -> str | None:
    if _split(value) is None:
        return 'an equation "ab,bc->ac", "...b,bc->...c" or "ab...,bc->ac..."'
    return None


def _fail(message: str, shape) -> ShapeError:
    return ShapeError(f"EinsumDense: {message}. Received: input_shape={fmt(shape)}", port=0)


def _output_shape(params, shape, inp, out, left) -> tuple[list, dict, dict]:
    """(full output shape, input letter -> axis, output letter -> axis)."""
    elided = len(shape) - len(inp)
    if elided < 0:
        raise _fail(f"the equation {params['equation']!r} has more input axes than the input",
                    shape)
    wanted = params["output_shape"]
    full = [shape[0], *((wanted,) if isinstance(wanted, int) else wanted)]
    if elided > 0 and left:
        for i in range(1, elided):  # each one inserted after the batch, as Keras does
            full.insert(1, shape[i])
    elif elided > 0:
        full += list(shape[len(shape) - elided:])
    if left:
        in_axes = {c: i + elided - len(shape) for i, c in enumerate(inp)}
        out_axes = {c: i + elided for i, c in enumerate(out)}
    else:
        in_axes = {c: i for i, c in enumerate(inp)}
        out_axes = {c: i for i, c in enumerate(out)}
    if max(out_axes.values(), default=0) >= len(full):
        raise _fail(f"output_shape={wanted} has fewer axes than the equation's output", shape)
    return full, in_axes, out_axes


def _analyze(params, shape):
    """(output shape, kernel shape, bias shape or None), or ShapeError."""
    inp, ker, out, left = _split(params["equation"])
    full, in_axes, out_axes = _output_shape(params, shape, inp, out, left)
    for c in inp:
        if c in out_axes and full[out_axes[c]] is not None \
                and full[out_axes[c]] != shape[in_axes[c]]:
            raise _fail(f"axis {c!r} is {shape[in_axes[c]]} in the input but "
                        f"{full[out_axes[c]]} in output_shape", shape)
    for c in out:
        if c not in inp and c not in ker:
            raise _fail(f"output axis {c!r} is in neither the input nor the kernel", shape)
    kernel = []
    for c in ker:
        if c not in in_axes and c not in out_axes:
            raise _fail(f"kernel axis {c!r} is in neither the input nor the output", shape)
        kernel.append(shape[in_axes[c]] if c in in_axes else full[out_axes[c]])
    bias = None
    if params["bias_axes"] is not None:
        if any(c not in out for c in params["bias_axes"]):
            raise _fail(f"bias_axes={params['bias_axes']!r} names an axis not in the output "
                        f"{out!r}", shape)
        first = min(out.find(c) for c in params["bias_axes"])
        bias = [full[out_axes[c]] if c in params["bias_axes"] else 1 for c in out[first:]]
        if not left:
            bias += [1] * (len(shape) - len(inp))
    for dims in (kernel, bias or []):
        if None in dims:
            raise _fail("the weights need the axes they span to be known", shape)
    return tuple(full), kernel, bias


def _shape(params, inputs):
    return _analyze(params, tuple(inputs[0]))[0]


def _count(params, inputs):
    _, kernel, bias = _analyze(params, tuple(inputs[0]))
    bias_count = math.prod(bias) if bias else 0
    rank = params["lora_rank"]
    if not rank:
        return (math.prod(kernel) + bias_count, 0)
    lora = math.prod(kernel[:-1]) * rank + rank * kernel[-1]
    return (lora + bias_count, math.prod(kernel))


def _check(params) -> str | None:
    if params["lora_alpha"] is not None and not params["lora_rank"]:
        raise ParamError("lora_alpha needs lora_rank", param="lora_alpha")
    return None


register(LayerSpec(
    kind="EinsumDense",
    category="Core",
    doc="Dense layer over any axes, written as an einsum equation (attention projections)",
    params=(
        ParamSpec("equation", "str", initial="ab,bc->ac", check=_equation_problem,
                  doc='"input,kernel->output" letters, e.g. "abc,cd->abd"'),
        ParamSpec("output_shape", "shape", initial=64,
                  doc="Output dims after the batch (an int for one axis; None: the input's)"),
        activation(),
        ParamSpec("bias_axes", "str", default=None, allow_none=True,
                  doc="Output letters the bias spans, or empty for no bias"),
        *weight_params("kernel"),
        ParamSpec("lora_rank", "int", default=None, allow_none=True, min=1,
                  doc="Freeze the kernel and learn a low-rank update of this rank"),
        ParamSpec("lora_alpha", "float", default=None, allow_none=True, min=0.0,
                  doc="Scale of the low-rank update, or empty for lora_rank"),
    ),
    shape=_shape,
    count=_count,
    check=_check,
    samples=(
        Sample({"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"}, ((None, 3),)),
        Sample({"equation": "abc,cde->abde", "output_shape": (5, 2, 6), "bias_axes": "de"},
               ((None, 5, 3),)),
        Sample({"equation": "...b,bc->...c", "output_shape": 8}, ((None, 4, 7, 3),)),
        Sample({"equation": "abc,cd->abd", "output_shape": (9, 8)}, ((None, 5, 3),)),
        Sample({"equation": "ab,bc->ac", "output_shape": 4, "lora_rank": 2, "bias_axes": "c"},
               ((2, 3),)),
        Sample({"equation": "ab,bc->ac", "output_shape": 4}, ((None, None),)),
        Sample({"equation": "abc,cd->abd", "output_shape": (None, 6), "bias_axes": "d"},
               ((None, 5, 3),)),
        Sample({"equation": "abc,cde->abde", "output_shape": (None, 2, 6), "bias_axes": "de"},
               ((None, 7, 3),)),
    ),
))
