"""Which nodes make the model, and which errors stop code, training and export.

Keras builds a functional model from its inputs to its outputs: a layer that leads
to no output is not part of it. The code writers and the runtime build the same
model, so an error on such a spare node (a half-wired experiment kept beside a
working model) cannot spoil it. The rule, used by every gate:

- The model is made of every Input node (each stays a model input, fed or not),
  the nodes from which a model output can be reached, and the owner of each layer
  a SharedCall among those calls again, with what leads to that owner (its layer is
  made from the owner's params, which are inferred from its inputs).
- An error blocks unless it is pinned to a node outside the model. Errors pinned to
  no node (no outputs, the training settings, an output naming no node) block, and
  so do those `ALWAYS_BLOCK` names: a cycle (the document is no DAG), a connection to
  a node that does not exist (the file is damaged, so what the missing node fed is
  unknown), and a custom class defined twice (Keras' class registry is one for all).
- With no model output at all nothing is left out: the "no_outputs" error says why
  nothing can be built.

>>> from kerascanvas.graph.document import Document, Edge
>>> doc = Document()
>>> x = doc.add_node("Input", "x", params={"shape": [4]})
>>> out, spare = doc.add_node("Dense", "out"), doc.add_node("Dense", "spare")
>>> doc.connect(Edge(x.id, 0, out.id, 0)); doc.connect(Edge(x.id, 0, spare.id, 0))
>>> doc.set_outputs([out.id])
>>> [doc.nodes[n].name for n in left_out_ids(doc)]
['spare']
"""

from __future__ import annotations

from collections.abc import Iterable

from .document import Document
from .index import GraphIndex
from .inference import ERROR, WARNING, Issue
from .layers.shared import OWNER_PARAM
from .spec import INPUT, SHARED_CALL

# Errors that block wherever they are pinned (see the module docstring).
ALWAYS_BLOCK = frozenset({"cycle", "dangling_edge", "custom_conflict"})


def model_node_ids(doc: Document, index: GraphIndex | None = None) -> set[str]:
    """Ids of the nodes the model is made of: the Inputs, what leads to a model output,
    and the owners (with what leads to them) of the layers those call again."""
    index = index or GraphIndex.of(doc)
    outputs = [nid for nid, _ in doc.output_refs() if nid in doc.nodes]
    model = index.upstream(outputs)
    owners = _owners(doc, model)
    while owners:  # an owner may itself lie behind another call site
        model |= index.upstream(owners)
        owners = _owners(doc, model)
    return model | {nid for nid, node in doc.nodes.items() if node.kind == INPUT}


def _owners(doc: Document, model: set[str]) -> set[str]:
    """Owners named by the SharedCall nodes in `model` that are nodes outside it."""
    named = {doc.nodes[nid].params.get(OWNER_PARAM) for nid in model
             if nid in doc.nodes and doc.nodes[nid].kind == SHARED_CALL}
    return {o for o in named if isinstance(o, str) and o in doc.nodes and o not in model}


def left_out_ids(doc: Document, index: GraphIndex | None = None) -> list[str]:
    """Ids of the nodes outside the model, in document order; none without an output."""
    if not any(nid in doc.nodes for nid, _ in doc.output_refs()):
        return []
    model = model_node_ids(doc, index)
    return [nid for nid in doc.nodes if nid not in model]


def blocks(issue: Issue, left_out: Iterable[str]) -> bool:
    """Whether `issue` stops code, training and export, given the nodes left out."""
    if issue.severity != ERROR:
        return False
    return issue.node is None or issue.code in ALWAYS_BLOCK or issue.node not in left_out


def blocking(issues: Iterable[Issue], left_out: Iterable[str]) -> list[Issue]:
    """The issues that block (`blocks`), in their order."""
    out = set(left_out)
    return [i for i in issues if blocks(i, out)]


def usage_issues(doc: Document, index: GraphIndex, left_out: list[str] | None = None
                 ) -> list[Issue]:
    """Warnings on the nodes from which no model output can be reached: each is left out
    of the model (its errors block nothing), or is an Input, which the model still takes.
    `left_out` is `left_out_ids(doc, index)` when the caller has it."""
    outputs = [nid for nid, _ in doc.output_refs() if nid in doc.nodes]
    if not outputs:
        return []  # "no_outputs" already says it all
    feeding = {e.src for e in doc.edges}
    issues = [Issue(n.id, None, WARNING, f"{n.name!r} ({n.kind}) does not lead to any model "
                    "output, so it is left out of the model (an error on it blocks nothing)",
                    "unused_node", ("move_output_here", "remove_node")
                    if n.id not in feeding and set(outputs) & index.upstream([n.id])
                    else ("remove_node",))
              for n in map(doc.nodes.get, left_out_ids(doc, index) if left_out is None
                           else left_out)]
    used = index.upstream(outputs)
    return issues + [Issue(n.id, None, WARNING, f"{n.name!r} (Input) does not lead to any model "
                           "output; the model still takes it as an input, so its data is "
                           "still needed", "unused_input", ("remove_node",))
                     for n in doc.nodes.values() if n.kind == INPUT and n.id not in used]
