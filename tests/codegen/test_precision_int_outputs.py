"""Under mixed precision only floating-point outputs are cast to float32: a Dense output
is, an argmax, top_k's indices or a comparison keeps its integer or bool dtype, as a Keras
user writes it by hand (the loss needs float32; an index must stay an index).

The app's build (`runtime.precision.output_dtype_overrides`), each style of generated
code and the hand-written Keras model give equal output dtypes; the app's build and the
generated functional code give equal configs."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.graph.document import Document  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.build import BuildError, build_model  # noqa: E402
from tests.codegen.helpers import add, add_input  # noqa: E402
from tests.codegen.test_precision import generated_model, runtime_model  # noqa: E402

POLICY = "mixed_float16"
X = np.random.default_rng(0).random((2, 4), dtype=np.float32)


def project(outputs: str):
    """Input -> Dense "hidden"; outputs among a Dense, an argmax, top_k's two ports and a
    comparison of "hidden"."""
    doc = Document()
    doc.training = {"mixed_precision": POLICY}
    x = add_input(doc, "x", (None, 4))
    hidden = add(doc, "Dense", "hidden", {"units": 8}, [x])
    made = {"dense": add(doc, "Dense", "out", {"units": 3}, [hidden]),
            "argmax": add(doc, "ops.argmax", "argmax", {"axis": -1}, [hidden])}
    if "top_k" in outputs:
        top = add(doc, "ops.top_k", "top_k", {"k": 2}, [hidden])
        made["top_k"], made["top_k_indices"] = top, f"{top}:1"
    if "greater" in outputs:
        made["greater"] = add(doc, "ops.greater", "greater",
                              {"constant": 0.5, "constant_first": False}, [hidden])
    doc.outputs = [made[name] for name in outputs.split()]
    return doc


def by_hand(outputs: str):
    """The model as a Keras user writes it under the policy: the float outputs cast to
    float32 (a Dense built with dtype="float32"), the others left as Keras gives them."""
    keras.backend.clear_session(free_memory=False)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(POLICY)
    try:
        x = keras.Input((4,), name="x")
        hidden = keras.layers.Dense(8, name="hidden")(x)
        values, indices = keras.ops.top_k(hidden, k=2)
        made = {"dense": keras.layers.Dense(3, name="out", dtype="float32")(hidden),
                "argmax": keras.ops.argmax(hidden, axis=-1),
                "top_k": keras.ops.cast(values, "float32"), "top_k_indices": indices,
                "greater": keras.ops.greater(hidden, 0.5)}
        return keras.Model(x, [made[name] for name in outputs.split()])
    finally:
        keras.config.set_dtype_policy(previous)


def dtypes(model) -> list[str]:
    out = model(X)
    return [keras.backend.standardize_dtype(t.dtype) for t in
            (out if isinstance(out, list | tuple) else [out])]


def declared(model) -> list[str]:
    """The dtypes of the model's symbolic outputs (torch computes top_k's indices as
    int64 where Keras declares int32: each side is compared with itself)."""
    return [keras.backend.standardize_dtype(t.dtype) for t in model.outputs]


CASES = ["dense argmax", "argmax dense", "dense top_k top_k_indices greater",
         "top_k_indices", "top_k"]


@pytest.mark.parametrize("outputs", CASES)
def test_output_dtypes_match_the_hand_written_model(outputs):
    hand = by_hand(outputs)
    expected, symbolic = dtypes(hand), declared(hand)
    assert "float16" not in expected
    doc = project(outputs)
    reference = runtime_model(doc)
    assert dtypes(reference) == expected
    assert declared(reference) == symbolic
    for style in ("functional", "subclass"):
        assert dtypes(generated_model(doc, style, f"{style}_{len(expected)}")) == expected


@pytest.mark.parametrize("outputs", CASES)
def test_the_generated_model_has_the_app_build_config(outputs):
    doc = project(outputs)
    reference = {**runtime_model(doc).get_config(), "name": None}  # the model's own name
    assert {**generated_model(doc, "functional", "config").get_config(), "name": None} == \
        reference


def test_dense_and_argmax_keep_keras_dtypes():
    """The brief's case in plain words: float32 for the Dense, int32 for the argmax."""
    doc = project("dense argmax")
    assert dtypes(runtime_model(doc)) == dtypes(by_hand("dense argmax"))
    assert dtypes(by_hand("dense argmax")) == ["float32", "int32"]
    names = [op.name for op in runtime_model(doc).operations]
    assert "argmax" in names and "argmax_float32" not in names


def test_a_cast_name_is_taken_only_where_a_cast_is_made():
    """A node named like a cast that is not made (argmax_float32, top_k_float32_1) is fine
    and the model builds; one named like a cast that is made (top_k_float32_0) is an
    error that refuses the build."""
    doc = project("top_k top_k_indices argmax")
    hidden = next(n.id for n in doc.nodes.values() if n.name == "hidden")
    for name in ("argmax_float32", "top_k_float32_1"):
        add(doc, "Dense", name, {"units": 2}, [hidden])
    assert "cast_name_taken" not in [i.code for i in analyze(doc).issues]
    runtime_model(doc)  # builds: no two operations of one name
    add(doc, "Dense", "top_k_float32_0", {"units": 2}, [hidden])
    taken = [i for i in analyze(doc).issues if i.code == "cast_name_taken"]
    assert len(taken) == 1 and "'top_k_float32_0'" in taken[0].message
    with pytest.raises(BuildError, match="'top_k_float32_0', which is another node's"):
        build_model(doc, dtypes={"top_k": ("float32", None)})
