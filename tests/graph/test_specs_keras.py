"""Every LayerSpec entry against Keras: names, defaults, shape rule and count rule.

Parametrized over the table, so a new entry is tested as soon as it is registered.
For each sample we also flip every choice and bool parameter; our verdict (accept
with a shape, or refuse) must match what Keras does with the same arguments.
"""

from __future__ import annotations

import inspect

import pytest

pytest.importorskip("keras")

from kerascanvas.graph import LAYER_SPECS  # noqa: E402
from kerascanvas.graph.errors import KerasCanvasError  # noqa: E402
from kerascanvas.graph.spec import TRAINABLE  # noqa: E402
from tests.keras_ref import checked_eagerly, keras_layer, keras_output  # noqa: E402

# KerasLayer has no class of its own in keras.layers; tests/runtime/test_import.py covers it.
# The Blocks category (Application, UserBlock) has its own tests, and so have operations
# (keras.ops calls, no keras.layers class: tests/graph/test_specs_operations.py).
LAYERS = [s for s in LAYER_SPECS.values()
          if not s.is_block and s.kind != "KerasLayer" and s.category not in ("Blocks",
                                                                                "Operations")]
ALWAYS_UNEXPOSED = {"name", "trainable", "dtype", "quantization_config"}
# get_config() keys whose default (None) Keras replaces with a random draw.
RANDOM_DEFAULTS = {"RandomCrop": ("seed",)}


def _keras_kwargs(params):
    return {k: (list(v) if k == "shape" else v) for k, v in params.items()}


def _variants(spec):
    """Samples plus, for the first sample, every alternative of each choice/bool param."""
    out = [(f"sample{i}", dict(s.params), s.inputs) for i, s in enumerate(spec.samples)]
    if not spec.samples:
        return out
    base = spec.samples[0]
    for p in spec.params:
        if p.name == TRAINABLE.name:  # common to every layer: see test_frozen_layers.py
            continue
        if spec.keyword_ports and p.name == spec.keyword_ports.param:  # adds input ports:
            continue  # the samples give it with its tensors
        alts = p.allowed if p.type in ("choice", "activation") else (
            (True, False) if p.type == "bool" else ())
        for alt in alts:
            if alt == p.default or alt == base.params.get(p.name):
                continue
            params = {**base.params, p.name: alt}
            out.append((f"{p.name}={alt}", params, base.inputs))
    return out


# Flipped choices of the kinds checked by a run on arrays are slow (each case runs the
# layer); their samples stay in the default suite.
CASES = [
    pytest.param(spec, params, inputs, id=f"{spec.kind}-{label}",
                 marks=[pytest.mark.slow] if checked_eagerly(spec) and "=" in label else [])
    for spec in LAYERS
    for label, params, inputs in _variants(spec)
]


@pytest.mark.parametrize("spec", LAYERS, ids=lambda s: s.kind)
def test_spec_has_samples_and_doc(spec):
    assert spec.samples, f"{spec.kind} has no samples to test against Keras"
    assert spec.doc and "\n" not in spec.doc


@pytest.mark.parametrize("spec", [s for s in LAYERS if s.kind != "Input"], ids=lambda s: s.kind)
def test_param_names_and_defaults_match_keras(spec):
    required = spec.initial_params()
    plain = keras_layer(spec, required, name="probe").get_config()
    names = {p.name for p in spec.params}
    missing = set(plain) - names - ALWAYS_UNEXPOSED - set(spec.unexposed)
    assert not missing, f"{spec.kind}: get_config keys with no ParamSpec: {sorted(missing)}"
    signature = inspect.signature(getattr(__import__("keras").layers, spec.kind).__init__)
    call = inspect.signature(getattr(__import__("keras").layers, spec.kind).call).parameters
    for name in names - set(spec.call_only):
        assert name in plain or name in signature.parameters, f"{spec.kind}.{name} is no keyword"
    for name in spec.call_params:  # keywords of the call, with the call's default
        assert call[name].default == spec.param(name).default, f"{spec.kind}.{name}"
    if spec.keyword_ports:  # a keyword of the call that takes the ports' tensors
        assert call[spec.keyword_ports.param].default is None, spec.kind
    explicit = {p.name: p.default for p in spec.params if not p.required}
    with_defaults = keras_layer(spec, {**explicit, **required}, name="probe").get_config()
    for key in RANDOM_DEFAULTS.get(spec.kind, ()):  # Keras draws these when left empty
        plain.pop(key), with_defaults.pop(key)
    assert with_defaults == plain, f"{spec.kind}: our defaults change Keras' config"


def test_input_params_match_keras_input():
    import keras

    sig = inspect.signature(keras.Input)
    spec = LAYER_SPECS["Input"]
    for p in spec.params:
        assert p.name in sig.parameters
        if not p.required:
            keras_default = sig.parameters[p.name].default
            assert keras_default is None or keras_default == p.default or p.name == "dtype"


@pytest.mark.parametrize("spec,params,inputs", CASES)
def test_shape_and_count_rules_match_keras(spec, params, inputs):
    try:
        resolved = spec.resolve(params)
        ours = spec.output_shapes(resolved, list(inputs))
        ours_count = spec.count(resolved, list(inputs))
        ours_error = None
    except KerasCanvasError as exc:
        ours_error = exc
    try:
        theirs, theirs_count = keras_output(spec, _keras_kwargs(params), inputs)
        keras_error = None
    except Exception as exc:  # noqa: BLE001 - any refusal by Keras counts
        keras_error = exc
    if ours_error is not None:
        assert keras_error is not None, f"we refuse but Keras accepts: {ours_error}"
        return
    assert keras_error is None, f"Keras refuses but we accept ({ours}): {keras_error!r}"
    assert ours == theirs
    assert tuple(ours_count) == theirs_count
