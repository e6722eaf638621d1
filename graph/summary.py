"""A parameter summary in the manner of Keras' `model.summary()`, from an analysis.

>>> from kerascanvas.graph.document import Document, Edge
>>> from kerascanvas.graph.validate import analyze
>>> doc = Document()
>>> x = doc.add_node("Input", "image", params={"shape": [4]})
>>> y = doc.add_node("Dense", "out", params={"units": 2})
>>> doc.connect(Edge(x.id, 0, y.id, 0)); doc.set_outputs([y.id])
>>> print(format_summary(doc, analyze(doc)))  # doctest: +NORMALIZE_WHITESPACE
Layer (type)         Output Shape   Param #   Connected to
==========================================================
image (InputLayer)   (None, 4)      0         -
out (Dense)          (None, 2)      10        image
==========================================================
Total params: 10
Trainable params: 10
Non-trainable params: 0
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .bulk import bulk
from .document import Document
from .inference import spec_of
from .names import shown_name
from .shapes import fmt
from .spec import INPUT
from .validate import Analysis, Issue

HEADERS = ("Layer (type)", "Output Shape", "Param #", "Connected to")
UNKNOWN = "?"


@dataclass(frozen=True)
class SummaryRow:
    """One line of the summary. `params` is None when the node could not be inferred."""

    node_id: str
    name: str
    kind: str
    output_shapes: str
    params: int | None
    trainable: int | None
    non_trainable: int | None
    connected_to: tuple[str, ...]

    @property
    def layer(self) -> str:
        """`name (Type)` as Keras prints it (`InputLayer` for inputs)."""
        kind = "InputLayer" if self.kind == INPUT else self.kind
        return f"{self.name} ({kind})"


@bulk
def summary_rows(doc: Document, analysis: Analysis) -> list[SummaryRow]:
    """One row per node, in topological order (nodes on a cycle last)."""
    order = [n.id for n in doc.topological_order()]
    placed = set(order)
    order += [nid for nid in doc.nodes if nid not in placed]
    return [_row(doc, analysis, nid) for nid in order]


def _row(doc: Document, analysis: Analysis, node_id: str) -> SummaryRow:
    node = doc.nodes[node_id]
    result = analysis.results.get(node_id)
    known = result is not None and result.output_shapes is not None
    if known:
        shapes = ", ".join(fmt(s) for s in result.output_shapes)
        trainable, frozen = result.count or (None, None)  # None: weights unknown
    else:
        shapes, trainable, frozen = UNKNOWN, None, None
    total = None if trainable is None else trainable + frozen
    return SummaryRow(node_id, node.name, node.kind, shapes, total, trainable, frozen,
                      connected_to(doc, node_id))


def connected_to(doc: Document, node_id: str) -> tuple[str, ...]:
    """The sources of the node's inputs, in port order: `name`, or `name[port]` for an
    output port past the first."""
    sources = []
    for e in doc.in_edges(node_id):
        src = shown_name(doc.nodes[e.src].name) if e.src in doc.nodes else e.src
        sources.append(f"{src}[{e.src_port}]" if e.src_port else src)
    return tuple(sources)


@bulk
def format_summary(doc: Document, analysis: Analysis) -> str:
    """The summary table, the parameter totals, then the issues (if any)."""
    rows = summary_rows(doc, analysis)
    cells = [HEADERS] + [(r.layer, r.output_shapes, _num(r.params),
                          ", ".join(r.connected_to) or "-") for r in rows]
    widths = [max(len(c[i]) for c in cells) + 3 for i in range(len(HEADERS) - 1)]
    lines = ["".join(c.ljust(w) for c, w in zip(cell, widths, strict=False)) + cell[-1]
             for cell in cells]
    rule = "=" * max(len(line) for line in lines)
    trainable, frozen = analysis.total_params
    out = set(analysis.left_out)
    partial = any(r.params is None and r.node_id not in out for r in rows)
    note = (" (nodes marked ? are not counted)" if partial else "") + left_out_note(doc, analysis)
    out = [lines[0], rule, *lines[1:], rule,
           f"Total params: {_num(trainable + frozen)}{note}",
           f"Trainable params: {_num(trainable)}",
           f"Non-trainable params: {_num(frozen)}"]
    if analysis.issues:
        out += ["", *format_issues(doc, analysis.issues, analysis)]
    if analysis.left_out_errors:  # else the totals' note names them
        out += ["", left_out_text(doc, analysis)]
    return "\n".join(out)


def left_out_note(doc: Document, analysis: Analysis) -> str:
    """What the totals leave out: the nodes that lead to no model output, as Keras'
    model leaves them out ("" when there are none).

    Example: " (not counting 'extra', left out of the model)".
    """
    names = [repr(doc.nodes[n].name) for n in analysis.left_out if n in doc.nodes]
    if not names:
        return ""
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return f" (not counting {', '.join(names[:3])}{more}, left out of the model)"


def left_out_text(doc: Document, analysis: Analysis) -> str:
    """Which nodes the model leaves out and that their errors block nothing ("" when it
    leaves none out), as the generated code, `validate` and `run` tell it.

    Example: "Left out of the model, as they lead to no model output: 'spare' (1 error),
    'probe'. Errors on them do not block code, training or export."
    """
    counts = Counter(i.node for i in analysis.left_out_errors)
    names = [repr(doc.nodes[nid].name) + _errors(counts[nid]) for nid in analysis.left_out
             if nid in doc.nodes]
    if not names:
        return ""
    errors = " Errors on them do not block code, training or export." if counts else ""
    return f"Left out of the model, as they lead to no model output: {', '.join(names)}.{errors}"


def _errors(count: int) -> str:
    return f" ({count} error{'s' * (count != 1)})" if count else ""


def left_out_count(count: int) -> str:
    """How the errors on nodes left out of the model are counted apart.

    >>> left_out_count(1)
    '1 error on a node left out of the model, not blocking'
    >>> left_out_count(2)
    '2 errors on nodes left out of the model, not blocking'
    """
    where = "a node" if count == 1 else "nodes"
    return f"{count} error{'s' * (count != 1)} on {where} left out of the model, not blocking"


def format_issues(doc: Document, issues: list[Issue], analysis: Analysis | None = None
                  ) -> list[str]:
    """`Issues (1 error, 0 warnings):` then one line per issue, errors first, each with a
    line of its fixes ("fix: Insert Flatten; Insert GlobalAveragePooling2D"). With the
    `analysis`, errors on nodes left out of the model are counted apart and marked."""
    idle = {id(i) for i in analysis.left_out_errors} if analysis is not None else set()
    errors = sum(1 for i in issues if i.severity == "error" and id(i) not in idle)
    warnings = sum(1 for i in issues if i.severity != "error")
    spare = len(issues) - errors - warnings
    aside = f", {left_out_count(spare)}" if spare else ""
    lines = [f"Issues ({errors} error{'s' * (errors != 1)}, "
             f"{warnings} warning{'s' * (warnings != 1)}{aside}):"]
    from .fixes import fix_label

    for issue in sorted(issues, key=lambda i: (i.severity != "error", id(i) in idle)):
        mark = " (left out of the model: does not block)" if id(issue) in idle else ""
        lines.append(f"  {issue.severity:<8} {_where(doc, issue)}{issue.message}{mark}")
        if issue.fixes:  # the window's one-click fixes, by the labels of its buttons
            labels = "; ".join(fix_label(code, issue, doc) for code in issue.fixes)
            lines.append(f"  {'':<8} fix: {labels}")
    return lines


def _where(doc: Document, issue: Issue) -> str:
    if issue.node is None:
        return ""
    node = doc.nodes.get(issue.node)
    if node is None:
        return f"{issue.node}: "
    spec = spec_of(node)
    port = ""
    if issue.port is not None:
        port = f" [{spec.port_name(issue.port, node.params) if spec else issue.port}]"
    return f"{node.name}{port}: "


def _num(value: int | None) -> str:
    return UNKNOWN if value is None else f"{value:,}"
