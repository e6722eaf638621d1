"""Qt fixtures: a main window per test, with its own data dir for autosave files."""

from __future__ import annotations

import pytest
import shiboken6
from PySide6 import QtWidgets

from kerascanvas.app.window import main_thread_gc

from .gestures import saved, show, type_into

# (kind, name[, params]) of a small image classifier, each wired into the next: no outputs.
CHAIN = (("Input", "image", {"shape": [8, 8, 1]}), ("Flatten", "flat"), ("Dense", "head"))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_teardown(item):
    """A closed main window is deleted by Qt (its scene and project with it): qtbot, which
    closes the widgets a test registered, is left only those still alive."""
    widgets = getattr(item, "qt_widgets", None)
    if widgets:
        item.qt_widgets = [(ref, before) for ref, before in widgets
                           if ref() is None or shiboken6.isValid(ref())]
    yield


@pytest.fixture(scope="package", autouse=True)
def _gui_thread_collects(qapp):
    """Cyclic garbage is collected on the GUI thread only, as the app has it while a window
    is open (`main_thread_gc`): also in tests that make a panel without a window, and between
    tests, while a closed window's worker threads (a data preview read, a run's event reader
    or kill) still end. Otherwise a collection may fall on one of those threads and free
    Qt wrappers there."""
    main_thread_gc.hold()
    yield
    main_thread_gc.release()


@pytest.fixture(autouse=True)
def _collect_after_each_test(_gui_thread_collects):
    """A test that never runs the event loop leaves its garbage to the next tick: collect
    what is due here, on the GUI thread."""
    yield
    main_thread_gc.collect_due()


@pytest.fixture
def qtbot(qtbot):
    """pytest-qt's qtbot, whose waitUntil fails at once on a lambda that returns None:
    pytest-qt takes None for "asserted nothing", so such a lambda (which cannot assert)
    passes at its first call and the test waits for nothing."""
    wait_until = qtbot.waitUntil

    def checked(callback, **options):
        def call():
            result = callback()
            if result is None and getattr(callback, "__name__", "") == "<lambda>":
                code = callback.__code__
                raise TypeError(f"waitUntil callback at {code.co_filename}:"
                                f"{code.co_firstlineno} returned None, so it waits for "
                                "nothing: return a bool, or assert inside a def")
            return result
        return wait_until(call, **options)

    qtbot.waitUntil = qtbot.wait_until = checked
    return qtbot


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def make_window(qtbot, data_dir, monkeypatch):
    from kerascanvas.app.window.main import MainWindow

    made = []

    def make(path=None, recover=False, restore_answer=True):
        # On the class, for the windows a restore opens too; undone after the test.
        monkeypatch.setattr(MainWindow, "ask_restore",
                            staticmethod(lambda source: restore_answer))
        window = MainWindow(path, recover=recover)
        window.ask_save = lambda: QtWidgets.QMessageBox.Discard
        window.ask_stop_runs = lambda work: True
        qtbot.addWidget(window)
        made.append(window)
        return window

    yield make
    for window in made:
        if shiboken6.isValid(window):  # a closed window is deleted, its project with it
            window.stack.set_clean()


@pytest.fixture
def window(make_window):
    return make_window()


def wire(window, src, dst, dst_port=0, src_port=0):
    """Drag from an output port to an input port, as the viewer reports it."""
    canvas = window.canvas
    out = canvas.views[src].outputs[src_port]
    inp = canvas.views[dst].inputs[dst_port]
    # Like the viewer: dropping on a taken input port also detaches its old pipe.
    detached = [(inp, port) for port in inp.connected_ports]
    canvas.viewer.connection_changed.emit(detached, [(out, inp)])


def add_chain(window, *kinds: str) -> list[str]:
    """Add each kind from the palette, wired one after the other; their node ids."""
    ids = []
    for kind in kinds:
        window.palette.kind_activated.emit(kind)
        ids.append(window.canvas.selected_ids()[0])
    for src, dst in zip(ids, ids[1:], strict=False):
        wire(window, src, dst)
    return ids


def chain_window(make_window, qtbot, tmp_path, nodes=CHAIN):
    """A project of `nodes` ((kind, name[, params]), each wired into the next, no outputs),
    saved in `tmp_path` and opened in a shown window: (window, node ids)."""
    from kerascanvas.graph.document import Document, Edge

    doc = Document()
    ids = [doc.add_node(kind, name, params=params[0] if params else None).id
           for kind, name, *params in nodes]
    for src, dst in zip(ids, ids[1:], strict=False):
        doc.connect(Edge(src, 0, dst, 0))
    window = show(make_window(saved(doc, tmp_path, "chain.json")), qtbot)
    return window, ids


def two_inputs_added():
    """Inputs a and b of shape (4,) added, the sum the output: a graph of two inputs, which
    the sequential style cannot write."""
    from kerascanvas.graph.document import Document, Edge

    doc = Document()
    a = doc.add_node("Input", "a", params={"shape": [4]}).id
    b = doc.add_node("Input", "b", params={"shape": [4]}).id
    add = doc.add_node("Add", "sum").id
    doc.connect(Edge(a, 0, add, 0))
    doc.connect(Edge(b, 0, add, 1))
    doc.outputs = [add]
    return doc


def object_editor(window, kind: str, param: str):
    """A `kind` node fed by an Input of shape (6, 3) from the palette, and the Properties
    editor of its object-valued `param` (a wrapper's layer, an RNN's cell)."""
    ids = add_chain(window, "Input", kind)
    window.properties.show_node(ids[0])
    type_into(window.properties.editors["shape"][1].edit, "6, 3")
    window.properties.show_node(ids[1])
    return ids[1], window.properties.editors[param][1]


def shape_shown(window, node_id) -> str:
    window.canvas.renderer.render()
    return window.canvas.views[node_id].shape_text


@pytest.fixture(scope="session", autouse=True)
def _release_clipboard():
    """Qt frees clipboard mime data at exit after Python did: clear it while both live."""
    yield
    app = QtWidgets.QApplication.instance()
    if app is not None:
        app.clipboard().clear()
        app.processEvents()


@pytest.fixture(scope="session")
def imported_project(tmp_path_factory):
    """name -> path of a project imported from `keras.applications.<name>(weights=None)`.

    Each network is built and imported once per session (keras.applications is slow)."""
    from kerascanvas.graph.projectfile import save

    made: dict[str, str] = {}

    def get(name: str) -> str:
        if name not in made:
            from kerascanvas.runtime.importer import import_model
            from kerascanvas.runtime.keras_env import import_keras

            model = getattr(import_keras().applications, name)(weights=None)
            path = tmp_path_factory.mktemp("imported") / f"{name}.json"
            save(import_model(model), path)
            made[name] = str(path)
        return made[name]

    return get


def show_at(window, width: int = 1600, height: int = 1000):
    """Show the window at a size, active, so key shortcuts reach its actions."""
    window.resize(width, height)
    window.show()
    window.activateWindow()
    QtWidgets.QApplication.processEvents()
    return window


def axis_labels(axis) -> list:
    """(rect, text) of each tick label a pyqtgraph axis would draw now."""
    from PySide6 import QtGui

    image = QtGui.QImage(10, 10, QtGui.QImage.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        return [(rect, text) for rect, _, text in axis.generateDrawSpecs(painter)[2] if text]
    finally:
        painter.end()


def axis_laid_out(axis, at_least: int = 3) -> bool:
    """Whether the axis has its labels and the layout has given it the width they need
    (pyqtgraph sizes the axis to its labels, and the layout applies that later)."""
    return len(axis_labels(axis)) >= at_least and \
        abs(axis.geometry().width() - axis.minimumWidth()) < 0.5


def assert_axis_labels_apart(axis, at_least: int = 3) -> None:
    """The tick labels a pyqtgraph axis would draw: at least `at_least`, none overlapping."""
    texts = axis_labels(axis)
    assert len(texts) >= at_least
    for i, (rect, text) in enumerate(texts):
        for other, other_text in texts[i + 1:]:
            assert not rect.intersects(other), (text, other_text)
