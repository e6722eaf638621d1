"""What part of the scene the canvas shows: a range fitted into the viewport and shown
by scrolling (a pan moves the pixels drawn already), zooms to fit or to the top of
some items, and centring. A part of `view.CanvasViewer`.
"""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets

PAN_ROOM = 4.0  # scroll room around the shown range, in ranges, before the scene rect moves


class ViewRange:
    """The shown range of a `NodeViewer` (its `_scene_range`), kept by scrolling."""

    # ---- panning scrolls ---------------------------------------------------
    # NodeGraphQt shows its range by making it the scene rect and fitting the view to it, so
    # every pan step was a new transform and a repaint of the whole viewport (about 90 ms
    # for an imported MobileNetV2). Here the scene rect leaves room around the range, the
    # scale is set only when it changes, and the range is shown by scrolling: Qt then moves
    # the pixels already drawn and paints only the strip that comes into view.
    def _update_scene(self):
        area = self._scene_range
        if area.width() <= 0 or area.height() <= 0:
            return
        view = self.viewport().rect().adjusted(2, 2, -2, -2)  # as fitInView: 2 px free
        scale = min(view.width() / area.width(), view.height() / area.height())
        now = self.transform()  # only a scale: the position comes from the scroll bars
        if (not math.isclose(now.m11(), scale, rel_tol=1e-9) or now.m22() != now.m11()
                or now.m12() or now.m21() or now.dx() or now.dy()):
            self.setTransform(QtGui.QTransform.fromScale(scale, scale))
        if not self.sceneRect().contains(area):
            room = PAN_ROOM * max(area.width(), area.height())
            self.setSceneRect(area.adjusted(-room, -room, room, room))
        self.centerOn(area.center())
        self.view_changed.emit()

    def scrollContentsBy(self, dx, dy):  # noqa: N802 (Qt override)
        # Qt scrolls the viewport's child widgets with the picture: the find bar, the
        # minimap and the start panel float over it, so they go back where they were (each
        # is placed again when it is shown). Back to where they were, not moved by
        # (-dx, -dy): while the view changes its scale, and when it repaints all instead of
        # scrolling, Qt does not move them, and the find bar was pushed off its corner.
        # (As siblings of the viewport they would stop Qt from scrolling it at all.)
        floating = [(child, child.pos()) for child in self.viewport().children()
                    if isinstance(child, QtWidgets.QWidget) and child.isVisible()]
        super().scrollContentsBy(dx, dy)
        for child, pos in floating:
            if child.pos() != pos:
                child.move(pos)

    def center_selection(self, nodes=None):
        super().center_selection(nodes)  # sets its range as the scene rect: give room back
        self._update_scene()

    def resizeEvent(self, event):  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.view_changed.emit()

    def show_range(self, rect: QtCore.QRectF) -> None:
        """Show the scene `rect`, fitted into the viewport (2 px free each side)."""
        self._scene_range = QtCore.QRectF(rect)
        self._update_scene()

    def show_at(self, scale: float, centre: QtCore.QPointF) -> None:
        """Show the scene at `scale`, `centre` in the middle of the viewport."""
        size = self.viewport().size()
        width, height = (size.width() - 4) / scale, (size.height() - 4) / scale
        self.show_range(QtCore.QRectF(centre.x() - width / 2, centre.y() - height / 2,
                                      width, height))

    def center_on(self, point: QtCore.QPointF) -> None:
        """Move the view (same zoom) so `point` is in its middle."""
        self._scene_range.translate(point - self._scene_range.center())
        self._update_scene()

    def bring_into_view(self, rect: QtCore.QRectF, margin: float = 40.0) -> None:
        """Move the view (same zoom) by as little as puts the scene `rect` in it, `margin`
        screen pixels free round it where there is room: a chain typed on stays in sight."""
        room = margin / self.transform().m11()
        view = self.visible_scene_rect()
        shift = QtCore.QPointF(_nearest(rect.left() - room, rect.right() + room,
                                        view.left(), view.right()),
                               _nearest(rect.top() - room, rect.bottom() + room,
                                        view.top(), view.bottom()))
        if not shift.isNull():
            self._scene_range.translate(shift)
            self._update_scene()

    def fit_items(self, items, margin: float = 20.0) -> None:
        """Zoom so every item is in view (NodeGraphQt's own fit groups the items: slow)."""
        if not items:
            return
        rect = items[0].sceneBoundingRect()
        for item in items[1:]:
            rect = rect.united(item.sceneBoundingRect())
        self.fit_rect(rect, margin)

    def fit_rect(self, rect: QtCore.QRectF, margin: float = 20.0) -> None:
        """Zoom so the scene `rect` is in view, `margin` free round it, never above 1.1."""
        self._scene_range = rect.adjusted(-margin, -margin, margin, margin)
        self._update_scene()
        if self.get_zoom() > 0.1:
            self.reset_zoom(self._scene_range.center())

    def show_top(self, items, scale: float, margin: float = 20.0) -> None:
        """Zoom to `scale` showing the top of the items: centred when they are narrower
        than the view, from their left edge when wider."""
        rect = items[0].sceneBoundingRect()
        for item in items[1:]:
            rect = rect.united(item.sceneBoundingRect())
        size = self.viewport().size()  # fitInView keeps 2 px free on each side
        width, height = (size.width() - 4) / scale, (size.height() - 4) / scale
        left = (rect.center().x() - width / 2 if rect.width() + 2 * margin <= width
                else rect.left() - margin)
        self.show_range(QtCore.QRectF(left, rect.top() - margin, width, height))

    def center_items(self, items) -> None:
        if items:
            rect = items[0].sceneBoundingRect()
            for item in items[1:]:
                rect = rect.united(item.sceneBoundingRect())
            self._scene_range.translate(rect.center() - self._scene_range.center())
            self._update_scene()

    def scene_center(self) -> tuple[float, float]:
        center = self.mapToScene(self.viewport().rect().center())
        return (center.x(), center.y())

    def visible_scene_rect(self) -> QtCore.QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()


def _nearest(low: float, high: float, start: float, end: float) -> float:
    """How far to move the span [start, end] so that it holds [low, high] (its start when
    it cannot hold it all), by as little as that takes."""
    if low < start or high - low > end - start:
        return low - start
    return max(0.0, high - end)
