"""Train > Start (F5) raises the Training tab, and a run refused for its data raises the
Issues tab in the same turn of the event loop. The Training tab's half-window height was
still being laid out then: it landed on the Issues tab, which kept it (the canvas squeezed
to 40% of the window, after Summary and back too)."""

from __future__ import annotations

from kerascanvas.graph.projectfile import dumps

from .conftest import show_at
from .training_fakes import mlp


def test_a_refused_start_leaves_the_issues_tab_at_its_own_height(make_window, qtbot,
                                                                 tmp_path):
    doc = mlp()  # iris: 3 classes
    doc.nodes[doc.outputs[0]].params["units"] = 2  # class id 2 does not fit
    path = tmp_path / "p.json"
    path.write_text(dumps(doc))
    window = show_at(make_window(str(path)), 1500, 920)
    window.issues_dock.raise_()
    qtbot.wait(250)
    start = window.issues_dock.height()
    assert start < 0.3 * window.height()
    window.training_panel()
    qtbot.waitUntil(lambda: bool(getattr(window, "data_issues", None)), timeout=60_000)

    window._on_train_action("start")  # what F5 does
    qtbot.waitUntil(lambda: window._bottom_tab == window.issues_dock.objectName(),
                    timeout=5_000)
    qtbot.wait(250)  # the tab's height is settled in a few turns of the event loop
    assert abs(window.issues_dock.height() - start) <= 2

    window.summary_dock.raise_()
    qtbot.wait(250)
    window.issues_dock.raise_()
    qtbot.wait(250)
    assert abs(window.issues_dock.height() - start) <= 2
