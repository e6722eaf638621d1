"""What every `kerascanvas` subcommand does the same way. Light: no keras, no Qt."""

from __future__ import annotations

import sys

from kerascanvas.graph.errors import ProjectFileError
from kerascanvas.graph.project import Project

EXIT_UNREADABLE = 2


def load_or_report(path: str, command: str) -> Project | None:
    """The project at `path`, or None after printing the loader's message (which names the
    file and the field) as `kerascanvas COMMAND: ...` on stderr; callers then exit 2."""
    try:
        return Project.open(path)
    except ProjectFileError as exc:
        print(f"kerascanvas {command}: {exc}", file=sys.stderr)
        return None
