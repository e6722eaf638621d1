"""Getting around: Find node, the overview minimap, the keyboard back after a dialog, a
readable scale when the canvas is resized, fit, zoom and the automatic layout."""

from __future__ import annotations

from ...graph import commands as cmd
from ...graph.layout import layered_layout
from ...graph.layout_labels import label_widths
from ..canvas.find import FindBar
from ..canvas.minimap import MiniMap
from .dialog_focus import DialogFocus
from .preferences import preference, remember
from .view_keeper import ViewKeeper

MINIMAP_KEY = "minimap"  # the preference: whether the overview may show
LAYOUT_TEXT = "Auto layout"  # its name in Undo/Redo, whose view is framed as the layout's


class NavigateMixin:
    """Mixed into `MainWindow`: View › Find Node (Ctrl+Shift+F, F3, Shift+F3), Minimap, Fit,
    Zoom, the layouts and the palette's search."""

    def init_navigation(self) -> None:
        self.find_bar = FindBar(self.canvas)
        self.minimap = MiniMap(self.canvas.viewer, lambda: list(self.canvas.views.values()))
        self.project.events.connect(self.minimap.schedule_redraw)  # moves, edits, loads
        self.canvas.renderer.rendered.connect(self.minimap.schedule_redraw)  # statuses, labels
        self.minimap.enabled_by_user = preference(MINIMAP_KEY, True) is not False
        self.actions["toggle_minimap"].setCheckable(True)  # the menu shows whether it is on
        self.actions["toggle_minimap"].setChecked(self.minimap.enabled_by_user)
        self.dialog_focus = DialogFocus(self, self.canvas.viewer)
        self.view_keeper = ViewKeeper(self.canvas, self)

    def find_node(self, text: str | None = None) -> None:
        """The Find Node bar; with `text` (handed over by the Layers search), searching it."""
        self.find_bar.open_bar()
        if text is not None:
            self.find_bar.field.setText(text)

    def find_next(self) -> None:
        self._find_step(1)

    def find_previous(self) -> None:
        self._find_step(-1)

    def _find_step(self, direction: int) -> None:
        if self.find_bar.matches:  # the last search goes on, with or without the bar
            self.find_bar.step(direction)
            self.show_message(f"Find node: {self.find_bar.count.text()}")
        else:
            self.find_bar.open_bar()

    def toggle_minimap(self) -> None:
        """Turn the overview off, or back on (it shows while part of the graph is hidden)."""
        self.minimap.enabled_by_user = not self.minimap.enabled_by_user
        self.minimap.follow_view()
        self.actions["toggle_minimap"].setChecked(self.minimap.enabled_by_user)
        remember(MINIMAP_KEY, self.minimap.enabled_by_user)  # the next window starts so too
        self.show_message("Minimap " + ("on" if self.minimap.enabled_by_user else "off"))

    def fit(self) -> None:
        self.canvas.fit()

    def zoom_in(self) -> None:
        self.canvas.graph.set_zoom(self.canvas.graph.get_zoom() + 0.1)

    def zoom_out(self) -> None:
        self.canvas.graph.set_zoom(self.canvas.graph.get_zoom() - 0.1)

    def layout_tb(self) -> None:
        self.auto_layout("TB")

    def layout_lr(self) -> None:
        self.auto_layout("LR")

    def auto_layout(self, direction: str = "TB") -> None:
        """Lay the graph out in layers (one undoable "Auto layout") and fit it into view."""
        positions = layered_layout(self.doc, direction, self.canvas.node_sizes(),
                                   aspect=self.canvas.view_aspect(),
                                   labels=label_widths(self.doc))
        if positions:
            self.stack.push(cmd.Move(self.doc, positions, text=LAYOUT_TEXT))
        self.fit()

    def focus_palette(self) -> None:
        self.palette_dock.show()
        self.palette.focus_search()
