"""`kerascanvas codegen FILE [-o OUT.py] [--style STYLE] [--script [--distributed]]
[--model-name NAME]`.

Writes Keras code: a `build_model()` module, a training script, or with
`--distributed` a training script for torchrun (torch DDP on several processes).

Exit codes: 0 written, 1 the graph cannot become code in that style, or with
`--script` the training settings are ones `kerascanvas run` refuses (the reason goes
to stderr), 2 the file could not be read as a project (the loader's message),
4 the project has CustomLayer code that is not trusted (nothing ran, nothing written).
Generating text needs neither keras nor torch, and this command imports neither;
trusted custom code has its shapes computed by Keras in a worker process.
"""

from __future__ import annotations

import argparse
import sys

from kerascanvas.codegen import STYLES, CodegenError, generate
from kerascanvas.graph.document import model_name_problem
from kerascanvas.graph.training_schema import refused_training

from .common import (
    EXIT_UNREADABLE,
    add_trust_argument,
    load_or_report,
    output_folders_exist,
    prepare_custom,
    write_text_output,
    writes_over_input,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare FILE, -o, --style and --script on the subcommand's parser."""
    parser.add_argument("file", metavar="FILE", help="a Keras Canvas project (.json)")
    parser.add_argument("-o", "--output", metavar="OUT.py",
                        help="write the code to this file (default, or -: standard output)")
    parser.add_argument("--style", choices=list(STYLES), default="functional",
                        help="functional (default), sequential (single chains only) or "
                             "subclass (a keras.Model subclass)")
    parser.add_argument("--script", action="store_true",
                        help="write a complete training script instead of a build_model() module")
    parser.add_argument("--distributed", action="store_true",
                        help="with --script: a script for torchrun, trained data-parallel with "
                             "torch DDP (torchrun --nproc-per-node N script.py)")
    parser.add_argument("--model-name", metavar="NAME",
                        help="the Keras name of the model (any text without '/'); by default "
                             "the project's (its file's model.name), else 'model'")
    add_trust_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Generate code for `args.file`; write it to `args.output` or stdout; return the exit code."""
    problem = None if args.model_name is None else model_name_problem(args.model_name)
    if problem:
        print(f"kerascanvas codegen: --model-name: {problem}", file=sys.stderr)
        return 1
    if not output_folders_exist("codegen", {"-o": args.output}):
        return 1
    if writes_over_input("codegen", {"the project": args.file}, {"-o": args.output}):
        return 1
    project = load_or_report(args.file, "codegen")
    if project is None:
        return EXIT_UNREADABLE
    refused = prepare_custom(project, args.trust_custom_code, "codegen")
    if refused is not None:
        return refused
    refused = refused_training(project.doc) if args.script else None
    if refused:  # a script trains as `kerascanvas run` does: never one that run refuses
        print(f"kerascanvas codegen: {args.file}: {refused}", file=sys.stderr)
        return 1
    try:
        source = generate(project.doc, style=args.style, script=args.script,
                          distributed=args.distributed, analysis=project.analysis,
                          model_name=args.model_name)
    except CodegenError as exc:
        print(f"kerascanvas codegen: {args.file}: {exc}", file=sys.stderr)
        return 1
    return write_text_output("codegen", args.output, source)
