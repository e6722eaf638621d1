"""A document with a run's setting overrides applied, without loading Keras.

Kept apart from `runtime.train` (which imports Keras when imported) so that the
window's search thread can apply a study's overrides without loading Keras into
the window's process: its trials and checks train in processes of their own.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.layers import custom
from kerascanvas.graph.projectfile import from_dict, to_dict


def with_overrides(doc: Document, overrides: Mapping[str, Any] | None) -> Document:
    """`doc` itself, or a copy whose training section has `overrides` applied.

    The copy's graph is `doc`'s: it shares `doc`'s custom code context (the trust and
    the shapes Keras computed) as it is, and nothing is analysed or computed here, since
    the analysis of `doc` serves the copy (`data.output_shapes`).
    """
    if not overrides:
        return doc
    copied = from_dict(copy.deepcopy(to_dict(doc)))
    copied.training = {**(copied.training or {}), **copy.deepcopy(dict(overrides))}
    custom.set_context(copied, custom.context(doc))
    return copied
