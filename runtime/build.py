"""The document as a live `keras.Model`, built in-process.

Each node becomes one Keras layer named after the node, created from the
params that differ from Keras' defaults (`LayerSpec.non_default`), which is
exactly what generated code passes too, so both builds have the same config
("what you export is what you train"). Block nodes are inlined: their
sublayers are named `f"{node.name}_{suffix}"`. An instance of a nested-model block is
a nested keras.Model (`runtime.nested`). Each node's Keras objects are made in
`runtime.layer_objects`; the checks before a build are in `runtime.build_checks`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from kerascanvas.codegen import structure
from kerascanvas.codegen.errors import CodegenError
from kerascanvas.codegen.precision import nested_output_dtypes
from kerascanvas.graph.document import Document, Node
from kerascanvas.graph.errors import KerasCanvasError  # noqa: F401 - importable here as before
from kerascanvas.graph.keras_objects import KERAS_MODULES  # noqa: F401 - as before
from kerascanvas.graph.layers import custom
from kerascanvas.graph.layers.generic import (  # noqa: F401 - importable here as before
    PLACEHOLDER,
    Constant,
    decode_marker,
    serialized,
)
from kerascanvas.graph.layers.operations import is_operation  # noqa: F401 - as before
from kerascanvas.graph.layers.recurrent_cells import cell_spec  # noqa: F401 - as before
from kerascanvas.graph.layers.shared import KIND as SHARED_CALL
from kerascanvas.graph.layers.shared import OWNER_PARAM as SHARED_OWNER
from kerascanvas.graph.layers.shared import call_params as shared_call_params
from kerascanvas.graph.layers.wrappers import inner_name, inner_names  # noqa: F401 - as before
from kerascanvas.graph.model_scope import left_out_ids  # noqa: F401 - as before
from kerascanvas.graph.object_params import is_object  # noqa: F401 - as before
from kerascanvas.graph.projectfile import from_dict, to_dict  # noqa: F401 - as before
from kerascanvas.graph.spec import (  # noqa: F401 - GENERIC, LayerSpec as before
    APPLICATION,
    GENERIC,
    INPUT,
    LayerSpec,
    get_spec,
)
from kerascanvas.graph.training import port_output_names
from kerascanvas.graph.userblocks import KIND as USER_BLOCK
from kerascanvas.graph.userblocks import flatten

from .build_checks import (  # noqa: F401 - public here too
    BuildError,
    check_buildable,
    describe_issues,
    model_part,
)
from .finetune import make_application
from .keras_env import import_keras
from .layer_objects import (  # noqa: F401 - public here too
    call_layer,
    keras_kwargs,
    make_cell,
    make_input,
    make_layer,
    make_object,
)
from .nested import make_nested_model


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
        key, this_call = node.id, None
        if spec.kind == SHARED_CALL:  # the owner's layer object called again: shared weights
            call_site, node = node, doc.nodes[node.params[SHARED_OWNER]]
            spec = node.spec
            if spec.call_params:  # this call's own keywords: emb(x, reverse=True)
                this_call = shared_call_params(doc.nodes, call_site)
        if spec.is_block:
            values[key] = expand_block(node, args, layers, dtypes)
            continue
        if spec.kind == USER_BLOCK:  # a nested model (flatten keeps them): one object
            values[key] = _call_nested(doc, node, args, layers, (dtypes or {}).get(node.name))
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
        values[key] = call_layer(spec, layers[node.name], args, this_call or resolved)
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


def _call_nested(doc: Document, node: Node, args: list, layers: dict[str, Any],
                 dtype=None) -> list:
    """Call the nested model of instance `node`, made on its first call; `dtype`: its
    outputs' under mixed precision ("float32", or per output), given to the inner layers
    that compute them, as the generated `make_<block>(output_dtype=...)` does."""
    if node.name not in layers:
        shapes = [_shape(a) for a in args]
        inner = nested_output_dtypes(doc.blocks, node.params, node.name, shapes,
                                     dtype) if dtype else None
        layers[node.name] = make_nested_model(doc.blocks, node.params, node.name, shapes,
                                              functools.partial(apply_graph, dtypes=inner))
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
