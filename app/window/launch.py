"""`kerascanvas open [FILE] [--screenshot OUT.png]`: the desktop window.

Only Qt and the light project modules are imported here; keras is never loaded
at start-up, so the window appears quickly.
"""

from __future__ import annotations

import argparse
import gc
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?",
                        help="project file to open, or a Keras model (.keras, model JSON) "
                        "to import")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="open FILE, fit the view, save a PNG of the window and exit")
    parser.add_argument("--size", default="1500x920", metavar="WxH",
                        help="window size for --screenshot (default 1500x920)")
    parser.add_argument("--no-restore", action="store_true",
                        help="do not offer the unsaved work of a crashed session now (it "
                        "stays kept and is offered at a later start)")


def make_app():
    """The QApplication (created once), styled."""
    from PySide6 import QtWidgets

    from .style import apply_style

    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setApplicationName("Keras Canvas")
        app.setOrganizationName("kerascanvas")
        apply_style(app)
        # Qt would free clipboard data at exit after Python already did, and crash.
        app.aboutToQuit.connect(lambda: app.clipboard().clear())
    return app


def settle_imports() -> None:
    """Put the objects made so far (the modules, classes and tables imported at start,
    which live as long as the process) out of the cyclic garbage collector's reach: each
    full collection walked all of them, 0.1-0.2 s in the middle of an edit (a paste of a
    ResNet50 copy). Objects made later, a project's and a window's, are collected as ever."""
    gc.freeze()


def run(args: argparse.Namespace) -> int:
    app = make_app()
    from .main import MainWindow

    settle_imports()
    if args.screenshot:
        return screenshot(app, args.file, args.screenshot, args.size)
    window = MainWindow(args.file, recover=not args.no_restore)
    fit_to_screen(window)
    window.show()
    return app.exec()


def fit_to_screen(window) -> None:
    """Shrink `window` to its screen's free area: on a 1024x700 screen the 1500x920 window
    hung off it, the Properties dock and the Training tab out of reach. The docks give up
    their share as the window shrinks (`docks`)."""
    free = window.screen().availableGeometry()
    window.resize(window.size().boundedTo(free.size()))


def screenshot(app, path: str | None, out: str, size: str = "1500x920") -> int:
    """Open `path` in a window, fit the view, save the window as a PNG; 0 on success."""
    from .main import MainWindow

    window = MainWindow(None, recover=False)
    width, height = (int(v) for v in size.lower().split("x"))
    window.resize(width, height)
    opened = not path or window.open_path(path, ask=False, confirm_import=False)
    if opened and window.import_process is not None:
        opened = window.wait_for_import()  # a Keras model: imported in another process
    if not opened:
        print(f"kerascanvas: {getattr(window, 'last_error', 'cannot open ' + path)}",
              file=sys.stderr)
        window.stack.set_clean()
        return 1
    window.show()
    for _ in range(3):
        app.processEvents()
    window.canvas.renderer.render()
    window.code.regenerate()
    app.processEvents()
    window.fit()
    app.processEvents()
    ok = window.grab().save(out)
    window.stack.set_clean()
    window.close()
    if not ok:
        print(f"kerascanvas: cannot write {out}", file=sys.stderr)
        return 1
    return 0
