"""Layer attributes of the generated subclassed model never shadow keras.Model's own."""

from __future__ import annotations

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen.naming import MODEL_ATTRIBUTES  # noqa: E402


def test_reserved_attributes_cover_keras_model():
    public = {a for a in dir(keras.Model()) if not a.startswith("_")}
    missing = sorted(public - MODEL_ATTRIBUTES)
    assert not missing, f"add these keras.Model attributes to MODEL_ATTRIBUTES: {missing}"
