"""`kerascanvas attach-code PROJECT FILE.py [--node NAME]... [-o OUT]`: give CustomLayer
nodes their class source.

A model imported without the source of its custom classes keeps each such layer as a
CustomLayer node without source. This command reads the Python file by parsing it
(nothing in it runs), and gives every node without source whose class the file
defines that class (the file's import lines, then the class), in the graph and in
its block definitions. `--node NAME` picks nodes by name instead (BLOCK.NAME for one
inside block BLOCK), and replaces the source they have (a newer version of the
class). The project is saved in place, or to `-o OUT`.

The attached code is not trusted by this: it runs only once the user trusts the
project (`--trust-custom-code` on a command, or Trust Custom Code... in the window).

Exit codes: 0 source attached (or nothing lacked it), 1 the file defines none of the
classes asked for, a named node is not a CustomLayer, or the file is not Python,
2 the project could not be read or written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kerascanvas.graph.layers import custom
from kerascanvas.graph.projectfile import save

from .common import EXIT_UNREADABLE, load_or_report, output_folders_exist


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="a Keras Canvas project (.json)")
    parser.add_argument("code", metavar="FILE.py",
                        help="Python source defining the classes (parsed, never run)")
    parser.add_argument("--node", action="append", metavar="NAME", default=[],
                        help="attach to this CustomLayer node (repeatable); replaces its "
                             "source. Default: every node without source")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="write the project here instead of over PROJECT")


def run(args: argparse.Namespace) -> int:
    from kerascanvas.graph.errors import KerasCanvasError

    from ..custom_import import read_classes

    if not output_folders_exist("attach-code", {"-o": args.output}):
        return EXIT_UNREADABLE  # as for any project that cannot be written
    project = load_or_report(args.project, "attach-code")
    if project is None:
        return EXIT_UNREADABLE
    try:
        classes = read_classes(args.code)
        nodes = _targets(project.doc, args.node)
    except KerasCanvasError as exc:
        print(f"kerascanvas attach-code: {exc}", file=sys.stderr)
        return 1
    if not nodes:
        print(f"{args.project}: every CustomLayer node has its source; nothing to attach")
        return 0
    found = [n for n in nodes if n.params.get("class_name") in classes]
    for node in found:
        _attach(project.doc, node, classes[node.params["class_name"]])
    for node in nodes:
        state = "attached" if node in found else f"still no source: {args.code} defines " \
            f"no class {node.params.get('class_name')}"
        print(f"  {node.name} ({custom.registered_name(node.params)}): {state}")
    if not found:
        print(f"kerascanvas attach-code: {args.code} defines none of the classes asked for "
              f"(found: {', '.join(classes) or 'none'})", file=sys.stderr)
        return 1
    return _save(project.doc, Path(args.output or args.project))


def _targets(doc, names: list[str]) -> list:
    """The nodes to attach to: those named, else every CustomLayer without source."""
    from kerascanvas.graph.errors import KerasCanvasError

    if not names:
        return [n for n in custom.custom_nodes(doc) if not str(n.params.get("source")).strip()]
    inner = {n.name: n for n in custom.block_custom_nodes(doc.blocks)}
    picked = []
    for name in names:
        node = inner.get(name) or doc.find(name)
        if node is None or node.kind != custom.KIND:
            raise KerasCanvasError(f"node {name!r}: expected a CustomLayer node, received "
                                   f"{'no such node' if node is None else node.kind}")
        picked.append(node)
    return picked


def _attach(doc, node, source: str) -> None:
    """Set the source of a document node, or of a node inside a block definition."""
    if not isinstance(node, custom.BlockNode):
        doc.set_param(node.id, "source", source)
        return
    for inner in doc.blocks[node.block]["nodes"]:
        if inner.get("id") == node.id:
            inner.setdefault("params", {})["source"] = source
    node.params["source"] = source


def _save(doc, path: Path) -> int:
    try:
        save(doc, path)
    except OSError as exc:
        print(f"kerascanvas attach-code: cannot write {path}: {exc.strerror}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"Wrote {path}. Nothing ran: the code runs once you trust the project "
          "(--trust-custom-code, or Trust Custom Code... in the window)")
    return 0
