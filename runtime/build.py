"""The document as a live `keras.Model`, built in-process.

Each node becomes one Keras layer named after the node, created from the
params that differ from Keras' defaults (`LayerSpec.non_default`), which is
exactly what generated code passes too, so both builds have the same config
("what you export is what you train"). Block nodes are inlined: their
sublayers are named `f"{node.name}_{suffix}"`. An instance of a nested-model block is
a nested keras.Model (`runtime.nested`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kerascanvas.codegen import structure
from kerascanvas.codegen.errors import CodegenError
from kerascanvas.graph.document import Document, Node
from kerascanvas.graph.errors import KerasCanvasError
from kerascanvas.graph.keras_objects import KERAS_MODULES
from kerascanvas.graph.layers import custom
from kerascanvas.graph.layers.generic import PLACEHOLDER, Constant, decode_marker, serialized
from kerascanvas.graph.layers.operations import is_operation
from kerascanvas.graph.layers.recurrent_cells import cell_spec
from kerascanvas.graph.layers.shared import KIND as SHARED_CALL
from kerascanvas.graph.layers.shared import OWNER_PARAM as SHARED_OWNER
from kerascanvas.graph.layers.wrappers import inner_name, inner_names
from kerascanvas.graph.model_scope import left_out_ids
from kerascanvas.graph.object_params import is_object
from kerascanvas.graph.projectfile import from_dict, to_dict
from kerascanvas.graph.spec import APPLICATION, GENERIC, INPUT, LayerSpec, get_spec
from kerascanvas.graph.training import port_output_names
from kerascanvas.graph.userblocks import KIND as USER_BLOCK
from kerascanvas.graph.userblocks import flatten

from .finetune import make_application
from .keras_env import import_keras
from .nested import make_nested_model


class BuildError(KerasCanvasError):
    """The document cannot become a model. `issues` lists the validation errors."""

    def __init__(self, message: str, issues: tuple = ()):
        super().__init__(message)
        self.issues = tuple(issues)


def make_layer(kind: str, name: str, params: Mapping[str, Any], dtype: str | None = None):
    """A Keras layer of `kind` named `name`, given only the non-default params.

    A `KerasLayer` node is deserialized from its recorded class and config, in
    safe mode (nothing from a file is executed). `dtype` (e.g. "float32" for an
    output layer under mixed precision) is passed as the layer's `dtype` keyword.

    >>> make_layer("Dense", "head", {"units": 10}).get_config()["units"]  # doctest: +SKIP
    10
    """
    keras = import_keras()
    spec = get_spec(kind)
    extra = {"dtype": dtype} if dtype else {}
    if spec.kind == GENERIC:
        config = serialized(spec.resolve(params), name)
        config["config"].update(extra)
        try:
            return keras.saving.deserialize_keras_object(config, safe_mode=True)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise BuildError(f"{name!r} (KerasLayer): Keras cannot make "
                             f"{config['module']}.{config['class_name']} from its config: "
                             f"{exc}") from None
    if is_operation(spec):  # a keras.ops call: no layer object; its operation is named
        from .operations import OperationCall

        return OperationCall(spec.kind, params, dtype, name)
    kwargs = keras_kwargs(spec, spec.non_default(params))
    return getattr(keras.layers, spec.kind)(**kwargs, name=name, **extra)


def keras_kwargs(spec: LayerSpec, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Constructor keywords for Keras: a wrapper's inner layer (a `layer` param, the
    nested dict of the document) becomes the Keras layer object it describes, and a
    configured initializer, regularizer or constraint the object of its class."""
    out = spec.constructor_kwargs(kwargs)  # call keywords go to the call (call_layer)
    for p in spec.params:
        if p.name in out and is_object(out[p.name]):
            out[p.name] = make_object(p.type, out[p.name])
        elif p.type == "layer" and p.name in out:
            inner = p.coerce(out[p.name])
            out[p.name] = make_layer(inner["kind"], inner_name(inner), inner["params"])
        elif p.type == "layers" and p.name in out:  # Pipeline: a list of layers
            inner = p.coerce(out[p.name])
            out[p.name] = [make_layer(layer["kind"], name, layer["params"])
                           for layer, name in zip(inner, inner_names(inner), strict=True)]
        elif p.type == "cell" and p.name in out:  # an RNN's cell, or a stack of cells
            inner = p.coerce(out[p.name])
            out[p.name] = make_cell(inner, inner_name(inner))
        elif p.type == "cells" and p.name in out:  # the cells of a stack
            inner = p.coerce(out[p.name])
            out[p.name] = [make_cell(cell, name)
                           for cell, name in zip(inner, inner_names(inner), strict=True)]
    return out


def make_cell(cell: Mapping[str, Any], name: str):
    """The Keras cell (`keras.layers.LSTMCell`...) of a cell value in normal form."""
    spec = cell_spec(cell["kind"])
    kwargs = keras_kwargs(spec, spec.non_default(cell["params"]))
    return getattr(import_keras().layers, spec.kind)(**kwargs, name=name)


def make_object(ptype: str, value: Mapping[str, Any]):
    """`keras.regularizers.L2(l2=0.0001)` for `{"class_name": "L2", "config": {...}}`:
    the class is one of the table's (`graph.keras_objects`), checked by the ParamSpec."""
    module = getattr(import_keras(), KERAS_MODULES[ptype])
    return getattr(module, value["class_name"])(**value.get("config", {}))


def make_input(node: Node):
    """`keras.Input` for an Input node; dtype and batch_size only when not the default."""
    keras = import_keras()
    spec = node.spec
    kwargs = spec.non_default(node.params)
    shape = spec.resolve(node.params)["shape"]
    kwargs.pop("shape", None)
    return keras.Input(shape=shape, name=node.name, **kwargs)


def call_layer(spec: LayerSpec, layer, tensors: list,
               params: Mapping[str, Any] | None = None) -> list:
    """Call a layer the way generated code does, and return its outputs as a list.

    Merges take one list; other kinds (MultiHeadAttention: query, value[, key])
    take their inputs positionally, and the tensors of keyword ports as one list
    (a recurrent layer's initial_state=[h, c]); a `KerasLayer` follows its call template.
    """
    if spec.kind == GENERIC:
        out = _call_generic(layer, tensors, (params or {}).get("call"))
    elif spec.kind == custom.KIND:
        out = layer(tensors[0] if len(tensors) == 1 else list(tensors))
    elif is_operation(spec):
        out = layer(*tensors)
    elif spec.is_merge:
        out = layer(list(tensors))
    else:
        positional, listed = spec.split_inputs(list(tensors), params or {})
        out = layer(*positional, **spec.call_kwargs(params or {}), **listed)
    return list(out) if isinstance(out, list | tuple) else [out]


def _call_generic(layer, tensors: list, call: Mapping[str, Any] | None):
    if call is None:
        return layer(tensors[0] if len(tensors) == 1 else list(tensors))

    def fill(value):
        if isinstance(value, dict) and set(value) == {PLACEHOLDER}:
            return tensors[value[PLACEHOLDER]]
        marked, decoded = decode_marker(value, fill)
        if isinstance(decoded, Constant):
            return import_keras().ops.convert_to_tensor(decoded.value, dtype=decoded.dtype)
        if marked:
            return decoded
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    kwargs = {k: fill(v) for k, v in call.get("kwargs", {}).items()}
    return layer(*[fill(v) for v in call.get("args", [])], **kwargs)


def _shape(tensor) -> tuple:
    return tuple(tensor.shape)


def expand_block(node: Node, tensors: list, layers: dict[str, Any],
                 dtypes: Mapping[str, str] | None = None) -> list:
    """Inline a block node: build its sublayers and return the block output as a list.

    `dtypes` maps Keras layer names to a dtype to build them with (see `apply_graph`).
    """
    spec = node.spec
    resolved = spec.resolve(node.params)
    expansion = spec.expand(resolved, [_shape(t) for t in tensors])
    values: dict[str, list] = {"input": list(tensors)}
    for sub in expansion.layers:
        name = f"{node.name}_{sub.name}"
        layer = layers.get(name) or make_layer(sub.kind, name, sub.params,
                                               (dtypes or {}).get(name))
        layers[name] = layer
        args = [t for ref in sub.inputs for t in values[ref]]
        values[sub.name] = call_layer(get_spec(sub.kind), layer, args)
    return values[expansion.output]


def apply_graph(doc: Document, tensors_by_input: Mapping[str, Any],
                layers: dict[str, Any] | None = None,
                dtypes: Mapping[str, str] | None = None) -> dict[str, list]:
    """Run the document's layers on given input tensors.

    Args:
        doc: a valid document.
        tensors_by_input: a tensor for each Input node, keyed by node name.
        layers: Keras layers by name to reuse (shared weights); new layers are
            added to it, so a second call with the same dict reuses them all.
        dtypes: Keras layer name -> dtype for layers that must not follow the global
            dtype policy (under mixed precision, the output layers compute in float32).

    Returns:
        The outputs of every node (a list, indexed by output port), keyed by node id.
    """
    layers = {} if layers is None else layers
    values: dict[str, list] = {}
    for node in doc.topological_order():
        spec = node.spec
        if spec.kind == INPUT:
            values[node.id] = [tensors_by_input[node.name]]
            continue
        args = [values[e.src][e.src_port] for e in doc.in_edges(node.id)]
        key = node.id
        if spec.kind == SHARED_CALL:  # the owner's layer object called again: shared weights
            node = doc.nodes[node.params[SHARED_OWNER]]
            spec = node.spec
        if spec.is_block:
            values[key] = expand_block(node, args, layers, dtypes)
            continue
        if spec.kind == USER_BLOCK:  # a nested model (flatten keeps them): one object
            values[key] = _call_nested(doc, node, args, layers)
            continue
        if spec.kind == APPLICATION:  # a nested keras.applications model
            if node.name not in layers:
                layers[node.name] = make_application(node.name, spec.resolve(node.params),
                                                     _shape(args[0]))
            values[key] = [layers[node.name](args[0])]
            continue
        resolved = spec.resolve(node.params)
        if node.name not in layers:
            layers[node.name] = _make_node_layer(doc, node, resolved, dtypes)
        values[key] = call_layer(spec, layers[node.name], args, resolved)
        _refuse_passthrough(node, args, values[key])
    return values


def _make_node_layer(doc: Document, node: Node, resolved: dict, dtypes):
    dtype = (dtypes or {}).get(node.name)
    if node.kind != custom.KIND:
        return make_layer(node.kind, node.name, resolved, dtype)
    from .custom_code import CustomCodeError, make_custom_layer

    try:  # runs the node's code: only when the document's context trusts it
        return make_custom_layer(resolved, node.name, custom.current(doc).trusted, dtype)
    except CustomCodeError as exc:
        raise BuildError(f"{node.name!r} (CustomLayer): {exc}") from None


def _call_nested(doc: Document, node: Node, args: list, layers: dict[str, Any]) -> list:
    if node.name not in layers:
        layers[node.name] = make_nested_model(doc.blocks, node.params, node.name,
                                              [_shape(a) for a in args], apply_graph)
    out = layers[node.name](args[0] if len(args) == 1 else list(args))
    return list(out) if isinstance(out, list | tuple) else [out]  # a port per model output


def _refuse_passthrough(node: Node, args: list, outs: list) -> None:
    # A few Keras layers (Equalization in Keras 3.15) hand back their input tensor itself from
    # a symbolic call: Keras then sees a cycle and no functional model can hold them.
    if any(out is arg for out in outs for arg in args):
        raise BuildError(f"{node.name!r} ({node.kind}): Keras returns the input tensor itself "
                         "from this layer's symbolic call, so it cannot be part of a "
                         "functional model")


def input_nodes(doc: Document) -> list[Node]:
    """The Input nodes in document order (the model's input order)."""
    return [n for n in doc.nodes.values() if n.kind == INPUT]


def check_buildable(doc: Document, analysis=None) -> None:
    """Raise BuildError listing every blocking validation error of `doc`, if it has any
    (not those on nodes left out of the model: `graph.model_scope`).

    `analysis` is the document's analysis when the caller holds it; without it the
    document is analysed here.
    """
    from kerascanvas.graph import validate

    errors = (analysis if analysis is not None else validate.analyze(doc)).blocking
    if errors:
        raise BuildError(describe_issues(doc, errors, "The graph cannot be built"), errors)


def model_part(doc: Document) -> Document:
    """`doc`, or a copy without the nodes left out of the model (`graph.model_scope`):
    Keras leaves them out, and one may hold an error, which blocks nothing."""
    left_out = set(left_out_ids(doc))
    if not left_out:
        return doc
    data = copy.deepcopy(to_dict(doc))  # filtered before it is read: a left-out node may
    data["nodes"] = [n for n in data["nodes"] if n["id"] not in left_out]  # hold any name
    data["edges"] = [e for e in data["edges"] if not {e["src"], e["dst"]} & left_out]
    part = from_dict(data)
    custom.set_context(part, custom.context(doc))
    return part


def describe_issues(doc: Document, issues, headline: str) -> str:
    """A readable list of issues, one per line, each naming its node and port."""
    lines = [f"{headline}: {len(issues)} problem(s)"]
    for issue in issues:
        node = doc.nodes.get(issue.node) if issue.node else None
        where = f"{node.name} ({node.kind})" if node else "graph"
        if node is not None and issue.port is not None:
            where += f", input {node.spec.port_name(issue.port, node.params)}"
        # Node messages often begin by naming their node ("'base' (Application): ..."),
        # which `where` has said already.
        message = issue.message.removeprefix(f"{node.name!r} ({node.kind}): ") if node \
            else issue.message
        lines.append(f"  - {issue.severity}: {where}: {message}")
    return "\n".join(lines)


def build_model(doc: Document, name: str | None = None,
                dtypes: Mapping[str, str] | None = None, analysis=None, keyed: bool = False):
    """Build the uncompiled `keras.Model` of a valid document.

    Inputs follow the document's node order, outputs `doc.outputs` (each the output
    port of its node that the entry names). Under a mixed-precision policy pass
    `dtypes=precision.output_dtype_overrides(doc)`, so the output layers are built
    with `dtype="float32"`, as written code for that policy would build them.
    `analysis` is the document's analysis when the caller holds it (a run's, a
    Project's), so the graph is not analysed again here. The model is named `name`,
    else the project's model name. With `keyed`, a model whose project keys its inputs
    or outputs takes or returns dicts, as its generated code does (an export); without,
    lists in the document's order (what the trainer feeds).

    Raises:
        BuildError: the document has validation errors (all of them are listed).
    """
    keras = import_keras()
    check_buildable(doc, analysis)
    port_names = port_output_names(doc)
    structure = _structure(doc) if keyed else (None, None)
    name = name or doc.model_name
    trusted = custom.context(doc)  # custom code inside blocks runs under the model's trust
    doc = model_part(doc)
    if any(n.kind == USER_BLOCK for n in doc.nodes.values()):
        # instances inlined, named as the generated helpers name them; nested models kept
        doc = flatten(doc, keep_models=True)
    inputs = {n.name: make_input(n) for n in input_nodes(doc)}
    with custom.active(trusted):
        values = apply_graph(doc, inputs, dtypes=dtypes)
    outputs = [values[nid][port] for nid, port in doc.output_refs()]
    kwargs = {"name": name} if name else {}
    model = keras.Model(inputs=_keyed(inputs, structure[0]),
                        outputs=_keyed(dict(enumerate(outputs)), structure[1]), **kwargs)
    if port_names:
        model.output_names = port_names
    return model



def _structure(doc: Document) -> tuple[dict | None, dict | None]:
    """({Input name: key}, {output position: key}), each in the written order or None;
    a key used twice is a BuildError, as it is a CodegenError for the code."""
    try:
        keyed_in = structure.input_keys(doc, {nid: n.name for nid, n in doc.nodes.items()})
        keyed_out = structure.output_keys(doc, {e: i for i, e in enumerate(doc.outputs)})
    except CodegenError as exc:
        raise BuildError(str(exc)) from None
    return ({name: key for key, name in keyed_in.items()} if keyed_in else None,
            {position: key for key, position in keyed_out.items()} if keyed_out else None)


def _keyed(tensors: dict, keys: dict | None):
    """The tensors as a dict by `keys` (same members, the dict's order), else as a list."""
    if keys is None:
        return _single(list(tensors.values()))
    return {key: tensors[member] for member, key in keys.items()}


def _single(tensors: list):
    # A lone tensor rather than a one-element list, as hand-written Keras code has it.
    return tensors[0] if len(tensors) == 1 else tensors
