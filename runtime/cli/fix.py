"""`kerascanvas fix PROJECT [FIX] [--node NAME] [-o OUT]`: apply a one-click fix headless.

The window's Issues panel offers one-click fixes ("Insert Flatten", "Set
return_sequences=True on lstm"); `validate` lists them under each issue. This command
applies one: FIX is a fix's code (`return_sequences_on`) or its label as listed, in any
case. The first issue offering it is fixed (the first on node NAME with `--node`), the
project is saved in place or to `-o OUT` (an atomic write: the old file stays whole if
writing fails), and the issues left are listed with their fixes. Without FIX, the fixes
on offer are listed and nothing is written.

Layers a fix inserts are placed at the size a node is assumed to have (the window places
them at the size it draws them). Fixes that need a person stay in the window: attaching
a CustomLayer's source (`attach-code`), and reviewing custom code before trusting it.
With `--data` the training data is read and checked as `run` checks it before training
(keras and torch load), and the fixes of its findings are offered too ("Insert
Rescaling(1/255)", "Shuffle the samples before the validation split").

Exit codes: 0 applied (or, without FIX, listed), 1 no issue offers that fix, or it no
longer applies, or (`--data`) the data cannot be read or training cannot start, 2 the
project could not be read or written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import EXIT_UNREADABLE, load_or_report, output_folders_exist, read_data_findings

EXIT_NOT_FIXED = 1  # no issue offers the fix, it no longer applies, or the data is unread

IN_THE_WINDOW = {"attach_source": "attach the source with `kerascanvas attach-code`",
                 "review_trust": "review the code, then pass --trust-custom-code"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="a Keras Canvas project (.json)")
    parser.add_argument("fix", metavar="FIX", nargs="?",
                        help="the fix to apply: its code or its label as `validate` lists "
                             "it (without it: list the fixes on offer)")
    parser.add_argument("--node", metavar="NAME",
                        help="fix the issue on this node (default: the first offering FIX)")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="write the project here instead of over PROJECT")
    parser.add_argument("--data", action="store_true",
                        help="also read the training data, as `run` checks it before "
                             "training, and offer the fixes of its findings")


def run(args: argparse.Namespace) -> int:
    from kerascanvas.graph.errors import KerasCanvasError
    from kerascanvas.graph.fixes import apply_fix

    if not output_folders_exist("fix", {"-o": args.output}):
        return EXIT_UNREADABLE
    project = load_or_report(args.project, "fix")
    if project is None:
        return EXIT_UNREADABLE
    offered = _offered(project)
    if args.data:
        found = _data_offers(project, Path(args.project).resolve().parent)
        if found is None:
            return EXIT_NOT_FIXED
        offered += found
    if not args.fix:
        _list(offered, project.doc)
        return 0
    found = _pick(offered, args.fix, args.node, project.doc)
    if found is None:
        where = f" on node {args.node!r}" if args.node else ""
        print(f"kerascanvas fix: no issue{where} offers {args.fix!r}", file=sys.stderr)
        _list(offered, project.doc, sys.stderr)
        return 1
    issue, code, label = found
    if code in IN_THE_WINDOW:
        print(f"kerascanvas fix: {label!r} needs a person: {IN_THE_WINDOW[code]}",
              file=sys.stderr)
        return 1
    try:
        apply_fix(project.doc, issue, code, project.stack)
    except KerasCanvasError as exc:
        print(f"kerascanvas fix: {label}: {exc}", file=sys.stderr)
        return 1
    return _save(project, Path(args.output or args.project), label)


def _offered(project) -> list[tuple]:
    """(issue, code, label) of every fix the analysis offers, in the issues' order."""
    from kerascanvas.graph.fixes import fix_label

    return [(issue, code, fix_label(code, issue, project.doc))
            for issue in project.analysis.issues for code in issue.fixes]


def _data_offers(project, home: Path) -> list[tuple] | None:
    """(issue, code, label) of every fix the training data's findings offer (what `run`
    refuses or warns of before training); None, said, when the data cannot be read."""
    from kerascanvas.graph.fixes import fix_label

    found = read_data_findings(project, home)
    if isinstance(found, str):
        print(f"kerascanvas fix: --data: {found}", file=sys.stderr)
        return None
    return [(issue, code, fix_label(code, issue, project.doc))
            for issue in found for code in issue.fixes]


def _pick(offered: list[tuple], wanted: str, node: str | None, doc) -> tuple | None:
    """The first offer whose code or label is `wanted` (in any case), on node `node`."""
    wanted = wanted.strip().casefold()
    for issue, code, label in offered:
        if (node is None or _name(doc, issue) == node) and \
                wanted in (code.casefold(), label.casefold()):
            return issue, code, label
    return None


def _name(doc, issue) -> str | None:
    """The name of the issue's node, None for an issue of the whole model."""
    node = doc.nodes.get(issue.node) if issue.node is not None else None
    return node.name if node is not None else None


def _list(offered: list[tuple], doc, file=None) -> None:
    out = file or sys.stdout
    print("Fixes on offer:" if offered else "No issue has a fix on offer.", file=out)
    for issue, code, label in offered:
        print(f"  {label}  [{code}] on {_name(doc, issue) or 'the model'}: {issue.message}",
              file=out)


def _save(project, path: Path, label: str) -> int:
    from kerascanvas.graph.projectfile import save
    from kerascanvas.graph.summary import format_issues

    try:
        save(project.doc, path)
    except OSError as exc:
        print(f"kerascanvas fix: cannot write {path}: {exc.strerror}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"Applied {label!r}; wrote {path}")
    left = project.analysis.issues
    if left:
        print("\n".join(format_issues(project.doc, left, project.analysis)))
    return 0
