"""Export a document: a `.keras` archive, an ONNX graph, or Python source.

All three start from the same document. `.keras` and ONNX go through
`runtime.build.build_model`, the model the app trains; Python goes through
`codegen.generate`, whose code builds a model with the same config.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kerascanvas.graph import atomicfile
from kerascanvas.graph.document import Document
from kerascanvas.graph.errors import KerasCanvasError
from kerascanvas.graph.projectfile import write_text_atomic

from . import export_culprit
from .build import build_model
from .export_inputs import random_inputs
from .keras_env import import_keras
from .onnx_names import name_outputs
from .precision import output_dtype_overrides, precision_scope

ONNX_TOLERANCE = 1e-4


class ExportError(KerasCanvasError):
    """An export failed; the message names the format and, when known, the layer."""


@dataclass(frozen=True)
class KerasExport:
    """A written `.keras`: its model, and why it was written uncompiled (None: compiled)."""

    model: Any
    uncompiled: str | None = None
    registered: tuple[str, ...] = ()  # custom objects its compile config names


def export_keras(doc: Document, path: str | os.PathLike,
                 weights: str | None = None) -> KerasExport:
    """Save the document's model as a compiled `.keras` archive.

    Args:
        doc: a valid document.
        path: the target; it must end in `.keras`.
        weights: optional `.weights.h5` file to load first, or a trained model's `.keras`
            (a run's kept model), which is checked to load and copied as it is: its
            compile config (losses, loss weights, metrics, optimizer) and optimizer state
            with it, as Results › Save trained model writes it.

    The model is compiled with the document's training settings (`export_compile`), as a
    run starts: a run's kept model without a compile config too. Where that cannot be
    done, the archive is written uncompiled and `KerasExport.uncompiled` says why;
    `KerasExport.registered` names the custom objects (the project's training code, our
    own losses and metrics) that `load_model` needs registered to compile it.

    Raises:
        ExportError: a wrong suffix, or weights that do not fit the model.
    """
    from .callbacks import save_atomic
    from .export_compile import archive_compiled, compile_for_export, registered_names

    path = Path(path)
    if path.suffix != ".keras":
        raise ExportError(f"Expected a path ending in .keras, received {str(path)!r}")
    if _is_archive(weights) and archive_compiled(str(weights)):
        model = _model(doc, weights, keyed=True)
        # Saved again, the model loaded without its optimizer lost its compile config.
        atomicfile.copy_atomic(weights, path)
        return KerasExport(model, None, tuple(registered_names(str(path))))
    with precision_scope(_policy(doc)):  # as a run builds and compiles it
        model = _model(doc, weights, keyed=True)
        uncompiled = compile_for_export(model, doc)
    save_atomic(model, path)  # a killed export leaves the previous file whole
    return KerasExport(model, uncompiled, tuple(registered_names(str(path))))


def _policy(doc: Document) -> str:
    """The dtype policy a run of `doc` trains under (mixed precision: its layers in half
    precision, its outputs float32, the optimizer loss-scaled under mixed_float16); float32
    for a value the compile refuses anyway, naming the field."""
    from .precision import FLOAT32, policy_for

    try:
        return policy_for(doc)
    except ValueError:
        return FLOAT32


def _is_archive(weights: str | os.PathLike | None) -> bool:
    return weights is not None and Path(weights).suffix.lower() == ".keras"


def _model(doc: Document, weights: str | os.PathLike | None, keyed: bool = False):
    """The model to export: the one a `.keras` `weights` archive holds (a run's kept model:
    its own graph with its trained weights, whatever the project's graph became since),
    else the document's (`keyed`: as the generated code builds it) given `weights`."""
    if _is_archive(weights):
        from .train_model import load_kept

        try:
            return load_kept(str(weights), compile=False)
        except ValueError as exc:
            raise ExportError(f"Cannot load the trained model {str(weights)!r}: {exc}") \
                from None
    # the model the generated code builds; its output layers float32 under mixed precision
    model = build_model(doc, keyed=keyed, dtypes=output_dtype_overrides(doc))
    if weights is None:
        _initial_weights(model, doc)
    _load_weights(model, weights)
    return model


def _initial_weights(model, doc: Document) -> None:
    """The weights the project starts from (`runtime.initial_weights`), said on stderr."""
    from .initial_weights import InitialWeightsError, apply

    try:
        report = apply(model, doc)
    except InitialWeightsError as exc:
        raise ExportError(str(exc)) from None
    if report is not None:
        print(f"Initial weights: {report.message()}", file=sys.stderr)


def _load_weights(model, weights: str | os.PathLike | None) -> None:
    """Load `weights` (a `.weights.h5` file, or a trained model's `.keras` archive, such
    as a run keeps) into `model`; nothing when None."""
    if weights is None:
        return
    try:
        model.load_weights(weights)
    except Exception as exc:  # noqa: BLE001 - Keras raises ValueError/OSError/KeyError
        raise ExportError(f"Cannot load weights {str(weights)!r} into the model: {exc}") \
            from None


def _layer_in_message(model, message: str) -> str | None:
    """The first model layer whose name or class the exporter's message mentions."""
    for layer in model.operations:
        for word in (layer.name, type(layer).__name__):
            if re.search(rf"\b{re.escape(word)}\b", message):
                return f"{layer.name} ({type(layer).__name__})"
    return None


def _nested_layers(model):
    for layer in getattr(model, "layers", ()):
        yield layer
        yield from _nested_layers(layer)


def _random_layers(model) -> list[str]:
    """The random preprocessing layers at any depth (RandomFlip, RandomRotation...)."""
    return [f"{layer.name} ({type(layer).__name__})" for layer in _nested_layers(model)
            if type(layer).__name__.startswith("Random")]


def _onnx_failure(model, exc: Exception) -> ExportError:
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ImportError):
        return ExportError(f"ONNX export needs the onnx and onnxscript packages "
                           f"(pip install onnx onnxscript): {exc}")
    random = _random_layers(model) if "Generator" in message else []
    if random:  # the tracer meets their seed generator, however the message names it
        return ExportError(
            f"ONNX export failed at the random layer(s) {', '.join(random)}: they draw from "
            "a seed generator, which the ONNX exporter cannot trace. They act only in "
            "training: export the model without them (augment the data outside it). The "
            f"exporter said: {message.splitlines()[0][:200]}")
    culprit = _layer_in_message(model, message) or _culprit(model, exc)
    where = f" at layer {culprit}" if culprit else ""
    return ExportError(f"ONNX export failed{where}: {message.splitlines()[0][:500]}")


def _culprit(model, exc: Exception) -> str | None:
    """The layer the exporter failed at, found from the traceback, else by exporting each
    layer call alone (`export_culprit`)."""
    layer = export_culprit.layer_in_traceback(model, exc) or export_culprit.failing_layer(model)
    if layer is not None:
        return export_culprit.describe(layer)
    layer = export_culprit.failing_with_what_precedes(model)
    if layer is None:
        return None
    return (f"{export_culprit.describe(layer)}, with the layers before it (it exports alone, "
            "and so does the model up to it)")


def export_onnx(doc: Document, path: str | os.PathLike, check: bool = True,
                weights: str | os.PathLike | None = None):
    """Export the document's model to ONNX, and check it with onnxruntime when installed.

    With `weights`, a `.weights.h5` file, the graph holds those weights instead of freshly
    initialised ones; a trained model's `.keras` (a run's kept model) is exported itself,
    its own graph with its weights, whatever the document's graph became since.

    The model is called once on random input first (the torch exporter needs a
    traced call): integer inputs uniformly over the ids the model accepts (below an
    Embedding's `input_dim`; `export_inputs`). With onnxruntime present, its outputs on
    that input must match Keras' within `ONNX_TOLERANCE`.

    Returns:
        The largest absolute difference found, or None when onnxruntime is absent.

    Raises:
        ExportError: a missing package, a layer the exporter refuses (named), or
            outputs that differ.
    """
    import_keras()
    model = _model(doc, weights)
    sample = random_inputs(model)
    expected = model(sample if len(sample) > 1 else sample[0])
    partial = atomicfile.partial_path(path)  # replaced whole, as every save is
    try:
        atomicfile.remove_stale_partials(path)
        _write_onnx(model, partial)
        # Checked before the rename: a graph that computes something else never
        # replaces the previous file.
        worst = compare_onnx(partial, model, sample, expected) if check else None
        atomicfile.commit(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    return worst


def _write_onnx(model, partial: Path) -> None:
    """Export, silencing the tracer's warnings (Keras' shape checks read as Python values
    while torch traces: `if in_channels % kernel_in_channels != 0:`) for this call only;
    the check against Keras' outputs is what says whether the graph is right."""
    from torch.jit import TracerWarning

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=TracerWarning)
            model.export(str(partial), format="onnx", verbose=False)
    except Exception as exc:  # noqa: BLE001 - the exporter raises many types
        raise _onnx_failure(model, exc) from None
    name_outputs(partial, [str(name) for name in model.output_names])


def agreement(diff: float) -> str:
    """How onnxruntime's outputs compare with Keras', as the export reports it."""
    if diff == 0:
        return "onnxruntime matches Keras exactly"
    return f"onnxruntime matches Keras within {diff:.2g}"


def _unknown_sizes(model) -> str:
    """Why a traced graph can differ: the inputs with an unknown size past the batch."""
    loose = [f"{t.name} {tuple(t.shape)}" for t in model.inputs if None in tuple(t.shape)[1:]]
    if not loose:
        return ""
    return ("; the exporter traces one fixed size where an Input has None (" + ", ".join(loose)
            + "), so a loop over a time axis keeps the traced length: give those Inputs fixed "
            "sizes")


def compare_onnx(path, model, sample: list, expected) -> float | None:
    """Run the ONNX file in onnxruntime; the largest difference from `expected`."""
    try:
        import onnxruntime
    except ImportError:
        return None
    import numpy as np

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, _feed(session.get_inputs(), model, sample))
    want = expected if isinstance(expected, list | tuple) else [expected]
    worst = 0.0
    for name, a, b in zip(model.output_names, got, want, strict=True):
        b = np.asarray(b.detach().cpu() if hasattr(b, "detach") else b)
        diff = float(np.max(np.abs(a - b))) if a.size else 0.0
        if not diff <= ONNX_TOLERANCE:
            raise ExportError(f"ONNX output {name!r} differs from Keras by {diff:.3g} "
                              f"(tolerance {ONNX_TOLERANCE}){_unknown_sizes(model)}; "
                              "nothing was written")
        worst = max(worst, diff)
    return worst


def _feed(graph_inputs, model, sample: list) -> dict:
    """onnxruntime's inputs: the sample by the Keras input names the graph keeps (the
    exporter drops an input that no output uses), else in order."""
    by_name = {t.name: x for t, x in zip(model.inputs, sample, strict=True)}
    if all(i.name in by_name for i in graph_inputs):
        return {i.name: by_name[i.name] for i in graph_inputs}
    return {i.name: x for i, x in zip(graph_inputs, sample, strict=True)}


def export_python(doc: Document, path: str | os.PathLike, style: str = "functional",
                  script: bool = False) -> str:
    """Write the generated code (see `codegen.generate`) to `path`; returns the source.

    Raises:
        codegen.CodegenError: the graph is invalid or the style does not apply.
    """
    from kerascanvas.codegen import generate

    source = generate(doc, style=style, script=script)
    write_text_atomic(Path(path), source)
    return source
