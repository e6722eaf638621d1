"""A validation split of data sorted by its labels: a warning with the fix that shuffles
the samples before the split.

Keras' `validation_split` holds out the last samples as they come, before any shuffle.
A file sorted by its labels (the iris CSV: 50 rows of each species in turn) then
validates on one class, often one training never saw: validation accuracy says nothing,
and Keras says nothing. Where the held-out part of some output's class labels holds a
class the training part lacks, or one class only where the training part has several,
the run and the data preview warn, with `shuffle_before_split` (`graph.data_fixes`) as
the fix: the run then draws the order with its seed, as the generated script does.
"""

from __future__ import annotations

import numpy as np

from kerascanvas.graph.document import Document
from kerascanvas.graph.training import model_outputs
from kerascanvas.graph.validate import Issue

from .dataset import Dataset
from .fitplan import split_point

CODE, FIX = "sorted_split", "shuffle_before_split"
FEWEST = 5  # a held-out part this small may hold one class by chance


def class_ids(labels: np.ndarray) -> np.ndarray | None:
    """Class ids of integer labels (one per sample) or of one-hot rows; else None."""
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] > 1 and np.all((labels == 0) | (labels == 1)):
        return labels.argmax(-1)
    flat = labels.reshape(len(labels), -1) if labels.ndim else labels
    if flat.ndim == 2 and flat.shape[1] == 1 and labels.dtype.kind in "iub":
        return flat[:, 0]
    return None


def sorted_split_issues(doc: Document, data, settings) -> list[Issue]:
    """A warning per output whose held-out labels are not a fair part of the data."""
    split = settings.get("validation_split")
    if not isinstance(data, Dataset) or data.has_validation or settings.get(
            "shuffle_before_split") is True or isinstance(split, bool) or \
            not isinstance(split, int | float) or split <= 0:
        return []
    issues = []
    for out in model_outputs(doc):  # by the labels' count: a preview reads inputs in part
        ids = class_ids(data.y[out.name]) if out.name in data.y else None
        cut = split_point(len(ids), float(split)) if ids is not None else 0
        if ids is None or len(ids) - cut < FEWEST or cut <= 0:
            continue
        names = getattr(data, "class_names", {}).get(out.name)  # a table's class labels
        problem = _unfair(ids[:cut], ids[cut:], names)
        if problem:
            issues.append(Issue(out.id, None, "warning", f"validation_split {split} holds out "
                                f"the last {len(ids) - cut} of {len(ids)} samples as they "
                                f"come (Keras' rule), and their labels for {out.name!r} "
                                f"{problem}: the data looks sorted by label, so validation "
                                "says little of the model", CODE, (FIX,)))
    return issues


def _unfair(head: np.ndarray, tail: np.ndarray, names: list | None = None) -> str | None:
    seen, held = set(np.unique(head).tolist()), np.unique(tail).tolist()

    def said(c) -> str:  # 2 ('virginica') where the table named it
        return f"{c} ({names[c]!r})" if names and 0 <= c < len(names) else str(c)

    unseen = [c for c in held if c not in seen]
    if unseen:
        listed = ", ".join(said(c) for c in unseen[:5])
        return f"hold class(es) {listed} that training never sees"
    if len(held) == 1 and len(seen) > 1:
        return f"are all class {said(held[0])}, where training has {len(seen)}"
    return None
