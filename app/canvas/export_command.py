"""`kerascanvas export`: keras, onnx and py go to the headless exporter, png and svg here.

Images are drawn with Qt, which `runtime/` never imports, so this thin app module
owns the command and hands every other format to `runtime.cli.export`.
"""

from __future__ import annotations

import argparse
import sys

from kerascanvas.runtime.cli import export as cli_export

IMAGE_FORMATS = {"png": "png", "svg": "svg (images of the canvas)"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `runtime.cli.export`, with the image formats added."""
    cli_export.add_arguments(parser, {**cli_export.FORMATS, **IMAGE_FORMATS})


def run(args: argparse.Namespace) -> int:
    """Draw png/svg here; delegate the other formats. Returns the exit code."""
    if not cli_export.format_from_suffix(args, {**cli_export.FORMATS, **IMAGE_FORMATS}):
        return 2  # as argparse exits on a usage error
    if args.format not in IMAGE_FORMATS:
        return cli_export.run(args)
    if cli_export.stdout_refused(args):
        return 2
    from kerascanvas.runtime.cli.common import EXIT_UNREADABLE, load_or_report

    project = load_or_report(args.file, "export")
    if project is None:
        return EXIT_UNREADABLE
    from .export_image import export_image

    try:
        export_image(project.doc, args.output, args.format, analysis=project.analysis)
    except (OSError, ValueError) as exc:
        print(f"kerascanvas export: {args.file}: {exc}", file=sys.stderr)
        return 1
    print(f"Wrote {args.output}")
    return 0
