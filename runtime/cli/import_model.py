"""`kerascanvas import MODEL.keras|MODEL.json -o PROJECT`: turn a Keras model into a project.

Exit codes: 0 written, 1 the model was refused (a Lambda layer, a bad file, a
graph the document cannot hold; the reason goes to stderr), 2 the project could
not be written, 4 the model needs custom layer code that was not trusted (nothing
from it ran). Keras is imported only inside `run`.

A model with custom layers needs their source: `--custom-code layers.py` names a
Python file whose top-level classes are found by parsing it (it is not run), and
`--trust-custom-code` lets it run so Keras can load the model (still in safe mode,
with exactly those classes). Each such layer becomes a CustomLayer node. A class
whose source is not given still imports, as a CustomLayer node without source
(config and recorded shapes kept, nothing run); `kerascanvas attach-code` adds it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kerascanvas.graph.errors import KerasCanvasError
from kerascanvas.graph.projectfile import save

from .common import (
    EXIT_UNTRUSTED,
    add_trust_argument,
    output_folders_exist,
    writes_over_input,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare MODEL and -o on the subcommand's parser."""
    parser.add_argument("model", metavar="MODEL",
                        help="a .keras archive or a model JSON file (model.to_json())")
    parser.add_argument("-o", "--output", metavar="PROJECT", required=True,
                        help="the project file to write (.json)")
    parser.add_argument("--progress", action="store_true",
                        help="print a 'progress: STAGE' line as each stage starts")
    parser.add_argument("--custom-code", metavar="FILE.py",
                        help="Python source of the model's custom layer classes (parsed; "
                             "run only with --trust-custom-code)")
    parser.add_argument("--force", action="store_true",
                        help="replace PROJECT when it exists (without it, an existing "
                             "non-empty file is refused)")
    add_trust_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Import `args.model`, save the project, print a summary, the generic layers and
    the import's notes."""
    from ..custom_import import UntrustedCodeError
    from ..importer import check_file, import_model_report, load_with_code
    from ..keras_env import import_keras

    if not output_folders_exist("import", {"-o": args.output}) or _replaces(args):
        return 2  # the project cannot be written
    try:
        _stage(args, f"Checking {Path(args.model).name}")
        config = check_file(args.model)  # a bad file is refused before keras loads
        _stage(args, "Starting Keras")
        import_keras()
        _stage(args, f"Loading {Path(args.model).name}")
        notes: list[str] = []  # custom classes imported without source
        model, classes = load_with_code(args.model, args.custom_code, args.trust_custom_code,
                                        notes)
        _stage(args, f"Converting {len(model.layers)} layers")
        report = import_model_report(model, classes)
        report.notes[:0] = notes
    except UntrustedCodeError as exc:
        print(f"kerascanvas import: {exc}", file=sys.stderr)
        return EXIT_UNTRUSTED
    except KerasCanvasError as exc:
        print(f"kerascanvas import: {exc}", file=sys.stderr)
        return 1
    try:
        _stage(args, "Writing the project")
        # No positions: here they could only come from sizes estimated from the names, and
        # the window lays a file without any out with the sizes its nodes are drawn at
        # (an export image too), so the wires of a column run straight.
        report.doc.ui.pop("positions", None)
        report.doc.weights = archive_weights(args.model, report.weight_paths)
        report.notes += compiled_training(report.doc, config)
        save(report.doc, Path(args.output))
    except OSError as exc:
        print(f"kerascanvas import: cannot write {args.output}: {exc.strerror}",
              file=sys.stderr)
        return 2
    print(_summary(report.doc))
    if report.generic:
        print(f"{len(report.generic)} layer(s) kept as generic KerasLayer nodes:")
        for name, why in report.generic.items():
            print(f"  {name}: {why}")
    if report.notes:  # choices the import made (nested models inlined, and why)
        print(f"{len(report.notes)} note(s) on the import:")
        for note in report.notes:
            print(f"  {note}")
    if report.doc.weights:
        print(f"Initial weights: {Path(args.model).name} (training, export and the script "
              "start from its weights, layer by layer)")
    print(f"Wrote {args.output}")
    return 0


def _replaces(args: argparse.Namespace) -> bool:
    """True, after saying so, where -o names the model itself, or a file that holds
    something (a project, most likely) and --force was not given. An empty file (a
    temporary one made for the import to fill) is written."""
    if writes_over_input("import", {"the model": args.model}, {"-o": args.output}):
        return True
    out = Path(args.output)
    if args.force or not out.is_file() or out.stat().st_size == 0:
        return False
    print(f"kerascanvas import: -o {args.output}: the file exists; give --force to replace "
          "it, or another -o (nothing was written)", file=sys.stderr)
    return True


def _stage(args: argparse.Namespace, text: str) -> None:
    if args.progress:
        print(f"progress: {text}", flush=True)


def _summary(doc) -> str:
    try:
        from kerascanvas.graph.summary import format_summary
        from kerascanvas.graph.validate import analyze
    except ImportError:
        return f"{len(doc.nodes)} nodes, {len(doc.edges)} edges"
    return format_summary(doc, analyze(doc))


def compiled_training(doc, config: dict) -> list[str]:
    """Set `doc.training` from the model's compile config (optimizer, losses, metrics);
    the notes say what was left out."""
    from kerascanvas.graph.training import output_names

    from ..import_compile import training_from_compile

    training, notes = training_from_compile(config.get("compile_config"), output_names(doc))
    doc.training = {**(doc.training or {}), **training}
    return notes


def archive_weights(path: str, paths: dict[str, str] | None = None) -> dict:
    """The `weights` section for an imported `.keras` archive holding weights ({} for a
    model JSON or an archive without them), with the archive `paths` of the layers whose
    path differs in the project (those of an inlined nested model)."""
    import zipfile

    from kerascanvas.graph.initial_weights import section_for

    if Path(path).suffix != ".keras" or not zipfile.is_zipfile(path):
        return {}
    with zipfile.ZipFile(path) as archive:
        if "model.weights.h5" not in archive.namelist():
            return {}
    section = section_for(path)
    return {**section, "paths": dict(paths)} if paths else section
