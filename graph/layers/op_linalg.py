"""Linear algebra on the matrices of the last two axes: `ops.solve` and
`ops.solve_triangular` (a, b), `ops.pinv`, `ops.cholesky`, `ops.matrix_rank` (int32) and
`ops.eigh` (the eigenvalues, then the eigenvectors: two outputs). Each is a kind of
`graph.layers.operations`, its params the function's keywords with Keras' defaults; its
shape rule is the op's `compute_output_spec` in Keras' `keras/src/ops/linalg.py` (an
unknown dim against a known one counts as different there, and here).

>>> from ..spec import get_spec
>>> spec = get_spec("ops.solve")
>>> spec.output_shapes(spec.resolve({}), [(None, 4, 4), (None, 4, 3)])
[(None, 4, 3)]
>>> spec = get_spec("ops.eigh")
>>> spec.output_shapes(spec.resolve({}), [(None, 4, 4)])
[(None, 4), (None, 4, 4)]
"""

from __future__ import annotations

from typing import Any

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt
from ..spec import Sample
from .op_matrices import square
from .operations import register_operations

_SQUARES = ((None, 4, 4),)
_SYSTEMS = (Sample({}, ((None, 4, 4), (None, 4, 3))), Sample({}, ((None, 4, 4), (None, 4))))


def _matrices(kind: str, shape, port: int = 0) -> tuple:
    shape = tuple(shape)
    if len(shape) < 2:
        raise ShapeError(f"{kind} needs matrices: rank 2 or more. Received: "
                         f"input_shape={fmt(shape)}", port=port)
    return shape


def solve_shape(params, inputs):
    """b's shape: a holds square matrices; b has a's rank (its rows a's) or one less."""
    kind = params["__kind__"]
    a, b = square(kind, inputs[0]), tuple(inputs[1])
    if not b:
        raise ShapeError(f"{kind}: b needs rank 1 or more. Received: b_shape={fmt(b)}",
                         port=1)
    if (len(a) == len(b) and a[-2] != b[-2]) or (len(a) == len(b) - 1 and a[-1] != b[-1]):
        raise ShapeError(f"{kind}: b's rows must be a's. Received: a_shape={fmt(a)}, "
                         f"b_shape={fmt(b)}", port=1)
    return b


def pinv_shape(params, inputs):
    """The transposed matrices: (..., N, M) for (..., M, N)."""
    shape = _matrices(params["__kind__"], inputs[0])
    return (*shape[:-2], shape[-1], shape[-2])


def cholesky_shape(params, inputs):
    return square(params["__kind__"], inputs[0])


def rank_shape(params, inputs):
    """One int32 rank per matrix."""
    return _matrices(params["__kind__"], inputs[0])[:-2]


def eigh_shape(params, inputs):
    """The eigenvalues (..., N), then the eigenvectors (..., N, N)."""
    shape = square(params["__kind__"], inputs[0])
    return [shape[:-1], shape]


def _tolerance(name: str, doc: str) -> ParamSpec:
    return ParamSpec(name, "float", default=None, allow_none=True, min=0.0, doc=doc)


_FAMILIES: dict[str, dict[str, Any]] = {
    "solve": dict(params=(), shape=solve_shape, min_inputs=2, max_inputs=2,
                  input_names=("a", "b"), samples=_SYSTEMS,
                  doc="keras.ops.solve: x with a @ x = b, a square matrices"),
    "solve_triangular": dict(
        params=(ParamSpec("lower", "bool", default=False,
                          doc="Use a's lower triangle (else its upper one)"),),
        shape=solve_shape, min_inputs=2, max_inputs=2, input_names=("a", "b"),
        samples=(*_SYSTEMS, Sample({"lower": True}, ((None, 4, 4), (None, 4, 3)))),
        doc="keras.ops.solve_triangular: x with a @ x = b, a triangular"),
    "pinv": dict(params=(_tolerance("rcond", "Singular values below rcond times the largest "
                                             "count as 0; empty for the backend's"),),
                 shape=pinv_shape, samples=(Sample({}, ((None, 4, 6),)),
                                            Sample({"rcond": 0.1}, ((None, 6, 4),))),
                 doc="keras.ops.pinv: the pseudo-inverse of each matrix of the last two "
                     "axes"),
    "cholesky": dict(params=(ParamSpec("upper", "bool", default=False,
                                       doc="Give the upper factor U (x = U^T U)"),),
                     shape=cholesky_shape,
                     samples=(Sample({}, _SQUARES), Sample({"upper": True}, _SQUARES)),
                     doc="keras.ops.cholesky: the triangular factor of each positive-"
                         "definite matrix of the last two axes"),
    "matrix_rank": dict(params=(_tolerance("tol", "Singular values below it count as 0; "
                                                  "empty for the backend's"),),
                        shape=rank_shape, dtype=lambda p: "int32",
                        samples=(Sample({}, ((None, 4, 6),)), Sample({"tol": 0.5}, _SQUARES)),
                        doc="keras.ops.matrix_rank: the rank of each matrix of the last two "
                            "axes (int32)"),
    "eigh": dict(params=(), shape=eigh_shape, outputs=lambda p: 2, samples=(Sample({},
                                                                                  _SQUARES),),
                 doc="keras.ops.eigh: the eigenvalues, then the eigenvectors, of each "
                     "symmetric matrix of the last two axes (two outputs)"),
}

register_operations(_FAMILIES)
