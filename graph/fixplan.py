"""Which inputs a shape-changing fix touches, and the shape each one gets.

A plan maps input ports of the node at fault to the shape that port would
receive after the fix (batch axis included). Validation offers a fix only when
the node's own shape rule accepts the planned inputs, and `graph.fixes` inserts
exactly the planned layers, so what is offered is what is applied.

Rank fixes and the layers they insert:

    insert_flatten   Flatten                 rank >= 3 -> (batch, elements)
    insert_gap1d     GlobalAveragePooling1D  rank 3 -> (batch, channels)
    insert_gap2d     GlobalAveragePooling2D  rank 4 -> (batch, channels)
    insert_reshape   Reshape                 the rank wanted: a vector or sequence given more
                                             axes, an image read as a sequence of its rows

On a merge, Flatten and pooling go on every input of a higher rank than the
lowest one (on all inputs when the ranks agree), and Reshape on every input of a
lower rank than the highest one, shaped like it.

>>> square_image(784)
(28, 28, 1)
>>> reshape_like((None, 64), (None, 8, 8, 3))
(None, 8, 8, 1)
"""

from __future__ import annotations

import math

from .errors import DocumentError
from .shapes import num_elements
from .spec import LayerSpec, Shape

RANK_FIXES = ("insert_flatten", "insert_gap1d", "insert_gap2d", "insert_reshape")
INSERTED_KIND = {"insert_flatten": "Flatten", "insert_gap1d": "GlobalAveragePooling1D",
                 "insert_gap2d": "GlobalAveragePooling2D", "insert_reshape": "Reshape"}

Plan = dict[int, Shape]


def flattened(shape: Shape) -> Shape | None:
    size = num_elements(shape[1:])
    return (shape[0], size) if len(shape) >= 3 and size is not None else None


def pooled(rank: int):
    def pool(shape: Shape) -> Shape | None:
        return (shape[0], shape[-1]) if len(shape) == rank else None

    return pool


SQUARE_SEARCH = 4096  # divisors tried below the root of a size


def square_image(size: int) -> tuple[int, int, int]:
    """A height x width x channels reading of `size` values: square if it can be.

    One channel when `size` is a perfect square, else three when size/3 is one
    (an RGB image), else the most nearly square height x width with one channel.
    The height is looked for among the SQUARE_SEARCH numbers below the root only
    (exact below 16.7 million values): a size read from a file may be 1e18, and trying
    every number up to its root stalled validation.
    """
    for channels in (1, 3):
        side = math.isqrt(size // channels)
        if size % channels == 0 and side * side * channels == size:
            return (side, side, channels)
    root = math.isqrt(size)
    low = max(1, root - SQUARE_SEARCH)
    height = next((d for d in range(root, low - 1, -1) if size % d == 0), 1)
    return (height, size // height, 1)


def reshape_choices(shape: Shape) -> list[Shape]:
    """Other-rank readings of `shape`, for a layer that wants more or fewer axes than it
    got: a vector as a sequence or an image; a sequence with a channel axis; an image
    (or a volume) as a sequence of its rows, each row's values as features.

    >>> reshape_choices((None, 28, 28, 1))
    [(None, 28, 28, 1, 1), (None, 28, 28)]
    """
    size = num_elements(shape[1:])
    if size is None:
        return []
    if len(shape) == 2:
        return [(shape[0], size, 1), (shape[0], *square_image(size))]
    lower = [(*shape[:keep], num_elements(shape[keep:])) for keep in range(2, len(shape) - 1)]
    return [(*shape, 1), *reversed(lower)]


def reshape_like(shape: Shape, goal: Shape) -> Shape | None:
    """`shape` reshaped to `goal`'s axes, keeping its size (the last axis absorbs the rest)."""
    size, inner = num_elements(shape[1:]), num_elements(goal[1:-1])
    if size is None or inner is None or inner == 0 or size % inner:
        return None
    return (shape[0], *goal[1:-1], size // inner)


_TRANSFORMS = {"insert_flatten": flattened, "insert_gap1d": pooled(3),
               "insert_gap2d": pooled(4)}


def plan_fix(spec: LayerSpec, params: dict, inputs: list[Shape], port: int | None,
             code: str) -> Plan | None:
    """The planned input shapes for the rank fix `code`, or None when it would not help."""
    if not inputs or code not in RANK_FIXES:
        return None
    if spec.is_merge and len(inputs) > 1:
        plan = _merge_plan(inputs, code)
    else:
        plan = _single_plan(spec, params, inputs, port or 0, code)
    if not plan or not accepts(spec, params, [plan.get(i, s) for i, s in enumerate(inputs)]):
        return None
    return plan


def _single_plan(spec, params, inputs, port, code) -> Plan | None:
    if port >= len(inputs):
        return None
    shape = inputs[port]
    if code != "insert_reshape":
        new = _TRANSFORMS[code](shape)
        return None if new is None else {port: new}
    for new in reshape_choices(shape):
        trial = list(inputs)
        trial[port] = new
        if accepts(spec, params, trial):
            return {port: new}
    return None


def _merge_plan(inputs: list[Shape], code: str) -> Plan | None:
    ranks = [len(s) for s in inputs]
    if code == "insert_reshape":
        top = max(ranks)
        goal = inputs[ranks.index(top)]
        plan = {i: reshape_like(s, goal) for i, s in enumerate(inputs) if len(s) < top}
    else:
        low = min(ranks)
        chosen = [i for i, r in enumerate(ranks) if r > low] or list(range(len(inputs)))
        plan = {i: _TRANSFORMS[code](inputs[i]) for i in chosen}
    if not plan or any(v is None for v in plan.values()):
        return None
    return plan


def accepts(spec: LayerSpec, params: dict, inputs: list[Shape]) -> bool:
    try:
        spec.output_shapes(params, inputs)
    except Exception:  # noqa: BLE001 - any refusal means the fix does not help
        return False
    return True


def rank_fixes(spec: LayerSpec, params: dict, inputs: list[Shape], port: int | None) -> tuple:
    """The rank fixes that make `spec` accept its inputs, in the order they are offered."""
    return tuple(code for code in RANK_FIXES
                 if plan_fix(spec, params, inputs, port, code) is not None)


# ---- projections (Add inputs whose channels differ) -----------------------
def widest(shapes: list[Shape]) -> Shape:
    """The input with the most channels (the first such), the target of a projection."""
    best = max(range(len(shapes)), key=lambda i: (shapes[i][-1] or 0, -i))
    return shapes[best]


def projection(shape: Shape, goal: Shape) -> tuple[str, dict]:
    """The 1x1 layer (kind, params) that maps `shape` onto `goal`.

    Raises:
        DocumentError: no stride of a 1x1 window maps the spatial size.
    """
    rank = len(goal)
    if rank == 2:
        return "Dense", {"units": goal[-1]}
    strides = [_stride(have, want, shape, goal)
               for have, want in zip(shape[1:-1], goal[1:-1], strict=True)]
    kind = {3: "Conv1D", 4: "Conv2D", 5: "Conv3D"}[rank]
    params = {"filters": goal[-1], "kernel_size": [1] * (rank - 2), "use_bias": False}
    if any(s != 1 for s in strides):
        params["strides"] = strides
    return kind, params


def can_project(shapes: list[Shape]) -> bool:
    """Whether a 1x1 projection of every narrower input onto the widest one exists."""
    goal = widest(shapes)
    if len({len(s) for s in shapes}) != 1 or len(goal) not in (2, 3, 4, 5):
        return False
    try:
        for shape in shapes:
            if shape != goal:
                projection(shape, goal)
    except DocumentError:
        return False
    return True


def _stride(have, want, shape, goal) -> int:
    """The stride of a 1x1 window that maps length `have` to `want` (valid padding)."""
    if have == want:
        return 1
    if have is not None and want is not None:
        for stride in range(2, have + 1):
            if (have - 1) // stride + 1 == want:
                return stride
    raise DocumentError(f"Cannot project shape {shape} onto {goal} with a 1x1 convolution: "
                        "no stride maps the spatial size")
