"""Which weights File › Export Model writes, once runs have trained models: freshly
initialised ones (or the project's initial weights), or the trained model of a run, as
`kerascanvas export --weights RUN.keras` writes it (the run's own graph, as trained).

The choice is asked in the dialog's body ("Weights:"): only its window title said
"untrained", which an X server without a window manager does not show. The latest
finished run whose graph is the project's graph now is offered first; a run's graph is
noted when it starts (`graph_key`), so a run of an earlier session, whose graph is not
known, is listed but not chosen for the user.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from ...graph.document import Document
from ...runtime.events import FINISHED


def graph_key(doc: Document) -> str:
    """The graph as a model is built from it: nodes (kind, name, params), wires, outputs;
    not where the nodes stand nor the training settings."""
    nodes = [[n.id, n.kind, n.name, n.params] for n in doc.nodes.values()]
    edges = sorted([e.src, e.src_port, e.dst, e.dst_port] for e in doc.edges)
    return json.dumps([nodes, edges, list(doc.outputs)], sort_keys=True, default=str)


@dataclass(frozen=True)
class WeightsChoice:
    label: str  # as listed after "Weights:"
    path: str | None  # the run's saved model, None for the project's own weights
    note: str  # what the status message says was written


def weight_choices(doc_key: str, own: WeightsChoice, records,
                   run_graphs: dict[str, str]) -> tuple[list[WeightsChoice], int]:
    """The project's own weights, then each run with a saved model (newest first), and
    the index of the one to offer: the latest finished run of the project's graph now,
    else the project's own."""
    runs = [r for r in sorted(records, key=lambda r: -r.number)
            if r.saved_path and not r.active and os.path.exists(r.saved_path)]
    choices = [own] + [WeightsChoice(
        f"the trained model of {r.label} ({r.status})", r.saved_path,
        f"(the trained model of {r.label})") for r in runs]
    default = next((i for i, r in enumerate(runs, 1)
                    if r.status == FINISHED and run_graphs.get(r.uid) == doc_key), 0)
    return choices, default


def run_graph(record, doc: Document, run_graphs: dict[str, str], records) -> str | None:
    """The graph `record` trains: a continued run goes on with its earlier run's model,
    whatever the project holds now; a new run trains the project's graph."""
    if record.resumed_from is None:
        return graph_key(doc)
    earlier = next((r for r in records if r.number == record.resumed_from), None)
    return run_graphs.get(earlier.uid) if earlier is not None else None
