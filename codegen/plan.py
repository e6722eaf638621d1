"""What the code will contain: the checked document as an ordered list of steps.

Every style (functional, sequential, subclass, script) writes from the same plan,
so they agree on variable names, argument order and which layers exist.
"""

from __future__ import annotations

import dataclasses
import textwrap
from dataclasses import dataclass, field
from typing import Any

from kerascanvas.graph.document import Document, Node
from kerascanvas.graph.index import GraphIndex
from kerascanvas.graph.layers.operations import is_operation
from kerascanvas.graph.model_scope import model_node_ids
from kerascanvas.graph.spec import APPLICATION, GENERIC, INPUT, LayerSpec, get_spec
from kerascanvas.graph.summary import left_out_text
from kerascanvas.graph.training import port_output_names
from kerascanvas.graph.userblocks import KIND as USER_BLOCK
from kerascanvas.graph.userblocks import bind

from . import structure
from . import userblocks as block_code
from .chains import chained
from .custom import user_names
from .errors import CodegenError
from .generic_helpers import block_configs, config_of, find_helpers
from .inline import inlined
from .literals import LINE_LIMIT
from .naming import RESERVED, Namer, argument
from .operations import OUTPUT_DTYPE
from .precision import FLOAT32, output_casts, policy_name
from .shared import shared_layers


@dataclass(frozen=True)
class Step:
    """One node: its Keras arguments, where its inputs come from and what it produces.

    Attributes:
        node: the document node.
        spec: its LayerSpec.
        params: resolved params (every name, normal form).
        kwargs: the non-default params, in spec order: exactly what the code passes
            (plus `dtype='float32'` for an output layer under mixed precision).
        inputs: variable names feeding input ports 0, 1, ...
        outputs: variable names of output ports 0, 1, ...
        input_shapes: the inferred input shapes.
    """

    node: Node
    spec: LayerSpec
    params: dict[str, Any]
    kwargs: dict[str, Any]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    input_shapes: tuple

    @property
    def name(self) -> str:
        return self.node.name


@dataclass
class Plan:
    """The steps in topological order, plus the model's inputs and outputs in document order."""

    steps: list[Step]
    inputs: list[Step]
    outputs: list[str]
    namer: Namer = field(default_factory=Namer)
    blocks: dict[str, Any] = field(default_factory=dict)
    shared: dict[str, Any] = field(default_factory=dict)  # owner id -> shared.SharedLayer
    policy: str = FLOAT32  # the Keras dtype policy the model is built under
    # with outputs on a further port: the outputs' names, written as `model.output_names`
    # (Keras names an output after its layer, so an LSTM's states would log alike)
    port_names: list[str] | None = None
    # with dict inputs or outputs: {key: variable}, in the order the dict is written
    input_keys: dict[str, str] | None = None
    output_keys: dict[str, str] | None = None
    # the nodes left out of the model and that their errors block nothing, as a sentence
    # (`graph.summary.left_out_text`; "" when none is left out): the code's header says it
    left_out: str = ""
    # user block name -> its helper function's name, unique in the module
    helpers: dict[str, str] = field(default_factory=dict)
    # the names the module binds at its top level, which no variable or helper may take
    reserved: frozenset[str] = RESERVED
    # the functions making families of KerasLayer nodes alike (`generic_helpers`)
    generic_helpers: list[Any] = field(default_factory=list)

    @property
    def mixed(self) -> bool:
        """Whether the model is built under a mixed-precision policy."""
        return self.policy != FLOAT32

    @property
    def user_blocks(self) -> list[str]:
        """User block names used by instance nodes, in order of first use."""
        return list(dict.fromkeys(s.params["block"] for s in self.steps
                                  if s.spec.kind == USER_BLOCK))

    @property
    def block_kinds(self) -> list[str]:
        """Block kinds used, in order of first use."""
        return list(dict.fromkeys(s.spec.kind for s in self.steps
                                  if s.spec.is_block and s.spec.kind != USER_BLOCK))


def make_plan(doc: Document, analysis=None, reserved: frozenset[str] = frozenset(),
              helpers: dict[str, str] | None = None, inline_blocks: bool = False) -> Plan:
    """Check `doc` and order it into steps; raise CodegenError listing every blocking error.

    Only the model's nodes are kept (`graph.model_scope`: every Input, so the model's
    inputs are the document's Inputs in order, and the nodes that lead to an output);
    Keras leaves the others out too, so their errors block nothing.
    `reserved` names are kept out of the variables (a helper's own arguments); `helpers`
    (block name -> helper function) are the enclosing module's, for a nested model's plan.
    `inline_blocks`: the steps are those of the model with every block written out as
    its layers (`codegen.inline`), as the subclass style writes it; the model's inputs,
    outputs, their keys and names stay `doc`'s.
    """
    analysis = analysis if analysis is not None else analyze_document(doc)
    errors = analysis.blocking  # not those on nodes left out of the model (model_scope)
    if errors:
        raise CodegenError(_error_text(doc, errors))
    if not doc.outputs:
        raise CodegenError("The model has no outputs: mark at least one node as an output")
    policy = policy_name(doc.training)
    # by layer name (a block's are kept), and by output port (a user block's helper)
    float32, instance_dtypes = output_casts(doc, analysis.results)
    written, results = inlined(doc, analysis, analyze_document) if inline_blocks \
        else (doc, analysis.results)
    index = GraphIndex.of(written)
    model = _model_nodes(written, index)
    reserved = RESERVED | user_names(doc) | reserved  # the module's own top-level names
    families = []
    if helpers is None:  # the module's own plan; a nested model's uses the module's helpers
        helpers = _helper_names(written, model, reserved)
        configs = _generic_configs(model, results, float32)
        families = find_helpers(configs + block_configs(doc.blocks, list(helpers)),
                                reserved | frozenset(helpers.values()))
        reserved |= frozenset(h.function for h in families)
    namer = Namer(reserved | frozenset(helpers.values()))
    ports: dict[tuple[str, int], str] = {}
    chain = chained(written, model, index, results)
    steps = [_with_dtype(_make_step(node, index.ins.get(node.id, []), results[node.id],
                                    namer, ports, bind(written, node), node.id in chain),
                         float32, instance_dtypes) for node in model]
    inputs = [s for s in steps if s.spec.kind == INPUT]  # `written` keeps their ids
    outputs = [ports[ref] for ref in written.output_refs()]  # in `doc.outputs`' order
    shared = shared_layers(written, steps, results, namer, helpers, float32)
    keys_in = structure.input_keys(doc, {s.node.id: s.outputs[0] for s in inputs})
    keys_out = structure.output_keys(doc, dict(zip(doc.outputs, outputs, strict=True)))
    return Plan(steps, inputs, outputs, namer, doc.blocks, shared, policy,
                port_output_names(doc), keys_in, keys_out, left_out_text(doc, analysis),
                helpers, reserved, families)


def _generic_configs(model: list[Node], results, float32) -> list[dict]:
    """The config each KerasLayer node of the model is rebuilt from (see `_with_dtype`)."""
    return [config_of(results[n.id].params, n.name, FLOAT32 if n.name in float32 else None)
            for n in model if n.kind == GENERIC]


def with_left_out(module, plan: Plan):
    """`module` whose header also names the nodes the model leaves out, as comment lines
    within the line limit, when it leaves some out."""
    if not plan.left_out:
        return module
    lines = textwrap.wrap(plan.left_out, LINE_LIMIT - 2, break_long_words=False)
    note = "\n".join(f"# {line}" for line in lines)
    return dataclasses.replace(module, header=f"{module.header}\n{note}")


# Kinds whose node name is no layer built with a dtype: Inputs, nested Application
# models and user block instances (their layers carry the instance name as a prefix).
_NO_DTYPE = frozenset({INPUT, APPLICATION, USER_BLOCK})


def _with_dtype(step: Step, float32: dict[str, Any], instance_dtypes: dict) -> Step:
    """The step, passing dtype='float32' when it builds an output layer under mixed precision.

    A block step passes it to its helper, which gives it to the block's last layer; a user
    block instance passes `output_dtype` (a tuple per port where it has several) to its
    helper, which gives it to the layers that leave the block.
    """
    if step.spec.kind == USER_BLOCK:
        ports = [instance_dtypes.get((step.node.id, p)) for p in range(len(step.outputs))]
        ports = [FLOAT32 if dtype else None for dtype in ports]
        if not any(ports):
            return step
        return dataclasses.replace(step, kwargs={**step.kwargs, block_code.OUTPUT_DTYPE: (
            ports[0] if len(ports) == 1 else tuple(ports))})
    if step.spec.kind in _NO_DTYPE:
        return step
    own = f"{step.name}_{_block_output(step)}" if step.spec.is_block else step.name
    if own not in float32:
        return step
    if is_operation(step.spec):  # ops.cast has a `dtype`; top_k casts its values alone
        return dataclasses.replace(step, kwargs={**step.kwargs, OUTPUT_DTYPE: float32[own]})
    return dataclasses.replace(step, kwargs={**step.kwargs, "dtype": FLOAT32})


def _block_output(step: Step) -> str:
    return step.spec.expand(step.params, list(step.input_shapes)).output


def _helper_names(doc: Document, model: list[Node], reserved: frozenset[str]) -> dict[str, str]:
    """Block name -> function name of the user block helpers the `model`'s nodes call,
    clear of the `reserved` names."""
    from .userblocks import helper_names

    used = [n.params.get("block") for n in model if n.kind == USER_BLOCK]
    params = {argument(k) for b in doc.blocks.values() if isinstance(b, dict)
              for k in b.get("params") or {}}  # a helper calling another takes these
    return helper_names(doc.blocks, used, reserved | params) if used else {}


def _model_nodes(doc: Document, index: GraphIndex) -> list[Node]:
    """Inputs first, in document order, as one writes a model by hand; then the layers
    that lead to an output, in topological order."""
    wanted = model_node_ids(doc, index)
    order = doc.topological_order()
    return ([n for n in order if n.kind == INPUT]
            + [n for n in order if n.kind != INPUT and n.id in wanted])


def _make_step(node, edges_in, result, namer, ports, spec: LayerSpec | None = None,
               chained: bool = False) -> Step:
    """The node's step; a `chained` node's tensor is the module's chain variable (`chains`)."""
    spec = spec or get_spec(node.kind)
    sources = [ports[(edge.src, edge.src_port)] for edge in edges_in]
    count = len(result.output_shapes) if result.output_shapes else 1
    outputs = [namer.chain() if chained else namer.take(node.name)]
    outputs += [namer.take(f"{node.name}_out{i}") for i in range(1, count)]
    for port, var in enumerate(outputs):
        ports[(node.id, port)] = var
    return Step(node, spec, dict(result.params), spec.non_default(node.params),
                tuple(sources), tuple(outputs), tuple(result.input_shapes))


def _error_text(doc: Document, errors) -> str:
    lines = [f"The model has {len(errors)} error(s); fix them before generating code:"]
    for issue in errors:
        where = doc.nodes[issue.node].name if issue.node in doc.nodes else None
        lines.append(f"  - {where}: {issue.message}" if where else f"  - {issue.message}")
    return "\n".join(lines)


def analyze_document(doc: Document):
    """`graph.validate.analyze(doc)`: shapes, resolved params and issues of every node."""
    from kerascanvas.graph.validate import analyze

    return analyze(doc)
