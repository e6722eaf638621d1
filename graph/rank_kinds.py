"""The 1D, 2D and 3D kinds of one layer family (Conv1D, Conv2D, Conv3D; MaxPooling1D ...
3D; UpSampling2D ...), and the fix that changes a node to the one its input fits.

Conv1D on images, or GlobalAveragePooling2D on a sequence, is a commonest mistake: the
layer is right and only its variant is not. Where a node of such a kind refuses what
arrives, the issue offers `use_rank_kind`, "Change to Conv2D", when that kind, with the
params both have (`graph.rekind`), takes the tensors wired in now; it comes before the
layers a fix could insert to reshape the tensor. The families come from the kinds' names
in the LayerSpec table (one `1D`/`2D`/`3D` in the name, the rest equal). Pure.

>>> rank_variants("Conv1D"), rank_variants("Conv2DTranspose"), rank_variants("Dense")
(('Conv2D', 'Conv3D'), ('Conv1DTranspose', 'Conv3DTranspose'), ())
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from functools import cache

from .spec import LAYER_SPECS

FIX = "use_rank_kind"
_RANK = re.compile(r"[123]D")
_trying = threading.local()  # a variant tried is itself a family member: no recursion


def _family(kind: str) -> str | None:
    found = _RANK.findall(kind)
    return _RANK.sub("#D", kind) if len(found) == 1 else None


@cache
def rank_variants(kind: str) -> tuple[str, ...]:
    """The other kinds of `kind`'s 1D/2D/3D family, in name order; () for none."""
    family = _family(kind)
    if family is None:
        return ()
    return tuple(sorted(k for k in LAYER_SPECS if k != kind and _family(k) == family))


def fitting_variant(doc, node, results: Mapping) -> str | None:
    """The first variant of `node`'s kind that takes what is wired into it now, with the
    params both kinds have; None when none does (or no input is known yet)."""
    variants = rank_variants(node.kind)
    if not variants or getattr(_trying, "active", False):
        return None
    edges = doc.in_edges(node.id)
    if not edges or any(results.get(e.src) is None or not results[e.src].ok for e in edges):
        return None
    from . import rekind
    from .spec import get_spec

    _trying.active = True
    try:
        for kind in variants:
            if rekind.accepts(doc, node.id, kind, rekind.carried(node, get_spec(kind)),
                              results):
                return kind
    finally:
        _trying.active = False
    return None


def fix_label(issue) -> str:
    """"Change to Conv2D", the kind the issue's data names."""
    return f"Change to {issue.data.get('kind')}" if issue is not None else LABEL


def use_rank_kind(doc, issue, stack) -> list[str]:
    """Change the issue's node to the kind its data names (`graph.rekind.change_kind`)."""
    from . import rekind

    rekind.change_kind(doc, issue.node, str(issue.data["kind"]), stack)
    return [issue.node]


LABEL = "Change to the kind of the input's rank"
