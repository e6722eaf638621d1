"""The canvas' scale at the start and when the canvas changes size: always readable.

The start view shows the whole graph when it fits at a readable scale (`WHOLE_AT` or
more), else its top (the inputs) at `START_SCALE`. NodeGraphQt keeps the scene range it
shows when its view is resized and fits that range into the new size, so a canvas made
shorter (the Training tab raised, a smaller window) shrank a view of the whole graph with
it, to an unreadable scale (digits_cnn: 0.88 to 0.50). Here a resize never takes the
scale below `START_SCALE`, or below the scale the view already had when that was lower
(the user zoomed out on purpose); an empty canvas is kept at `START_SCALE` at least,
so the first nodes placed are readable:

- until the user pans, zooms or selects, the view is still the start view, and the start
  rule is applied again at the new size (a window resized by the window manager right
  after it opened shows the whole graph or its inputs, not a cut-off middle);
- otherwise the centre stays where it was (or the selection, when it would leave the
  view), and the range shown before is remembered: when the canvas grows back (the
  Training tab closed), that range is shown again as soon as it fits at a readable scale.
"""

from __future__ import annotations

from contextlib import contextmanager

from PySide6 import QtCore

START_SCALE = 0.7  # a project opens no smaller than this (10 pt titles at about 9 px)
# ... unless the whole graph fits a little below it (0.69 cut 13 px off the last node)
WHOLE_AT = 0.9 * START_SCALE
_EPS = 1e-6


def united(items) -> QtCore.QRectF:
    """The scene rectangle covering every item."""
    rect = items[0].sceneBoundingRect()
    for item in items[1:]:
        rect = rect.united(item.sceneBoundingRect())
    return rect


class ViewKeeper(QtCore.QObject):
    """Watches the canvas viewer's resizes; `show_start` frames a freshly opened graph."""

    def __init__(self, canvas, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self.viewer = canvas.viewer
        self.start_mode = False  # the start view, not moved by the user since
        self._wanted: QtCore.QRectF | None = None  # the user's range before a clamp
        self._busy = False
        self.viewer.installEventFilter(self)
        self.viewer.view_changed.connect(self._on_viewer_view_changed)

    @contextmanager
    def _adjusting(self):
        """View changes made here are not the user's."""
        self._busy = True
        try:
            yield
        finally:
            self._busy = False

    def _on_viewer_view_changed(self) -> None:
        if not self._busy:  # a pan, a zoom, a fit, a node centred: the user's view now
            self.start_mode = False
            self._wanted = None

    # ---- the start view ------------------------------------------------------
    def show_start(self) -> None:
        """The whole graph when it fits at `WHOLE_AT` or more, else its top at
        `START_SCALE`; resizes apply this again until the user moves the view."""
        items = list(self.canvas.views.values())
        self.start_mode, self._wanted = bool(items), None  # an empty canvas has none
        if items:
            with self._adjusting():
                self._apply_start(items)

    def _apply_start(self, items) -> None:
        self.canvas.fit()
        if self.scale() < WHOLE_AT:
            self.viewer.show_top(items, START_SCALE)

    # ---- resizes ---------------------------------------------------------------
    def eventFilter(self, obj, event):  # noqa: N802 (Qt override)
        if obj is not self.viewer or event.type() != QtCore.QEvent.Resize or self._busy:
            return False
        before = self.scale(), self.viewer.visible_scene_rect()
        with self._adjusting():
            obj.event(event)  # NodeGraphQt fits its range into the new size first
            self._after_resize(*before)
        return True

    def _after_resize(self, before: float, shown: QtCore.QRectF) -> None:
        items = list(self.canvas.views.values())
        size = self.viewer.viewport().size()
        if size.width() < 8 or size.height() < 8:
            return
        if not items:  # the first nodes placed are readable (a 1024x700 window: 0.47)
            if self.scale() < START_SCALE - _EPS:
                self.viewer.show_at(START_SCALE, shown.center())
            return
        if self.start_mode and not self.canvas.selected_ids():
            self._apply_start(items)
            return
        floor = min(before, START_SCALE)
        if self._wanted is None and self.scale() >= floor - _EPS:
            return  # NodeGraphQt's refit is readable
        if self._wanted is not None and self.fit_scale(self._wanted) >= floor - _EPS:
            self.viewer.show_range(self._wanted)  # grown back: the user's range again
            self._wanted = None
            return
        self._wanted = self._wanted or shown
        self.viewer.show_at(floor, self._wanted.center())
        self._keep_selection_in_view(floor)

    def _keep_selection_in_view(self, scale: float) -> None:
        selected = [self.canvas.views[n] for n in self.canvas.selected_ids()
                    if n in self.canvas.views]
        if selected:
            rect = united(selected)
            if not self.viewer.visible_scene_rect().contains(rect):
                self.viewer.show_at(scale, rect.center())

    # ---- the viewer's scale and range -------------------------------------------
    def scale(self) -> float:
        return self.viewer.transform().m11()

    def fit_scale(self, rect: QtCore.QRectF) -> float:
        """The scale at which `rect` just fits the viewport (as the viewer fits a range)."""
        view = self.viewer.viewport().rect().adjusted(2, 2, -2, -2)
        if rect.width() <= 0 or rect.height() <= 0:
            return 0.0
        return min(view.width() / rect.width(), view.height() / rect.height())
