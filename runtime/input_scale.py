"""Inputs far from unit scale fed straight to layers with weights: a warning per Input,
with the fixes of `graph.scale_fix` (Rescaling(1/255) for pixels of 0..255, an adapted
Normalization for any other data). Part of the data check a run makes; a warning never
refuses the run, which says it before training (`runtime.fitplan`).

>>> pixels(np.array([0, 128, 255], dtype="uint8")), pixels(np.array([0.5, 255.0]))
(True, False)
"""

from __future__ import annotations

import numpy as np

from kerascanvas.graph.document import Document
from kerascanvas.graph.scale_fix import NORMALIZE_FIX, RESCALE_FIX, weighted_edges
from kerascanvas.graph.validate import Issue

CODE = "data_scale"
LARGEST = 50.0  # values beyond this (in magnitude) are far from unit scale


SAMPLED = 100_000  # values whose wholeness is checked, spread over the array


def pixels(arr: np.ndarray, bounds: tuple[float, float] | None = None) -> bool:
    """Whether `arr` holds whole numbers in 0..255 reaching above 1: 8-bit pixels (floats
    are judged on values spread over the array, not a copy of all of it; `bounds`: its
    range, where the caller has it)."""
    low, high = bounds or _range(arr)
    if not arr.size or low < 0 or high > 255 or high <= 1:
        return False
    if arr.dtype.kind in "ub":
        return True
    flat = arr.reshape(-1)
    sample = flat[::max(1, flat.size // SAMPLED)]
    return bool(np.all(np.mod(sample, 1) == 0))


def _range(arr: np.ndarray) -> tuple:
    """(least, greatest) as the array's own scalars (they print as its values do)."""
    return (arr.min(), arr.max()) if arr.size else (0, 0)


def scale_issue(doc: Document, node, arr: np.ndarray, origin: str = "") -> Issue | None:
    """A warning on Input `node` when its training array `arr` reaches beyond `LARGEST`
    and goes at that scale into a layer with weights; None otherwise."""
    if arr.dtype.kind not in "iuf" or not arr.size:
        return None
    low, high = _range(arr)  # two passes, no copy of the array
    if max(-float(low), float(high)) <= LARGEST or not weighted_edges(doc, node.id):
        return None
    image = pixels(arr, (low, high))
    fixes = (RESCALE_FIX, NORMALIZE_FIX) if image else (NORMALIZE_FIX,)
    return scale_warning(doc, node, f"[{low}, {high}]", origin, image, fixes)


def scale_warning(doc: Document, node, values: str, origin: str, image: bool,
                  fixes: tuple[str, ...]) -> Issue:
    """The warning itself: where the values go, what they are, what to do."""
    first = ", ".join(sorted({doc.nodes[e.dst].name for e in weighted_edges(doc, node.id)}))
    advice = "rescale them to 0..1 (Rescaling(1/255) for pixels) or normalize them" \
        if image else "normalize them (a Normalization adapted to the training data)"
    return Issue(node.id, None, "warning",
                 f"Input {node.name!r} receives values in {values} (the training "
                 f"array{origin}), which reach {first} at that scale: layers with weights "
                 f"learn slowly and unstably on inputs far from unit scale; {advice}",
                 CODE, fixes)
