"""Validation and shape inference of a document, in full or incrementally.

`analyze(doc)` infers every node and runs the document rules. `LiveAnalysis(doc)`
keeps per-node results cached and, after each edit, re-infers only the nodes
downstream of the change. Neither raises on a bad graph: problems are `Issue`s.

>>> from kerascanvas.graph.document import Document, Edge
>>> doc = Document()
>>> x = doc.add_node("Input", params={"shape": [8]})
>>> y = doc.add_node("Dense", params={"units": 3})
>>> doc.connect(Edge(x.id, 0, y.id, 0)); doc.set_outputs([y.id])
>>> result = analyze(doc)
>>> result.valid, result.results[y.id].output_shapes, result.total_params
(True, [(None, 3)], (27, 0))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import events as ev
from . import inference, model_scope
from .bulk import bulk
from .document import Document, Edge, Node
from .index import GraphIndex
from .inference import ERROR, WARNING, Issue, NodeResult
from .rules import document_issues
from .spec import Shape
from .wire_fix import with_wire_fixes

__all__ = ["Analysis", "Issue", "LiveAnalysis", "NodeResult", "analyze", "ERROR", "WARNING"]


@dataclass
class Analysis:
    """The outcome of validation: a result per node id and the list of issues."""

    results: dict[str, NodeResult] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        """Every error, also those on nodes left out of the model (see `blocking`)."""
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def blocking(self) -> list[Issue]:
        """The errors that stop the model from being built, and with it its code, training
        and export: all but those on nodes `left_out` of it (`model_scope.blocks`)."""
        return model_scope.blocking(self.issues, self.left_out)

    @property
    def left_out_errors(self) -> list[Issue]:
        """The errors on nodes left out of the model, which block nothing."""
        blocking = {id(i) for i in self.blocking}
        return [i for i in self.errors if id(i) not in blocking]

    @property
    def warnings(self) -> list[Issue]:
        """The issues that do not stop the build."""
        return [i for i in self.issues if i.severity == WARNING]

    @property
    def valid(self) -> bool:
        """True when nothing stops the model from being built (warnings, and errors on
        nodes left out of the model, allowed)."""
        return not self.blocking

    @property
    def left_out(self) -> list[str]:
        """Ids of the nodes that lead to no model output: Keras' model leaves them out."""
        return [i.node for i in self.issues if i.code == "unused_node"]

    @property
    def total_params(self) -> tuple[int, int]:
        """(trainable, non_trainable) of the model, as Keras' count_params gives them: summed
        over its nodes whose count is known, not over the nodes `left_out` of it."""
        out = set(self.left_out)
        counts = [r.count for nid, r in self.results.items()
                  if r.count is not None and nid not in out]
        return sum(c[0] for c in counts), sum(c[1] for c in counts)

    @property
    def uncounted(self) -> list[str]:
        """Ids of the model's nodes whose weights are unknown (`NodeResult.count` None),
        which `total_params` leaves out."""
        out = set(self.left_out)
        return [nid for nid, r in self.results.items() if r.count is None and nid not in out]

    def issues_for(self, node_id: str) -> list[Issue]:
        """The issues pinned to one node."""
        return [i for i in self.issues if i.node == node_id]

    def edge_shape(self, edge: Edge) -> Shape | None:
        """The shape carried by `edge`, or None when it is unknown."""
        result = self.results.get(edge.src)
        if result is None or result.output_shapes is None:
            return None
        if edge.src_port >= len(result.output_shapes):
            return None
        return result.output_shapes[edge.src_port]


@bulk
def analyze(doc: Document) -> Analysis:
    """Infer every node and check the whole document. Never raises on a bad graph."""
    results: dict[str, NodeResult] = {}
    node_issues: dict[str, list[Issue]] = {}
    index = GraphIndex.of(doc)
    inference.infer_graph(doc, results, node_issues, index=index)
    return _assemble(doc, results, node_issues, index)


def _assemble(doc: Document, results: dict[str, NodeResult],
              node_issues: dict[str, list[Issue]], index: GraphIndex) -> Analysis:
    """Document issues first, then each node's issues in document order."""
    node_issues = with_wire_fixes(doc, results, node_issues, index)
    extra = document_issues(doc, results, node_issues, index)
    by_node: dict[str, list[Issue]] = {}
    issues = [i for i in extra if i.node is None]
    for i in extra:
        if i.node is not None:
            by_node.setdefault(i.node, []).append(i)
    for nid in doc.nodes:
        issues += node_issues.get(nid, [])
        issues += by_node.pop(nid, [])
    for rest in by_node.values():  # issues about ids that are no longer nodes
        issues += rest
    return Analysis({nid: results[nid] for nid in doc.nodes if nid in results}, issues)


class LiveAnalysis:
    """An analysis kept current as the document changes.

    Edits only mark nodes dirty; the work happens when `analysis` is read, so a
    burst of edits (a macro, a paste) costs one update. `listeners` are called
    with no arguments after each change that may alter the analysis, and once at the
    end of a bulk edit (`events.BulkStarted` .. `BulkFinished`) for all of its changes.

    The results of the nodes that the last edit removed are kept: when the nodes come
    back as they were (the undo of a delete, the redo of a paste), each whose inputs are
    as they were takes its result back instead of being inferred again
    (`inference.keepable`).

    Attributes:
        recomputed: ids of the nodes re-inferred by the last update.
    """

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.listeners: list[Callable[[], None]] = []
        self.recomputed: list[str] = []
        self._results: dict[str, NodeResult] = {}
        self._node_issues: dict[str, list[Issue]] = {}
        self._dirty: set[str] | None = None  # None: everything
        self._analysis: Analysis | None = None
        self._in_bulk = self._held = False  # inside a bulk edit; a change waits for its end
        self._kept: dict[str, tuple[Node, NodeResult]] = {}  # of the last edit's removed nodes
        self._edits = self._kept_edit = 0  # bulk edits begun; the one that removed `_kept`
        self._params_changed: set[str] = set()  # since the last update: their results are old
        doc.events.connect(self._on_document_changed)

    @property
    def analysis(self) -> Analysis:
        """The current analysis, brought up to date first if the document changed."""
        if self._analysis is None:
            self._update()
        return self._analysis

    def refresh(self, node_ids) -> None:
        """Re-infer these nodes: something they depend on outside the document changed
        (the shapes Keras computed for custom code, or its trust)."""
        self._mark(*node_ids)
        self._kept.clear()
        self._analysis = None
        for listener in list(self.listeners):
            listener()

    def close(self) -> None:
        """Stop following the document."""
        self.doc.events.disconnect(self._on_document_changed)

    def _update(self) -> None:
        if self._dirty is None:
            self._results.clear()
            self._node_issues.clear()
            self._kept.clear()
        index = self.doc.graph_index()  # the document's own, kept current edit by edit
        self.recomputed = inference.infer_graph(self.doc, self._results, self._node_issues,
                                                self._dirty, index, self._kept)
        self._dirty = set()
        self._params_changed.clear()
        self._analysis = _assemble(self.doc, self._results, self._node_issues, index)

    def _on_document_changed(self, event: ev.Event) -> None:
        if event.type == ev.NODE_MOVED:
            return
        if event.type in (ev.BULK_STARTED, ev.BULK_FINISHED):
            self._on_bulk(event.type == ev.BULK_STARTED)
            return
        if event.type in (ev.RESET, ev.BLOCKS_CHANGED) or event.node is None:
            self._dirty = None if event.type in ev.SHAPE_EVENTS else self._dirty
        elif event.type == ev.NODE_REMOVED:
            self._forget(event.node, event.removed)
        elif event.type in ev.SHAPE_EVENTS:
            self._mark(event.node)
            if event.type == ev.PARAM_CHANGED:
                self._params_changed.add(event.node)
                self._kept.pop(event.node, None)
        elif event.type == ev.NODE_RENAMED:  # names appear in the messages after it too
            self._mark(event.node, *self.doc.successors(event.node))
        self._analysis = None
        if self._in_bulk:
            self._held = True
            return
        for listener in list(self.listeners):
            listener()

    def _on_bulk(self, started: bool) -> None:
        self._in_bulk = started
        self._edits += started
        if not started and self._held:
            self._held = False
            for listener in list(self.listeners):
                listener()

    def _mark(self, *node_ids: str) -> None:
        if self._dirty is not None:
            self._dirty.update(node_ids)

    def _forget(self, node_id: str, node: Node) -> None:
        result = self._results.pop(node_id, None)
        issues = self._node_issues.pop(node_id, None)
        if self._kept_edit != self._edits:  # only the last edit's removed nodes are kept
            self._kept.clear()
            self._kept_edit = self._edits
        if self._dirty is not None and node_id not in self._params_changed and \
                inference.keepable(node, result, issues):  # its result is for its params
            self._kept[node_id] = (node, result)
        if self._dirty is not None:
            self._dirty.discard(node_id)
