"""The last resort of every `kerascanvas` command: an unexpected exception.

Every expected failure (an unreadable file, an invalid graph, unusable data, a
failed fit) has its own message and exit code. Anything else is a bug of ours, so
`report_crash` writes the full traceback to a report file in the data folder
(`crash-reports/` under `graph.paths.data_dir()`, else the temporary folder) and
prints one paragraph on stderr: the command, the exception type and message, and
where the report is. The exit code is `EXIT_INTERNAL` (70, "internal software
error" in BSD's sysexits). Light: no keras, no Qt.
"""

from __future__ import annotations

import datetime
import os
import platform
import sys
import tempfile
import traceback
from pathlib import Path

EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl+C
MESSAGE_LIMIT = 300


def _report_folders() -> list[Path]:
    from kerascanvas.graph.paths import data_dir

    folders = []
    try:
        folders.append(data_dir() / "crash-reports")
    except Exception:  # noqa: BLE001 - no data folder: the temporary one still serves
        pass
    return [*folders, Path(tempfile.gettempdir()) / "kerascanvas-crash-reports"]


def _report_text(command: str, argv: list[str], exc: BaseException) -> str:
    lines = [
        f"command: kerascanvas {' '.join(argv)}",
        f"subcommand: {command}",
        f"time: {datetime.datetime.now(datetime.UTC).isoformat()}",
        f"python: {sys.version.split()[0]} on {platform.platform()}",
        "",
        *traceback.format_exception(type(exc), exc, exc.__traceback__),
    ]
    return "\n".join(line.rstrip("\n") for line in lines) + "\n"


def write_report(command: str, argv: list[str], exc: BaseException) -> Path | None:
    """Write the crash report; its path, or None when no folder could take it."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S")
    text = _report_text(command, argv, exc)
    for folder in _report_folders():
        path = folder / f"{command}-{stamp}-{os.getpid()}.txt"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", errors="backslashreplace")
            return path
        except OSError:
            continue
    return None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if len(text) > MESSAGE_LIMIT:
        text = text[:MESSAGE_LIMIT] + "..."
    return text.encode("ascii", "backslashreplace").decode("ascii")


def report_crash(command: str, argv: list[str], exc: BaseException) -> int:
    """Say what went wrong in one paragraph on stderr; return `EXIT_INTERNAL`."""
    try:
        path = write_report(command, argv, exc)
    except Exception:  # noqa: BLE001 - the report is a courtesy; the message still goes out
        path = None
    where = (f"The full report (traceback) is in {path}." if path is not None
             else "No report file could be written.")
    message = _one_line(exc)
    print(f"kerascanvas {command}: internal error: {type(exc).__name__}"
          f"{': ' + message if message else ''}. This is a bug in Keras Canvas, not a "
          f"problem in your files. {where} Please attach it when reporting the bug "
          f"(exit {EXIT_INTERNAL}).", file=sys.stderr)
    return EXIT_INTERNAL
