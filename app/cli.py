"""The `kerascanvas` command: a thin dispatcher.

With no arguments (or `open FILE`) it opens the window. The headless subcommands
live in `kerascanvas.runtime.cli.<name>` modules. Each module imports only the
light parts of the project at import time (never Qt; keras and torch only inside
`run`), and offers `add_arguments(parser)` and `run(args) -> int` (the exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> (module, one-line help)
COMMANDS = {
    "validate": ("kerascanvas.runtime.cli.validate", "check a project: shapes, params, issues"),
    "codegen": ("kerascanvas.runtime.cli.codegen", "write Keras Python code for a project"),
    "run": ("kerascanvas.runtime.cli.run", "train a project's model headless"),
    "search": ("kerascanvas.runtime.cli.search",
               "search the design space the project's search section marks (Optuna)"),
    "import": ("kerascanvas.runtime.cli.import_model",
               "turn a .keras or model JSON into a project"),
    "attach-code": ("kerascanvas.runtime.cli.attach_code",
                    "give a project's CustomLayer nodes their class source from a .py file"),
    "fix": ("kerascanvas.runtime.cli.fix",
            "apply one of the one-click fixes `validate` lists, and save the project"),
    "export": ("kerascanvas.app.canvas.export_command",
               "export a project: keras, onnx, py, slurm, png, svg"),
    "open": ("kerascanvas.app.window.launch", "open the window (optionally on a file)"),
}


def build_parser(available: dict[str, object]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kerascanvas",
        description="Build, check, generate and train Keras models from a visual graph.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in available.items():
        help_text = COMMANDS[name][1]
        command = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command)
        command.set_defaults(_module=module)
    return parser


def _load_command(name: str):
    try:
        return importlib.import_module(COMMANDS[name][0])
    except ModuleNotFoundError as exc:
        module = COMMANDS[name][0]
        if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
            return None  # that subcommand is not part of this build
        raise  # a module it needs is missing (a broken install): say which


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code.

    Each command's expected failures have their own codes (see the README). Anything
    unexpected ends in one paragraph naming the command, the exception and the report
    file that holds its traceback, with exit code 70 (`runtime.cli.crash`); Ctrl+C
    outside training ends with 130. Never a raw traceback.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        argv = ["open"]
    command = argv[0] if argv[0] in COMMANDS else "kerascanvas"
    try:
        return _dispatch(argv)
    except KeyboardInterrupt:
        from kerascanvas.runtime.cli.crash import EXIT_INTERRUPTED

        print(f"kerascanvas {command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader left (`| head`): stop quietly, as Unix tools do
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # noqa: BLE001 - the last resort: report it, never a traceback
        from kerascanvas.runtime.cli.crash import report_crash

        return report_crash(command, argv, exc)


EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, the code a shell gives a tool its pipe closed on


def _quiet_stdout() -> None:
    """Point stdout at the null device, so the flush at exit does not fail again."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (a test's capture): nothing to flush
        pass


def _dispatch(argv: list[str]) -> int:
    # Import only the module of the command asked for, so `validate` stays light.
    wanted = [argv[0]] if argv[0] in COMMANDS else list(COMMANDS)
    available = {n: m for n in wanted if (m := _load_command(n)) is not None}
    parser = build_parser(available)
    args = parser.parse_args(argv)
    if getattr(args, "_module", None) is None:
        parser.print_help()
        return 2
    return int(args._module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
