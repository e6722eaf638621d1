"""`kerascanvas validate FILE [--json] [--keras] [--trust-custom-code]`: check a project.

Exit codes: 0 valid (warnings allowed, and errors on nodes left out of the model: they
lead to no model output, so Keras leaves them out and they block nothing; the report
names them), 1 the graph or the ranges of its `search`
section have errors (each range names its node and parameter), 2 the file could
not be read as a project (the loader's message, naming the field, goes to stderr).
With `--json` standard output always holds one JSON report, also for a file that
cannot be read: `{"valid": false, "error": ..., "field": ..., "nodes": [...]}`. Each of
its issues has `node`, `port`, `severity`, `message`, `code` (the kind of problem) and
`data` (the values its fix reads: a training setting's `field`, and the `suggestion`
for a mistyped loss or metric name; `{}` for most); the graph's issues also say whether
they `blocks` the model, and `left_out` lists the ids of the nodes the model leaves out.
`data_issues` (and a `warning:` line of the summary) names each data file of the training
settings (`data`, `test_data`, relative paths read next to the project) that does not
exist: `run` refuses it, but the graph is still valid, so the exit code stays.
4 the project has CustomLayer code that is not trusted (the report still lists every
issue; nothing ran). This command imports neither keras nor torch, so it answers
quickly; with trusted custom code, a worker process computes those layers' shapes
with Keras. `--keras` also makes each KerasLayer node with Keras on its validated
input shapes, as `run` does before training: a config its class refuses, or outputs
other than the recorded ones (a 2-output record on a 1-output layer), is an error
(exit 1), which the file alone cannot show. `--data` also reads the training data and
checks it as `run` does before training (keras loads): its errors (labels the output
cannot take, ...) are `data error:` lines and exit 1, its warnings (an input far from
unit scale, a split of sorted labels) `warning:` lines, each with its fixes, which
`kerascanvas fix --data` applies; in `--json` they are in `data_issues`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.errors import ProjectFileError
from kerascanvas.graph.fixes import fix_label
from kerascanvas.graph.project import Project
from kerascanvas.graph.search_check import check_search
from kerascanvas.graph.summary import format_summary
from kerascanvas.graph.training_paths import missing_data
from kerascanvas.graph.validate import Analysis, Issue

from .common import (
    EXIT_UNREADABLE,
    add_trust_argument,
    load_or_report,
    prepare_custom,
    read_data_findings,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare FILE and --json on the subcommand's parser."""
    parser.add_argument("file", metavar="FILE", help="a Keras Canvas project (.json)")
    parser.add_argument("--json", action="store_true",
                        help="print the result as JSON instead of a summary table")
    parser.add_argument("--keras", action="store_true",
                        help="also make each KerasLayer node with Keras on its input shapes, "
                             "as run does before training (imports keras: slower)")
    parser.add_argument("--data", action="store_true",
                        help="also read the training data and check it as run does before "
                             "training (imports keras: slower)")
    add_trust_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Validate `args.file`; print a summary (or JSON) and return the exit code."""
    if args.json:
        try:
            project = Project.open(args.file)
        except ProjectFileError as exc:
            print(f"kerascanvas validate: {exc}", file=sys.stderr)
            print(json.dumps(unreadable_json(exc), indent=2))
            return EXIT_UNREADABLE
    else:
        project = load_or_report(args.file, "validate")
        if project is None:
            return EXIT_UNREADABLE
    refused = prepare_custom(project, args.trust_custom_code, "validate")
    doc, analysis = project.doc, project.analysis
    searched = check_search(doc)
    with_keras = getattr(args, "keras", False)
    built = keras_issues(doc, analysis) if with_keras else []
    home = Path(args.file).resolve().parent
    data = data_issues(doc, home)
    refusals = []
    if getattr(args, "data", False) and not data and analysis.valid:
        found = read_data_findings(project, home)
        data = [Issue(None, None, "error", found, "data_source")] \
            if isinstance(found, str) else list(found)
        refusals = [i for i in data if i.severity == "error"]
    if args.json:
        report = to_json(doc, analysis)
        if with_keras:  # only then: the report's keys stay the same without the flag
            report["keras_issues"] = _issues(built, doc)
            report["valid"] = report["valid"] and not built
        print(json.dumps({**report, "search_issues": _issues(searched, doc),
                          "data_issues": _issues(data, doc)}, indent=2))
    else:
        print(format_summary(doc, analysis))
        for kind, issues in (("search", searched), ("keras", built)):
            for issue in issues:
                print(f"{kind} error: {issue.message}")
        for issue in data:
            print(f"{'data error' if issue in refusals else 'warning'}: {issue.message}")
            if issue.fixes:
                print(f"  fix: {'; '.join(fix_label(c, issue, doc) for c in issue.fixes)}")
    if refused is not None:
        return refused
    return 0 if analysis.valid and not searched and not built and not refusals else 1


def data_issues(doc: Document, folder: Path) -> list[Issue]:
    """A warning per data file of the training settings that does not exist (a run would
    refuse; the graph itself is still valid, so the exit code stays)."""
    return [Issue(None, None, "warning", message + "; `run` refuses until it does",
                  "data_file_missing", data={"field": message.partition(":")[0]})
            for message in missing_data(doc.training, folder)]


def keras_issues(doc: Document, analysis: Analysis) -> list[Issue]:
    """With `--keras`: KerasLayer nodes Keras cannot make, or whose outputs differ from the
    recorded ones (`runtime.import_generic.keras_layer_problems`), as errors."""
    if not analysis.valid:
        return []
    from kerascanvas.runtime.import_generic import keras_layer_problems

    return [Issue(None, None, "error", problem, "keras_refused")
            for problem in keras_layer_problems(doc, analysis)]


def _issues(issues, doc: Document | None = None) -> list[dict[str, Any]]:
    """Each issue's node, port, severity and message, its kind (`code`), the values its
    fix reads (`data`, e.g. the "field" of a training setting) and its one-click fixes
    (`fixes`: each one's code and the label the window's button shows)."""
    from kerascanvas.graph.fixes import fix_label

    return [{"node": i.node, "port": i.port, "severity": i.severity, "message": i.message,
             "code": i.code, "data": dict(i.data),
             "fixes": [{"code": c, "label": fix_label(c, i, doc)} for c in i.fixes]}
            for i in issues]


def unreadable_json(exc: ProjectFileError) -> dict[str, Any]:
    """The `--json` report for a file that could not be read as a project."""
    return {"valid": False, "error": exc.reason, "field": exc.field, "file": exc.path,
            "nodes": list(exc.nodes), "issues": _issues(
                [Issue(None, None, "error", str(exc), "unreadable_file")])}


def to_json(doc: Document, analysis: Analysis) -> dict[str, Any]:
    """The `--json` report: validity, per-node shapes and counts, totals, issues."""
    nodes = []
    for nid, node in doc.nodes.items():
        result = analysis.results.get(nid)
        shapes = None
        if result is not None and result.output_shapes is not None:
            shapes = [list(s) for s in result.output_shapes]
        count = result.count if result is not None else (0, 0)
        nodes.append({"id": nid, "name": node.name, "kind": node.kind, "output_shapes": shapes,
                      "params": None if count is None else  # None: weights unknown
                      {"trainable": count[0], "non_trainable": count[1]}})
    trainable, frozen = analysis.total_params
    blocking = {id(i) for i in analysis.blocking}
    return {
        "valid": analysis.valid,
        "nodes": nodes,
        "total_params": {"trainable": trainable, "non_trainable": frozen},
        "issues": [{**entry, "blocks": id(issue) in blocking}
                   for issue, entry in zip(analysis.issues, _issues(analysis.issues, doc),
                                           strict=True)],
        "left_out": list(analysis.left_out),
    }
