"""Document-level checks: structure, names, and those of other modules (outputs and loss
fit in `output_checks`, unused nodes in `model_scope`, keys, sizes, training settings).

These look at the whole document and at the per-node results of inference. They
are cheap (linear in the size of the graph), so a live analysis runs them again
after every edit instead of tracking what each depends on.
"""

from __future__ import annotations

from collections.abc import Mapping

from .activation_checks import double_activation_issues
from .document import Document, Node, name_problem
from .dropout_check import full_dropout_issues
from .index import GraphIndex
from .inference import ERROR, WARNING, Issue, NodeResult, spec_of
from .inner_names import holds_inner_names, inner_name_issues
from .keras_quirks import keras_quirk_issues
from .layers import custom
from .model_keys import key_issues
from .model_scope import left_out_ids, usage_issues
from .momentum_check import momentum_issues
from .names import torch_name_problem
from .nested import is_model_block
from .output_checks import dense_on_image_issues, output_issues
from .param_fixes import TORCH_NAME_FIX
from .script_names import TAKEN_CODE
from .sizes import weight_size_issues
from .spec import APPLICATION, INPUT, LAYER_SPECS, USER_BLOCK
from .splice_fix import with_splice_fixes
from .training_keys import CODE as KEYWORD_CODE
from .training_schema import check_training


def document_issues(doc: Document, results: Mapping[str, NodeResult],
                    node_issues: Mapping[str, list[Issue]],
                    index: GraphIndex | None = None) -> list[Issue]:
    """Every document-level issue, after inference has filled `results`."""
    index = index or GraphIndex.of(doc)
    issues = structure_issues(doc, index)
    left_out = left_out_ids(doc, index)  # the nodes whose errors block nothing (model_scope)
    issues += name_issues(doc, results, set(left_out))
    issues += with_splice_fixes(doc, results, usage_issues(doc, index, left_out))
    issues += output_issues(doc, results)
    issues += key_issues(doc)
    issues += dense_on_image_issues(doc, results, node_issues)
    issues += double_activation_issues(doc, results) + momentum_issues(doc, results)
    issues += full_dropout_issues(doc, results)
    issues += weight_size_issues(doc, results)
    issues += keras_quirk_issues(doc, results)
    issues += [Issue(nid, None, ERROR, message, "custom_conflict")
               for nid, message in custom.class_conflicts(doc)]
    issues += [Issue(nid, None, WARNING, message, TAKEN_CODE)
               for nid, message in custom.script_name_clashes(doc)]
    if not any(i.code == "bad_training" for i in issues):  # else said once already
        issues += training_issues(doc, results)
    return issues


def training_issues(doc: Document, results: Mapping[str, NodeResult] | None = None
                    ) -> list[Issue]:
    """The training settings' problems (`check_training`), each naming its field.

    They concern no node, so `node` is None; their data holds the field ("field"), and
    the message starts with it, e.g. "training.optimizer.name: expected an optimizer
    among adam, ...". They are warnings here, since an "error" means the model cannot
    be built and these never stop that (nor code generation); training itself refuses
    a setting error, and the message says so. A setting name that generated code
    cannot write as a keyword argument (`training_keys`) is an error: no script could
    be generated from it.
    """
    return [_training_issue(i) for i in check_training(doc, results)]


def _training_issue(issue) -> Issue:
    data = {"field": issue.field, **issue.data}
    if issue.code == KEYWORD_CODE:
        return Issue(None, None, ERROR, issue.message, issue.code, issue.fixes, data)
    cannot = " (training cannot start with it)" if issue.severity == ERROR else ""
    return Issue(None, None, WARNING, issue.message + cannot, issue.code, issue.fixes, data)


# ---- structure ------------------------------------------------------------
def structure_issues(doc: Document, index: GraphIndex) -> list[Issue]:
    """Dangling edges, cycles, and a model with no input or no output."""
    issues = []
    nodes = doc.nodes
    for e in doc.edges:
        if e.src not in nodes or e.dst not in nodes:
            missing = [end for end in (e.src, e.dst) if end not in nodes]
            node = e.dst if e.dst in doc.nodes else None
            issues.append(Issue(node, e.dst_port if node else None, ERROR,
                                f"A connection refers to node {missing[0]!r}, which does not "
                                f"exist. Received: {e}", "dangling_edge"))
    for nid in sorted(cycle_nodes(doc, index), key=list(doc.nodes).index):
        issues.append(Issue(nid, None, ERROR, f"{doc.nodes[nid].name!r} is on a cycle. "
                            "Expected a graph without cycles (a DAG)", "cycle"))
    if not any(spec_of(n) is not None and spec_of(n).kind == INPUT for n in doc.nodes.values()):
        issues.append(Issue(None, None, ERROR, "The model has no Input node. Expected at least "
                            "one", "no_input"))
    for entry in doc.outputs:
        nid = doc.output_ref(entry)[0]
        if nid not in doc.nodes:
            issues.append(Issue(None, None, ERROR, f"The model outputs list {entry!r}, which is "
                                "no node of the graph", "bad_output"))
    if not doc.outputs:
        issues.append(Issue(None, None, ERROR, "The model has no outputs. Expected at least "
                            "one node marked as a model output", "no_outputs",
                            ("mark_open_ends",) if open_ends(doc) else ()))
    return issues


def open_ends(doc: Document) -> list[str]:
    """The nodes where the graph ends: wired from something, feeding nothing, not an Input.
    A node dropped but not wired yet is no end of the model.

    >>> from kerascanvas.graph.document import Document, Edge
    >>> doc = Document()
    >>> a, b = doc.add_node("Input", params={"shape": [4]}), doc.add_node("Dense", "out")
    >>> stray = doc.add_node("Dense", "stray")
    >>> doc.connect(Edge(a.id, 0, b.id, 0))
    >>> [doc.nodes[n].name for n in open_ends(doc)]
    ['out']
    """
    fed = {e.dst for e in doc.edges}
    feeding = {e.src for e in doc.edges}
    return [nid for nid, node in doc.nodes.items()
            if nid in fed and nid not in feeding and node.kind != INPUT]


def cycle_nodes(doc: Document, index: GraphIndex) -> set[str]:
    """Nodes on a cycle (or between cycles); empty for a DAG."""
    return index.cycle_nodes(doc.nodes)


# ---- names ----------------------------------------------------------------
def name_issues(doc: Document, results: Mapping[str, NodeResult],
                left_out: set[str] | frozenset[str] = frozenset()) -> list[Issue]:
    """Invalid and duplicate layer names, including names made by expanded blocks, and
    names torch refuses: the node's own, and those of the layers it holds (`inner_names`).

    A name is taken first by the model's nodes, so that its clash with a node `left_out`
    of the model is that node's error (which blocks nothing), not the model's.
    """
    issues, owners = [], {}
    for node in sorted(doc.nodes.values(), key=lambda n: n.id in left_out):
        problem = name_problem(node.name)
        if problem:
            issues.append(Issue(node.id, None, ERROR, f"Node {node.id}: {problem}",
                                "invalid_name"))
            continue
        nested = node.kind == APPLICATION or (
            node.kind == USER_BLOCK and is_model_block(doc.blocks, node.params.get("block")))
        # a nested model named so is built under Keras' default name, then named (codegen);
        # an application is a model too (Keras' own names hold one: mobilenetv2_1.00_224)
        problem = None if nested or not _has_weights(results.get(node.id)) \
            else torch_name_problem(node.name)
        if problem:
            issues.append(Issue(node.id, None, ERROR, f"{node.name!r} ({node.kind}): {problem}",
                                "torch_name", (TORCH_NAME_FIX,), {"field": "name"}))
        spec = LAYER_SPECS.get(node.kind)
        if spec is not None and holds_inner_names(spec):
            issues += inner_name_issues(doc, node, results.get(node.id))
        plain = spec is not None and spec.expand is None  # the common case, kept fast
        for layer_name in (node.name,) if plain else keras_layer_names(node,
                                                                      results.get(node.id)):
            first = owners.setdefault(layer_name, node)
            if first is not node:
                issues.append(Issue(node.id, None, ERROR, _clash(layer_name, node, first),
                                    "duplicate_name"))
    return issues


def _has_weights(result: NodeResult | None) -> bool:
    """Whether torch registers weights under the node's name: a layer known to have some,
    or whose count is unknown. A weightless layer (ReLU, Dropout, an Input) builds named
    'a.b'; a node with another error is told of that one first."""
    return result is not None and result.ok and (result.count is None or any(result.count))


def _clash(layer_name: str, node: Node, first: Node) -> str:
    if layer_name == node.name == first.name:
        return f"The name {layer_name!r} is used by two nodes. Expected unique names"
    return (f"The Keras layer name {layer_name!r} of {node.name!r} is also used by "
            f"{first.name!r}. Expected unique names (a block names its layers <block>_<part>)")


def keras_layer_names(node: Node, result: NodeResult | None) -> list[str]:
    """The names the node's layers get in Keras: its own, or its block's sublayers."""
    spec = spec_of(node)
    if spec is None or not spec.is_block:
        return [node.name]
    if result is None or result.params is None or result.output_shapes is None:
        return []
    try:
        expansion = spec.expand(result.params, list(result.input_shapes))
        return [f"{node.name}_{layer.name}" for layer in expansion.layers]
    except Exception:  # noqa: BLE001 - inference reports the block's own problems
        return []
