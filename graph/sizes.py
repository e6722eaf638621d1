"""A bound on the memory a model's weights take, checked before Keras allocates anything.

Keras allocates every weight when a layer is built, so a DenseBlock with a
growth rate of 10**12, or a Dense of 10**9 units, would ask for terabytes and
fail deep inside torch (or take the machine down). Validation refuses such a
model with the size it would take, pinned to its largest layer.

>>> weight_bytes(10**9)
4000000000
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document
from .inference import ERROR, Issue, NodeResult

BYTES_PER_WEIGHT = 4  # float32; mixed precision keeps float32 weights too
MAX_WEIGHT_BYTES = 16 * 2**30  # 16 GiB: more than one large GPU holds for training


def weight_bytes(count: int) -> int:
    """Bytes that `count` float32 weights take."""
    return count * BYTES_PER_WEIGHT


def _gib(size: int) -> str:
    if size >= 2**60:  # beyond float precision, and beyond any machine
        return f"{size // 2**30:,} GiB"
    return f"{size / 2**30:,.1f} GiB"


def weight_size_issues(doc: Document, results: Mapping[str, NodeResult]) -> list[Issue]:
    """One error when the weights of all nodes together would exceed `MAX_WEIGHT_BYTES`."""
    counts = {nid: sum(r.count) for nid, r in results.items()
              if r.count is not None and nid in doc.nodes}
    total = sum(counts.values())
    if weight_bytes(total) <= MAX_WEIGHT_BYTES:
        return []
    largest = max(counts, key=counts.get)
    node = doc.nodes[largest]
    return [Issue(largest, None, ERROR,
                  f"the model's weights would take {_gib(weight_bytes(total))} "
                  f"({total:,} weights of {BYTES_PER_WEIGHT} bytes), over the bound of "
                  f"{_gib(MAX_WEIGHT_BYTES)}; the largest layer is {node.name!r} with "
                  f"{counts[largest]:,} weights", code="too_large")]
