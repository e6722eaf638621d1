"""CustomLayer nodes at run time: load trusted sources, build layers, compute shapes.

This is the only module that executes a node's Python source, and it refuses
to unless the document's `CustomContext` lists the code's digest as trusted
(`runtime.trust` decides that, never the project file). Each class is loaded
once per process into a module of its own and registered with Keras under
`package>class_name`, so a saved `.keras` reloads.
"""

from __future__ import annotations

import math
import types
from collections.abc import Mapping
from typing import Any

from kerascanvas.graph.errors import KerasCanvasError
from kerascanvas.graph.layers import custom

from .keras_env import import_keras, plain_text

_LOADED: dict[str, type] = {}  # code digest -> class


class CustomCodeError(KerasCanvasError):
    """Custom code is not trusted, does not load, or is not a Keras layer."""


def load_class(params: Mapping[str, Any], trusted: frozenset[str] | set[str]):
    """The class a CustomLayer node defines, loaded (executed) only when trusted.

    Raises:
        CustomCodeError: the code is not trusted, fails to run, or defines no Layer.
    """
    digest = custom.code_digest(params)
    if digest not in trusted:
        raise CustomCodeError(f"custom code not trusted: class {params['class_name']} was not "
                              f"run; {custom.TRUST_HINT}")
    if digest in _LOADED:
        return _LOADED[digest]
    name = params["class_name"]
    problem = custom.source_problem(name, params["source"])
    if problem:
        raise CustomCodeError(f"class {name}: {problem}")
    module = types.ModuleType(f"kerascanvas_custom_{name}")
    try:
        exec(compile(params["source"], f"<custom layer {name}>", "exec"), module.__dict__)
    except Exception as exc:  # noqa: BLE001 - the user's code may raise anything
        raise CustomCodeError(f"class {name}: its source raised {type(exc).__name__}: "
                              f"{exc}") from None
    cls = module.__dict__.get(name)
    keras = import_keras()
    if not (isinstance(cls, type) and issubclass(cls, keras.layers.Layer)):
        raise CustomCodeError(f"class {name}: expected a subclass of keras.layers.Layer, "
                              f"received {cls!r}")
    package = params.get("package") or custom.DEFAULT_PACKAGE
    keras.saving.register_keras_serializable(package=package, name=name)(cls)
    _LOADED[digest] = cls
    return cls


def make_custom_layer(params: Mapping[str, Any], name: str, trusted,
                      dtype: str | None = None):
    """The node's layer: `Class(**kwargs, name=name)` (plus `dtype` when given)."""
    cls = load_class(params, trusted)
    kwargs = custom.constructor_kwargs(params)
    if dtype:
        kwargs["dtype"] = dtype
    try:
        return cls(**kwargs, name=name)
    except Exception as exc:  # noqa: BLE001
        raise CustomCodeError(f"{name!r} ({params['class_name']}): the constructor raised "
                              f"{type(exc).__name__}: {exc}") from None


def call_custom(layer, tensors: list):
    """Call a custom layer: its single input, or the list of its inputs."""
    return layer(tensors[0] if len(tensors) == 1 else list(tensors))


def compute(request: Mapping[str, Any]) -> dict:
    """Keras' answer for one shape request of `CustomContext.pending` (trusted code only).

    Returns {"outputs": [shapes], "count": [trainable, non_trainable]} or {"error": text}.
    The layer is called on symbolic inputs, so Keras builds it and runs its
    `compute_output_spec`.
    """
    keras = import_keras()
    params = {**request, "package": request.get("package")}
    try:
        layer = make_custom_layer(params, "probe", {custom.code_digest(params)})
        inputs = [keras.KerasTensor(tuple(s)) for s in request["inputs"]]
        out = call_custom(layer, inputs)
    except Exception as exc:  # noqa: BLE001 - the user's code may raise anything
        return {"error": f"{type(exc).__name__}: {plain_text(str(exc))}"}
    outs = list(out) if isinstance(out, list | tuple) else [out]
    if not all(hasattr(o, "shape") for o in outs):
        return {"error": f"expected tensors from call(), received {type(out).__name__}"}
    return {"outputs": [list(o.shape) for o in outs], "count": weight_count(layer)}


def weight_count(layer) -> list[int]:
    """[trainable, non_trainable] parameter counts of a built layer."""
    trainable = sum(math.prod(w.shape) for w in layer.trainable_weights)
    frozen = sum(math.prod(w.shape) for w in layer.non_trainable_weights)
    return [int(trainable), int(frozen)]


def resolve(doc, solver=None, rounds: int = 64) -> custom.CustomContext:
    """Compute every custom shape the analysis of `doc` asks for, round after round
    (a custom layer after another needs the first one's output shape).

    `solver` maps {key: request} to {key: result}; by default `compute` runs here,
    in this process (use `custom_worker.WorkerSolver` to keep keras out of it).
    Untrusted code is never asked for: inference refuses it before asking.
    """
    from kerascanvas.graph.validate import analyze

    ctx = custom.context(doc)
    for _ in range(rounds):
        ctx.pending.clear()
        analyze(doc)
        wanted = {k: v for k, v in ctx.pending.items() if k not in ctx.results}
        if not wanted:
            break
        answers = solver(wanted) if solver else {k: compute(v) for k, v in wanted.items()}
        ctx.results.update(answers)
    ctx.pending.clear()
    return ctx


def carry_context(source, copy, solver=None) -> None:
    """Let `copy` (a changed copy of the document `source`) share its custom code's trust
    and shapes, computing those its changes ask for (trusted code only): here, or with
    `solver` (a `custom_worker.WorkerSolver`, which keeps the code out of this process)."""
    ctx = custom.context(source)
    custom.set_context(copy, ctx)
    if ctx.trusted and custom.custom_nodes(copy):
        resolve(copy, solver)
