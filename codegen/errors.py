"""The error codegen raises."""

from __future__ import annotations

from kerascanvas.graph.errors import KerasCanvasError


class CodegenError(KerasCanvasError):
    """The document cannot be turned into code in the style asked for; the message says why."""
