"""Name an exported ONNX graph's outputs as the Keras model names them.

The torch exporter names each graph output after the tensor that computes it ('60') and
gives its batch axis a name of its own ('Softmax60_dim_0'), so a consumer cannot tell
the outputs apart or see that their first axis is the inputs' batch. Here each output
takes the name of its Keras output (the output layer's name, `model.output_names`), and
an output axis 0 that the exporter left free takes the name of the inputs' batch axis.
Only names change: the computation is the same graph.
"""

from __future__ import annotations

from pathlib import Path

LARGEST = 1 << 30


def unique_names(names: list[str], taken: set[str]) -> list[str]:
    """`names`, each made distinct from the others and from `taken` with a `_2`... suffix.

    >>> unique_names(["out", "out", "x"], {"x"})
    ['out', 'out_2', 'x_2']
    """
    chosen: list[str] = []
    for name in names:
        candidate, count = name, 1
        while candidate in taken or candidate in chosen:
            count += 1
            candidate = f"{name}_{count}"
        chosen.append(candidate)
    return chosen


def _batch_axis(graph) -> str | None:
    """The name of the first input's axis 0, when the exporter left it free."""
    for value in graph.input:
        dims = value.type.tensor_type.shape.dim
        if dims and dims[0].dim_param:
            return dims[0].dim_param
    return None


def _rename(graph, old: str, new: str) -> None:
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]
    for value in graph.value_info:
        if value.name == old:
            value.name = new


def name_outputs(path: str | Path, output_names: list[str]) -> None:
    """Rewrite the ONNX file `path`: its outputs named `output_names` (in order), their
    free batch axis named as the inputs'."""
    import onnx

    if Path(path).stat().st_size > LARGEST:
        return  # a protobuf holds 2 GiB at most: such a graph keeps the exporter's names
    model = onnx.load(str(path))
    graph = model.graph
    outputs = list(graph.output)
    if len(output_names) != len(outputs):
        return  # not the model's outputs one for one: left as exported
    current = {o.name for o in outputs}
    taken = {name for node in graph.node for name in (*node.input, *node.output)}
    taken |= {value.name for value in (*graph.input, *graph.initializer)}
    names = unique_names(list(output_names), taken - current)
    batch = _batch_axis(graph)
    for value, name in zip(outputs, names, strict=True):
        if value.name != name:
            _rename(graph, value.name, name)
            value.name = name
        dims = value.type.tensor_type.shape.dim
        if batch and dims and not dims[0].HasField("dim_value"):
            dims[0].dim_param = batch
    onnx.save(model, str(path))
