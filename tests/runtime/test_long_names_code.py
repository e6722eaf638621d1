"""A model whose names are long: the generated code, each line within the limit (the
casts of several outputs wrapped, their targets one per line, lists of tensors one per
line), builds in both styles and both precisions the model the runtime builds."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.codegen.literals import LINE_LIMIT  # noqa: E402
from kerascanvas.runtime import precision  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from tests.codegen.helpers import long_named_doc  # noqa: E402
from tests.roundtrip import exec_generated  # noqa: E402


@pytest.mark.parametrize("policy", ["off", "mixed_float16"])
@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_long_named_code_fits_and_builds_the_same_model(style, policy):
    doc = long_named_doc()
    doc.training["mixed_precision"] = policy
    assert max(len(line) for line in generate(doc, style=style).splitlines()) <= LINE_LIMIT
    with precision.precision_scope("float32" if policy == "off" else policy):
        built = build_model(doc, dtypes=precision.output_dtype_overrides(doc))
    written = exec_generated(doc, style=style)
    assert written.count_params() == built.count_params() > 0
    for layer in built.layers:
        if layer.weights:
            written.get_layer(layer.name).set_weights(layer.get_weights())
    data = np.random.default_rng(0).uniform(size=(2, 4, 6)).astype("float32")
    want, got = built(data), written(data)
    assert len(want) == len(got) == 6  # split's 3, top_k's 2, mean
    for a, b in zip(want, got, strict=True):
        a, b = keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b)
        assert a.dtype == b.dtype
        np.testing.assert_allclose(b, a, rtol=1e-3, atol=1e-3)
