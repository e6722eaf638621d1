"""The code we write passes the linter a user runs on it: ruff with the project's own rules
(E, F, I, B, UP; line length 100; Python 3.11), on the golden files (every example in
every style and as a script) and on code whose keyword values run long."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keras
import pytest

from kerascanvas.codegen import STYLES, generate
from kerascanvas.runtime.importer import import_model
from tests.codegen.helpers import example

GOLDEN = Path(__file__).parent / "golden"
RUFF = [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "E,F,I,B,UP",
        "--line-length", "100", "--target-version", "py311", "--output-format", "concise"]


def ruff_problems(*paths: Path) -> str:
    done = subprocess.run([*RUFF, *map(str, paths)], capture_output=True, text=True)
    return "" if done.returncode == 0 else done.stdout + done.stderr


def test_golden_code_passes_ruff():
    assert ruff_problems(*sorted(GOLDEN.glob("*.py"))) == ""


@pytest.mark.parametrize("variant", [*STYLES, "script"])
def test_mixed_precision_code_passes_ruff(variant, tmp_path):
    # Its module starts with a statement (the dtype policy), not a def, after the imports.
    doc = example("digits_cnn")
    doc.training = {**(doc.training or {}), "mixed_precision": "mixed_float16"}
    path = tmp_path / f"{variant}.py"
    kwargs = {"script": True} if variant == "script" else {"style": variant}
    path.write_text(generate(doc, **kwargs), encoding="utf-8")
    assert ruff_problems(path) == ""


def _linted_and_built(model, style: str, tmp_path):
    """The model the code written for `model` in `style` builds, once ruff passed on it."""
    path = tmp_path / f"{style}.py"
    path.write_text(generate(import_model(model), style=style), encoding="utf-8")
    assert ruff_problems(path) == ""
    namespace: dict = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # noqa: S102
    return namespace["build_model"]()


def _long_initializer_model():
    # keras.applications.EfficientNetB0's classifier: an initializer too long for its line.
    inputs = keras.Input((16,), name="features")
    initializer = keras.initializers.VarianceScaling(scale=1.0 / 3.0, mode="fan_out",
                                                     distribution="uniform")
    outputs = keras.layers.Dense(10, activation="softmax", kernel_initializer=initializer,
                                 name="predictions")(inputs)
    return keras.Model(inputs, outputs, name="head")


@pytest.mark.parametrize("style", STYLES)
def test_a_long_keyword_value_is_wrapped_and_builds_keras_layer(style, tmp_path):
    model = _long_initializer_model()
    rebuilt = _linted_and_built(model, style, tmp_path)
    want = model.get_layer("predictions").get_config()
    assert rebuilt.get_layer("predictions").get_config() == want
    assert rebuilt.count_params() == model.count_params()


def _long_names_model():
    # ConvNeXt's names: `x = self.attr(` alone runs past 100 columns in call().
    stem = "convnext_tiny_stage_0_block_0_"
    inputs = keras.Input((8, 8, 3), name="image")
    x = keras.layers.Conv2D(4, 3, padding="same", name=stem + "depthwise_conv")(inputs)
    x = keras.layers.LayerNormalization(epsilon=1e-6, name=stem + "layernorm")(x)
    x = keras.layers.Dense(16, name=stem + "pointwise_conv_1")(x)
    x = keras.layers.Activation("gelu", name=stem + "gelu")(x)
    return keras.Model(inputs, x, name="long_names")


@pytest.mark.parametrize("style", STYLES)
def test_long_layer_names_are_wrapped_and_build_the_same_model(style, tmp_path):
    import numpy as np

    model = _long_names_model()
    rebuilt = _linted_and_built(model, style, tmp_path)
    assert rebuilt.count_params() == model.count_params()
    for layer in model.layers[1:]:
        rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)
