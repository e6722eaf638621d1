"""Code for Application nodes: a `keras.applications` base, its freezing, its call.

    base = keras.applications.MobileNetV2(
        include_top=False, weights=None, input_shape=(32, 32, 3), pooling='avg', name='base'
    )
    base.trainable = False
    features = base(image)

The arguments match `runtime.finetune.make_application`, so both builds have one config.
"""

from __future__ import annotations

from typing import Any

from kerascanvas.graph.spec import APPLICATION

from .literals import INDENT, call, literal

KIND = APPLICATION


def application_kwargs(params: dict[str, Any], input_shape) -> dict[str, Any]:
    """The keyword arguments given to the keras.applications function.

    `weights` is always written (Keras' default would download ImageNet weights),
    and `input_shape` always (taken from the incoming tensor when not set).
    """
    kwargs: dict[str, Any] = {"include_top": params["include_top"],
                              "weights": params["weights"],
                              "input_shape": tuple(params["input_shape"] or input_shape[1:])}
    if params["include_top"]:
        kwargs["classes"] = params["classes"]
    elif params["pooling"] is not None:
        kwargs["pooling"] = params["pooling"]
    return kwargs


def freeze_lines(target: str, params: dict[str, Any], indent: str) -> list[str]:
    """`target.trainable = False` and the loop freezing the first N layers, as needed."""
    lines = []
    if not params["trainable"]:
        lines.append(f"{indent}{target}.trainable = False")
    elif params["freeze_first"]:
        lines += [f"{indent}for layer in {target}.layers[:{params['freeze_first']}]:",
                  f"{indent}{INDENT}layer.trainable = False"]
    return lines


def construct_lines(target: str, step, indent: str) -> list[str]:
    """The base network assigned to `target`, then its freezing."""
    kwargs = application_kwargs(step.params, step.input_shapes[0])
    func = f"keras.applications.{step.params['architecture']}"
    return [call(func, [], {**kwargs, "name": step.name}, indent, f"{target} = "),
            *freeze_lines(target, step.params, indent)]


def functional_lines(step, base_var: str, indent: str) -> str:
    """Construct, freeze and call the base on the step's input."""
    lines = construct_lines(base_var, step, indent)
    lines.append(f"{indent}{step.outputs[0]} = {base_var}({step.inputs[0]})")
    return "\n".join(lines)


__all__ = ["KIND", "application_kwargs", "construct_lines", "freeze_lines",
           "functional_lines", "literal"]
