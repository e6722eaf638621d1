"""The document model, LayerSpec table, shape inference and validation. No Qt, keras or torch."""

from . import blocks, layers, userblocks  # noqa: F401  (fills the LayerSpec table)
from .spec import LAYER_SPECS, get_spec

__all__ = ["LAYER_SPECS", "get_spec"]
