"""Round-trip survey: how many Keras models come back whole through the canvas.

Run: python benchmarks/bench_roundtrip.py [--only SUBSTRING] [--apps | --examples]

Builds every keras.applications architecture available on the torch backend in several
variants (weights=None, nothing downloaded), and the models of tests/keras_examples/
written in the styles of the official Keras examples, each as built and as loaded from
its saved .keras file (for the architectures, the first of each family). Each one goes
through import -> project file (JSON) -> validate (our shapes equal Keras' at every
layer) -> codegen -> exec of the generated code, and the rebuilt model is compared with
the original: count_params and the (non-)trainable counts, each layer's class and
get_config() by name, the nesting (`model.layers` at every depth) and the forward
outputs once the original's weights are copied in. A model whose configs differ only by
a tuple where the other has a list, which is how Keras itself saves and loads, is
counted apart ("as-saved"). Prints one row per model (the stage that failed and why)
and "N of M round-trip". Models that need a custom layer's source are counted apart;
so are architectures Keras itself refuses on torch. A top-level Sequential is generated
in the Sequential code style (the code panel's choice), others in the functional style.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.roundtrip and tests.keras_examples

import keras  # noqa: E402

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.graph.projectfile import from_dict, to_dict  # noqa: E402
from kerascanvas.runtime import custom_code, trust  # noqa: E402
from kerascanvas.runtime.importer import import_model_report, load_with_code  # noqa: E402
from tests import keras_examples  # noqa: E402
from tests.roundtrip import (  # noqa: E402
    assert_rebuild_equal,
    assert_shapes_match_keras,
)

# Architecture -> smallest input side it accepts. The first of each family (and those
# under ~30M parameters) get every variant; the others get one.
SIDES = {"InceptionV3": 75, "InceptionResNetV2": 75, "Xception": 71, "NASNetLarge": 32}
FULL = {"ConvNeXtTiny", "DenseNet121", "EfficientNetB0", "EfficientNetV2B0", "InceptionV3",
        "MobileNet", "MobileNetV2", "MobileNetV3Small", "MobileNetV3Large", "ResNet50",
        "ResNet50V2", "VGG16", "Xception", "NASNetMobile"}
# Extra keywords of the families that have them (alphas, minimalistic, preprocessing).
EXTRA = {
    "MobileNet": [{"alpha": 0.5}, {"alpha": 0.75, "depth_multiplier": 2}],
    "MobileNetV2": [{"alpha": 0.35}, {"alpha": 1.3}],
    "MobileNetV3Small": [{"minimalistic": True}, {"alpha": 0.75},
                         {"include_preprocessing": False}],
    "MobileNetV3Large": [{"minimalistic": True}, {"alpha": 0.75}],
    "EfficientNetV2B0": [{"include_preprocessing": False}],
    "ConvNeXtTiny": [{"include_preprocessing": False}],
}


AS_SAVED = "as-saved"  # equal configs once saved: a tuple where the other has a list


def app_cases() -> list[tuple[str, object]]:
    """(label, factory) for each architecture and variant."""
    cases = []
    for name in sorted(n for n in dir(keras.applications) if n[0].isupper()):
        side = SIDES.get(name, 32)
        variants = [{"include_top": False, "pooling": "avg"}]
        if name in FULL:
            variants += [
                {"include_top": True, "classes": 5},
                {"include_top": True, "classes": 3, "classifier_activation": None},
                {"include_top": False, "pooling": "max", "side": side + 16},
                {"include_top": False, "pooling": None, "side": side + 8},
            ] + [{"include_top": False, "pooling": "avg", **extra}
                 for extra in EXTRA.get(name, [])]
        for variant in variants:
            cases.append((_label(name, variant), _app_factory(name, side, variant)))
        if name in FULL:  # the form `kerascanvas import` reads
            cases.append((_label(name, variants[0]) + " [.keras]",
                          _from_file(_app_factory(name, side, variants[0]))))
    return cases


def _label(name: str, variant: dict) -> str:
    return name + "(" + ", ".join(f"{k}={v}" for k, v in variant.items()) + ")"


def _app_factory(name: str, side: int, variant: dict):
    kwargs = dict(variant)
    side = kwargs.pop("side", side)

    def make():
        return getattr(keras.applications, name)(weights=None, input_shape=(side, side, 3),
                                                 **kwargs)
    return make


def example_cases() -> list[tuple[str, object]]:
    """Each example model as built, and as loaded from its saved .keras file (safe mode):
    the form `kerascanvas import` reads, where every tuple of a config is a list."""
    return [(f.__name__, f) for f in keras_examples.EXAMPLES] + [
        (f"{f.__name__} [.keras]", _from_file(f)) for f in keras_examples.EXAMPLES]


def _from_file(make):
    def load():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.keras"
            make().save(path)
            return keras.saving.load_model(path, safe_mode=True, compile=False)
    return load


def survey_one(make, custom: bool = False) -> tuple[str, str]:
    """("ok" or the stage that failed, why) for one model."""
    stage = "build"
    try:
        model = make()
        stage = "import"
        model, report = _import_custom(model) if custom else (model, import_model_report(model))
        doc = from_dict(json.loads(json.dumps(to_dict(report.doc))))
        trust.apply(doc, custom)
        if custom:  # here in-process; the CLI and the window use a worker process
            custom_code.resolve(doc)
        stage = "validate"
        assert_shapes_match_keras(doc, model)
        stage = "codegen"
        namespace: dict = {}
        style = "sequential" if isinstance(model, keras.Sequential) else "functional"
        code = compile(generate(doc, style, model_name=model.name), "<generated>", "exec")
        stage = "exec"
        exec(code, namespace)  # noqa: S102
        rebuilt = namespace["build_model"]()
        stage = "compare"
        try:
            assert_rebuild_equal(model, rebuilt)
        except AssertionError as exc:  # equal once saved (a tuple read back as a list)?
            assert_rebuild_equal(model, rebuilt, strict=False)
            return AS_SAVED, _one_line(exc)
    except Exception as exc:  # noqa: BLE001 - every failure is a row of the table
        return stage, _one_line(exc)
    return "ok", ""


def _import_custom(model):
    """(the loaded model, its import report) through a saved .keras file and the custom
    class's source file, trusted."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        model.save(path)
        loaded, classes = load_with_code(path, code=inspect.getsourcefile(keras_examples),
                                         trusted=True)
        return loaded, import_model_report(loaded, classes)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:160]


def run(cases, custom: bool = False) -> list[tuple[str, str, str, float]]:
    rows = []
    for label, make in cases:
        start = time.perf_counter()
        stage, why = survey_one(make, custom)
        rows.append((label, stage, why, time.perf_counter() - start))
        print(f"{label:64} {stage:9} {rows[-1][3]:6.1f}s {why}", flush=True)
        keras.backend.clear_session()
        gc.collect()
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the models whose label contains this")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--apps", action="store_true", help="keras.applications only")
    group.add_argument("--examples", action="store_true", help="the example-style models only")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # Keras' structure warnings would drown the table
    cases = ([] if args.examples else app_cases()) + ([] if args.apps else example_cases())
    custom = [] if args.apps else [(f.__name__, f) for f in keras_examples.CUSTOM]
    cases = [c for c in cases if args.only in c[0]]
    custom = [c for c in custom if args.only in c[0]]
    print(f"{'model':64} {'result':9} {'time':>7} why")
    rows = run(cases)
    refused = [r for r in rows if r[1] == "build"]  # Keras itself will not build it here
    ok, saved = sum(r[1] == "ok" for r in rows), sum(r[1] == AS_SAVED for r in rows)
    print(f"\n{ok} of {len(rows) - len(refused)} round-trip "
          f"({len(refused)} that Keras refuses to build on this backend left out); "
          f"{ok + saved} with configs compared as saved (a tuple equal to a list)")
    if custom:
        print("\nneeds custom source (imported with the class's source file, trusted):")
        rows = run(custom, custom=True)
        print(f"{sum(r[1] == 'ok' for r in rows)} of {len(rows)} round-trip")


if __name__ == "__main__":
    main()
