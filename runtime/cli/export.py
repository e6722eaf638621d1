"""`kerascanvas export PROJECT [--format keras|onnx|py|slurm] -o OUT [--style S] [--script]`.

Without `--format` the suffix of OUT names it (`-o model.onnx`, `-o job.sbatch`).

`--format slurm` writes an sbatch file in which `srun` starts one torchrun per
node (`kerascanvas run PROJECT --nnodes ...`; with `--script`, a generated
distributed script written next to it, OUT without its suffix plus `.py`).

Exit codes: 0 written, 1 the export failed (invalid graph, a layer the format
cannot hold, a missing package, with `--script` training settings that `kerascanvas
run` refuses; the reason goes to stderr), 2 the project could
not be read (or no format was given and OUT's suffix names none), 4 the project has
CustomLayer code that is not trusted (see --trust-custom-code; nothing ran). A `.keras`
is compiled with the project's training settings (`runtime.export_compile`); where only
its training code (custom losses, metrics) is untrusted, or the compile cannot be done,
it is written uncompiled and the message says why, naming the field. Keras
is imported only inside `run`. Images (png, svg) need Qt, so the `kerascanvas
export` command of the app adds them to these formats.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kerascanvas.codegen import STYLES
from kerascanvas.graph.errors import KerasCanvasError
from kerascanvas.graph.initial_weights import anchored
from kerascanvas.graph.training_schema import refused_training

from ..export_compile import UNCOMPILED, archive_config
from .common import (
    EXIT_UNREADABLE,
    STDOUT,
    add_initial_weights_argument,
    add_trust_argument,
    initial_weights_off,
    load_or_report,
    output_folders_exist,
    prepare_custom,
    write_text_output,
    writes_over_input,
)

FORMATS = {"keras": "keras (.keras archive)", "onnx": "onnx", "py": "py (Python code)",
           "slurm": "slurm (sbatch file)"}


def add_arguments(parser: argparse.ArgumentParser, formats: dict[str, str] = FORMATS) -> None:
    """Declare PROJECT, --format (one of `formats`: name -> help), -o, --style, --script,
    --weights and the slurm options."""
    parser.add_argument("file", metavar="PROJECT", help="a Keras Canvas project (.json)")
    parser.add_argument("--format", "-f", choices=list(formats),
                        help=", ".join(formats.values()) + " (default: from OUT's suffix)")
    parser.add_argument("-o", "--output", metavar="OUT", required=True,
                        help="file to write (-: standard output, for --format py)")
    parser.add_argument("--style", choices=list(STYLES), default="functional",
                        help="code style for --format py (default functional)")
    parser.add_argument("--script", action="store_true",
                        help="for --format py: a complete training script")
    parser.add_argument("--weights", metavar="FILE",
                        help="for --format keras or onnx: the weights to export, from a "
                             ".weights.h5 file (into the project's graph), or a trained "
                             "model's .keras (a run's kept model), exported itself: its own "
                             "graph, as trained; without it: the project's initial "
                             "weights if it names any, else fresh ones")
    add_initial_weights_argument(parser)
    add_trust_argument(parser)
    slurm = parser.add_argument_group("--format slurm")
    slurm.add_argument("--nodes", type=int, default=1, metavar="N", help="nodes (default 1)")
    slurm.add_argument("--gpus-per-node", type=int, default=1, metavar="G",
                       help="GPUs per node, one process each (0: CPU processes, gloo)")
    slurm.add_argument("--nproc-per-node", type=int, metavar="P",
                       help="processes per node (default: one per GPU, or 1)")
    slurm.add_argument("--time", default="01:00:00", metavar="HH:MM:SS",
                       help="Slurm's time limit")
    slurm.add_argument("--partition", metavar="NAME", help="Slurm partition")
    slurm.add_argument("--job-name", metavar="NAME", help="default: the project's file name")


def format_from_suffix(args: argparse.Namespace, formats) -> bool:
    """Set `args.format` from the suffix of `args.output` when --format was not given
    (`-o model.onnx` is onnx); False, after saying so, when the suffix names none."""
    if args.format is None:
        suffix = Path(args.output).suffix.lower().lstrip(".")
        args.format = {"sbatch": "slurm"}.get(suffix, suffix)
        if args.format not in formats:
            ends = ", ".join("." + ("sbatch" if f == "slurm" else f) for f in formats)
            print(f"kerascanvas export: cannot tell the format from {args.output!r}; give "
                  f"--format {'|'.join(formats)} (or an OUT ending in {ends})", file=sys.stderr)
            return False
    return True


def stdout_refused(args: argparse.Namespace) -> bool:
    """True, after saying so, where `-o -` (standard output) is asked of a format other than
    py: a file named "-" is never written."""
    if args.output != STDOUT or args.format == "py":
        return False
    print(f"kerascanvas export: -o - (standard output) takes --format py only, not "
          f"{args.format} (nothing was written)", file=sys.stderr)
    return True


def run(args: argparse.Namespace) -> int:
    """Export `args.file` in `args.format` to `args.output`; return the exit code."""
    if not format_from_suffix(args, FORMATS):
        return EXIT_UNREADABLE  # 2, as argparse exits on a usage error
    if args.weights and args.format not in ("keras", "onnx"):  # never dropped unsaid
        print(f"kerascanvas export: --weights applies to --format keras or onnx, not "
              f"{args.format} (nothing was written)", file=sys.stderr)
        return EXIT_UNREADABLE
    if stdout_refused(args):
        return EXIT_UNREADABLE
    if args.weights and not Path(args.weights).is_file():
        what = "is a folder" if Path(args.weights).is_dir() else "does not exist"
        print(f"kerascanvas export: --weights {args.weights}: the file {what}; expected a "
              ".weights.h5 file or a trained .keras model (nothing was written)",
              file=sys.stderr)
        return 1
    if not output_folders_exist("export", {"-o": args.output}):
        return 1
    if writes_over_input("export", {"the project": args.file, "--weights": args.weights},
                         {"-o": args.output}):
        return 1
    project = load_or_report(args.file, "export")
    if project is None:
        return EXIT_UNREADABLE
    if loss_code_untrusted(project, args):  # written uncompiled, the message says why
        from .. import trust

        trust.apply(project.doc, False)
    else:
        refused = prepare_custom(project, args.trust_custom_code, "export",
                                 in_process=args.format in ("keras", "onnx"))
        if refused is not None:
            return refused
    refused = foreign_model(project.doc, args)
    if refused:
        print(f"kerascanvas export: --weights {args.weights}: {refused} (nothing was written)",
              file=sys.stderr)
        return 1
    initial_weights_off(project.doc, args)
    refused = refused_training(project.doc) if args.script else None
    if refused:  # a script trains as `kerascanvas run` does: never one that run refuses
        print(f"kerascanvas export: {args.file}: {refused} (nothing was written)",
              file=sys.stderr)
        return 1
    if args.format in ("keras", "onnx"):  # a script keeps the path as the project has it
        anchored(project.doc, Path(args.file).parent)
    try:
        message = _export(project.doc, args)
    except KerasCanvasError as exc:
        print(f"kerascanvas export: {args.file}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the output path, not the partial file beside it
        print(f"kerascanvas export: cannot write {args.output}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    if message:  # none after code written to standard output: the code alone goes there
        print(message)
    return 0


def loss_code_untrusted(project, args: argparse.Namespace) -> bool:
    """Whether a `.keras` export meets untrusted custom code only in the training settings
    (custom losses and metrics): the model needs none of it, so it is written, uncompiled,
    and its message names `training.custom_code`; nothing of the code runs."""
    from kerascanvas.graph import training_code
    from kerascanvas.graph.layers import custom

    from .. import trust

    if args.format != "keras" or training_code.digest(project.doc.training) is None:
        return False
    if any(str(n.params.get("source") or "").strip() for n in custom.custom_nodes(project.doc)):
        return False
    return not (args.trust_custom_code or trust.is_trusted(project.path, project.doc))


def foreign_model(doc, args: argparse.Namespace) -> str | None:
    """Why a `.keras` given as --weights cannot be this project's trained model, or None.

    Such an archive is exported as it is, its own graph (a run kept before the project's
    graph changed); one that shares no layer name with the project is another model."""
    if not args.weights or Path(args.weights).suffix.lower() != ".keras":
        return None
    theirs = archive_layer_names(args.weights)
    ours = [node.name for node in doc.nodes.values()]
    if not theirs or set(theirs) & set(ours):
        return None
    return (f"its model shares no layer with {args.file}, so it is not a run of this "
            f"project (its layers: {_some(theirs)}; the project's: {_some(ours)}). Give a "
            f"model this project trained, or a .weights.h5 file to load into its graph")


def archive_layer_names(path: str) -> list[str] | None:
    """The names of the top-level layers of a `.keras` archive's model, None where the
    archive does not say (loading it then reports what is wrong with it)."""
    config = archive_config(path)
    layers = config.get("config", {}).get("layers") if isinstance(config, dict) else None
    if not isinstance(layers, list):
        return None
    return [str(layer.get("name") or layer.get("config", {}).get("name"))
            for layer in layers if isinstance(layer, dict)]


def _some(names: list[str], count: int = 5) -> str:
    return ", ".join(names[:count]) + (f" and {len(names) - count} more"
                                       if len(names) > count else "")


def _export(doc, args: argparse.Namespace) -> str | None:
    from .. import export

    if args.format == "slurm":
        return _export_slurm(doc, args)
    if args.format == "py" and args.output == STDOUT:
        from kerascanvas.codegen import generate

        write_text_output("export", STDOUT, generate(doc, style=args.style, script=args.script))
        return None
    if args.format == "py":
        export.export_python(doc, args.output, style=args.style, script=args.script)
    elif args.format == "keras":
        written = export.export_keras(doc, args.output, weights=args.weights)
        if written.uncompiled:  # loads, but not ready to fit: said, never silent
            return (f"Wrote {args.output}, {UNCOMPILED} {written.uncompiled} (load_model "
                    "gives a model to compile before evaluate or fit)")
        if written.registered:
            return f"Wrote {args.output}; {registration_note(written.registered)}"
    else:
        diff = export.export_onnx(doc, args.output, weights=args.weights)
        if diff is not None:
            return f"Wrote {args.output} ({export.agreement(diff)})"
    return f"Wrote {args.output}"


def registration_note(names) -> str:
    """What loading a file whose compile config names custom objects needs."""
    ours = [n for n in names if n.startswith("kerascanvas>")]
    where = ["the project's training code (training.custom_code) registered with "
             "keras.saving.register_keras_serializable()"] if len(ours) < len(names) else []
    if ours:
        where.append("import kerascanvas.runtime.extras (its losses and metrics)")
    return (f"its compile config names {', '.join(names)}: keras.saving.load_model compiles "
            f"it after {' and '.join(where)}, else load it with compile=False")


def _export_slurm(doc, args: argparse.Namespace) -> str:
    """The sbatch file (and, with --script, the distributed script beside it)."""
    from pathlib import Path

    from kerascanvas.codegen import generate
    from kerascanvas.codegen.slurm import SlurmJob, job_name_from, sbatch
    from kerascanvas.graph.projectfile import write_text_atomic

    out = Path(args.output)
    script = out.with_suffix(".py") if args.script else None
    job = SlurmJob(project=None if script else args.file,
                   script=script.name if script else None, nodes=args.nodes,
                   gpus_per_node=args.gpus_per_node, nproc_per_node=args.nproc_per_node,
                   time=args.time, partition=args.partition,
                   job_name=args.job_name or job_name_from(Path(args.file).stem))
    text = sbatch(job)
    written = [str(out)]
    if script is not None:
        write_text_atomic(script, generate(doc, style=args.style, script=True,
                                           distributed=True))
        written.append(str(script))
    write_text_atomic(out, text)
    return f"Wrote {' and '.join(written)} (submit with: sbatch {out})"

