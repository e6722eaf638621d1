"""What every `kerascanvas` subcommand does the same way. Light: no keras, no Qt."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

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


EXIT_UNTRUSTED = 4  # the project (or model) holds custom code the user has not trusted


def add_trust_argument(parser) -> None:
    """Declare --trust-custom-code on a subcommand's parser."""
    parser.add_argument("--trust-custom-code", action="store_true",
                        help="run the project's CustomLayer code (for this command only; "
                             "review it first). Without it, custom code never runs")


def add_initial_weights_argument(parser) -> None:
    """Declare --no-initial-weights on a subcommand's parser (`initial_weights_off`)."""
    parser.add_argument("--no-initial-weights", action="store_true",
                        help="start from fresh weights: ignore the initial weights file the "
                             "project's weights section names (for this command only)")


def initial_weights_off(doc, args) -> None:
    """Turn `doc`'s initial weights off when `args` says --no-initial-weights."""
    from kerascanvas.graph.initial_weights import turn_off

    if getattr(args, "no_initial_weights", False):  # a rank's args from an older run lack it
        turn_off(doc)


def prepare_custom(project: Project, trusted_flag: bool, command: str,
                   in_process: bool = False) -> int | None:
    """Trust and analyse the project's custom code; EXIT_UNTRUSTED after a message if
    it has custom code nobody trusted, else None.

    Trust comes from `--trust-custom-code` or from the trust store (the window's
    "Trust custom code..."), never from the file. Shapes come from Keras: in a worker
    process, or here when `in_process` (commands that load keras anyway).
    """
    from kerascanvas.graph import training_code
    from kerascanvas.graph.layers import custom

    from .. import trust

    nodes = custom.custom_nodes(project.doc)
    coded = [f"{n.name!r} ({n.params.get('class_name')})" for n in nodes
             if str(n.params.get("source") or "").strip()]
    if training_code.digest(project.doc.training) is not None:
        coded.append("the training code (custom losses and metrics)")
    if not coded:  # only nodes without source: nothing to trust, the analysis says so
        return None
    trusted = trusted_flag or trust.is_trusted(project.path, project.doc)
    trust.apply(project.doc, trusted)
    project.live.refresh(custom.custom_users(project.doc))
    if not trusted:
        names = ", ".join(coded)
        print(f"kerascanvas {command}: {project.path}: custom code not trusted: {names}. "
              "Nothing ran. Review the code, then pass --trust-custom-code (or trust the "
              "project in the window)", file=sys.stderr)
        return EXIT_UNTRUSTED
    _compute_shapes(project, in_process)
    project.live.refresh(custom.custom_users(project.doc))
    return None


def _compute_shapes(project: Project, in_process: bool) -> None:
    from ..custom_code import resolve
    from ..custom_worker import WorkerError, WorkerSolver

    if in_process:
        resolve(project.doc)
        return
    try:
        with WorkerSolver() as solver:
            resolve(project.doc, solver)
    except WorkerError as exc:  # the nodes keep a "not computed" issue naming them
        print(f"kerascanvas: {exc}", file=sys.stderr)


def output_folders_exist(command: str, outputs: Mapping[str, str | None]) -> bool:
    """Whether every output path given (flag -> path; None: not given) is in a folder that
    exists, and is no folder itself. Otherwise the first that is not is named on stderr,
    with its flag and the missing folder, and the caller exits without writing or
    computing anything.

    Every command refuses a missing folder rather than making it: a mistyped folder
    would otherwise silently become a new tree (the file written where nobody looks),
    and refusing before any work means a long run never ends on an unwritable path.
    """
    for flag, path in outputs.items():
        if not path:
            continue
        if Path(path).is_dir():
            print(f"kerascanvas {command}: {flag} {path}: that is a folder; expected the path "
                  "of a file (nothing was written)", file=sys.stderr)
            return False
        folder = Path(path).parent
        if folder.is_dir():
            continue
        what = "is not a folder" if folder.exists() else "does not exist"
        print(f"kerascanvas {command}: {flag} {path}: the folder {folder} {what}; create it "
              "first (nothing was written)", file=sys.stderr)
        return False
    return True


STDOUT = "-"  # `-o -`: standard output, as for most command-line tools


def writes_over_input(command: str, inputs: Mapping[str, str | None],
                      outputs: Mapping[str, str | None]) -> bool:
    """True, after saying so on stderr, where an output path (flag -> path) names one of the
    command's own input files (what -> path): `export p.json -o p.json --format py` wrote
    code over the project it read."""
    for flag, out in outputs.items():
        for what, source in inputs.items():
            if out and out != STDOUT and source and _same_file(out, source):
                print(f"kerascanvas {command}: {flag} {out} is {what} itself; choose another "
                      "file (nothing was written)", file=sys.stderr)
                return True
    return False


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).samefile(b)
    except OSError:  # either does not exist (yet): not the same file
        return False


def write_text_output(command: str, path: str | None, text: str) -> int:
    """Write `text` to `path`, or to standard output where `path` is None or "-"; the exit
    code: 0, or 1 after naming the path that could not be written."""
    from kerascanvas.graph.projectfile import write_text_atomic

    if path is None or path == STDOUT:
        sys.stdout.write(text)
        return 0
    try:
        write_text_atomic(Path(path), text)
    except OSError as exc:
        print(f"kerascanvas {command}: cannot write {path}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    return 0


def read_data_findings(project, home: Path) -> list | str:
    """The findings of the check `run` makes of the training data before training (errors
    it refuses for, warnings it says), its paths read from the project's folder `home`
    (keras and torch load); or why the data cannot be read or training cannot start."""
    from kerascanvas.graph.training_paths import anchored_settings
    from kerascanvas.runtime.dataset import DataError
    from kerascanvas.runtime.train import TrainingRefused, data_findings, prepare

    try:
        doc, settings = prepare(project.doc, anchored_settings(project.doc.training, home),
                                analysis=project.analysis)
        return data_findings(doc, settings, analysis=project.analysis)[1]
    except TrainingRefused as exc:
        return f"training cannot start: {exc}"
    except DataError as exc:
        return exc.issues if exc.issues else str(exc)
