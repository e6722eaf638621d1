"""The sample inputs an ONNX export is traced and checked on.

Float inputs get normal noise. Integer inputs are token ids, class ids or counts:
noise cast to int would be mostly 0 and ±1 (and negative ids index nothing), so they
are drawn uniformly over the range the model accepts: below the smallest
`input_dim` of the Embeddings (or `num_tokens` of the CategoryEncodings) they feed,
at any depth of nested models, else over a small positive range.
"""

from __future__ import annotations

SMALL_INT_RANGE = (1, 16)  # an integer input that feeds no Embedding: values 1..15
_RANGE_ATTRIBUTES = ("input_dim", "num_tokens")  # Embedding, CategoryEncoding


def random_inputs(model, seed: int = 0) -> list:
    """One array per model input (in `model.inputs` order), batch 2 for unknown sizes."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return [_draw(rng, [d or 2 for d in t.shape], t.dtype, int_range(model, t))
            for t in model.inputs]


def _draw(rng, shape: list[int], dtype: str, bounds: tuple[int, int]):
    import numpy as np

    kind = np.dtype(dtype).kind if dtype != "bfloat16" else "f"
    if kind in "iu":
        return rng.integers(*bounds, size=shape).astype(dtype)
    if kind == "b":
        return rng.random(shape) < 0.5
    return rng.standard_normal(shape).astype("float32" if dtype == "bfloat16" else dtype)


def int_range(model, tensor) -> tuple[int, int]:
    """[low, high) of the values an integer input may take (see the module doc)."""
    limits = list(_limits(model, tensor))
    return (0, min(limits)) if limits else SMALL_INT_RANGE


def _limits(model, tensor):
    """The `input_dim`s (and `num_tokens`) of the layers that read `tensor` in `model`,
    following it into nested models."""
    for node in _nodes(model):
        tensors = node.arguments.keras_tensors
        if not any(t is tensor for t in tensors):
            continue
        layer = node.operation
        inner = getattr(layer, "inputs", None) if _is_functional(layer) else None
        if inner is not None and len(inner) == len(tensors):
            for mine, theirs in zip(tensors, inner, strict=True):
                if mine is tensor:
                    yield from _limits(layer, theirs)
            continue
        for attribute in _RANGE_ATTRIBUTES:
            value = getattr(layer, attribute, None)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                yield value


def _is_functional(layer) -> bool:
    return hasattr(getattr(layer, "_functional", None) or layer, "_nodes_by_depth")


def _nodes(model):
    graph = getattr(model, "_functional", None) or model
    for nodes in getattr(graph, "_nodes_by_depth", {}).values():
        yield from (node for node in nodes if not node.is_input)
