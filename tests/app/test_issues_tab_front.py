"""The Issues tab comes to the front for a run refused for its data, not for the data
preview's own check: that check runs again after each edit, and its findings (listed in
Issues all the same) took the tab the user was looking at, here the Search tab."""

from __future__ import annotations

from kerascanvas.app.panels.shown import on_screen
from kerascanvas.graph.projectfile import dumps

from .test_search_panel import show_tab
from .training_fakes import mlp


def test_preview_findings_are_listed_without_taking_the_tab_and_a_refused_start_shows_them(
        make_window, qtbot, tmp_path):
    doc = mlp()  # iris: 3 classes
    doc.nodes[doc.outputs[0]].params["units"] = 2  # class id 2 does not fit
    path = tmp_path / "p.json"
    path.write_text(dumps(doc))
    window = make_window(str(path))
    show_tab(window, qtbot)
    panel = window.training_panel()
    qtbot.waitUntil(lambda: bool(getattr(window, "data_issues", None)), timeout=60_000)
    assert [i.code for i in window.data_issues] == ["label_range"]
    qtbot.wait(50)
    assert on_screen(window.search_dock) and not on_screen(window.issues_dock)
    assert not panel.start()
    qtbot.waitUntil(lambda: on_screen(window.issues_dock), timeout=5_000)
