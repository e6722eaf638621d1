"""Whether a document can become a model: `BuildError` listing every blocking issue,
each naming its node and port, and the part of a document Keras builds.
"""

from __future__ import annotations

import copy

from kerascanvas.graph.document import Document
from kerascanvas.graph.errors import KerasCanvasError
from kerascanvas.graph.layers import custom
from kerascanvas.graph.model_scope import left_out_ids
from kerascanvas.graph.projectfile import from_dict, to_dict


class BuildError(KerasCanvasError):
    """The document cannot become a model. `issues` lists the validation errors."""

    def __init__(self, message: str, issues: tuple = ()):
        super().__init__(message)
        self.issues = tuple(issues)


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
