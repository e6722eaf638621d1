"""The canvas seen from the window: selection to properties, double-click into a block,
drops from the palette and the clipboard, and the right-click menu."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..blocks.user_blocks import USER_BLOCK
from ..canvas import clipboard
from ..canvas.adapter import PALETTE_MIME
from ..canvas.outputs import add_output_actions
from ..panels.fix_buttons import fix_menu
from .rekind_menu import add_rekind_actions, wrap_on_drop


class CanvasEventsMixin:
    """Mixed into `MainWindow`: what a gesture on the canvas asks of the window."""

    def _on_canvas_selection_changed(self, ids) -> None:
        self.properties.show_selection(ids)

    def _on_canvas_node_activated(self, node_id: str) -> None:
        if self.doc.nodes[node_id].spec.is_block or self.doc.nodes[node_id].kind == USER_BLOCK:
            self.show_block_dialog(node_id)

    def _on_canvas_drop(self, mime, pos) -> None:
        if mime.hasFormat(PALETTE_MIME):
            kind = bytes(mime.data(PALETTE_MIME)).decode()
            if wrap_on_drop(self, kind, pos):
                return
            edge = self.canvas.edge_at(pos)
            if edge is None or self._guarded(self.splice, kind, edge, pos) is None:
                self.add_kind(kind, pos, centred=True)
        elif mime.hasFormat(clipboard.CLIPBOARD_MIME):
            self._paste_text(bytes(mime.data(clipboard.CLIPBOARD_MIME)).decode(), pos)

    def eventFilter(self, obj, event):  # noqa: N802 (Qt override)
        if event.type() == QtCore.QEvent.Resize and hasattr(self, "start_panel"):
            self.place_start_panel()
        if event.type() == QtCore.QEvent.ContextMenu:
            self._select_node_at(event.pos())
            self._show_canvas_menu(event.globalPos(), event.pos())
            return True
        return super().eventFilter(obj, event)

    def _select_node_at(self, view_pos) -> None:
        """A right click on a node outside the selection makes it the selection."""
        node_id = self.canvas.node_at(view_pos)
        if node_id is not None and node_id not in self.canvas.selected_ids():
            self.canvas.select([node_id])

    def _show_canvas_menu(self, global_pos, view_pos=None) -> None:
        menu = QtWidgets.QMenu(self)
        ids = self.canvas.selected_ids()
        if view_pos is not None:
            add_output_actions(self.canvas, menu, view_pos, ids)
        issues = [i for i in self.analysis.issues if i.node in ids and i.fixes]
        if issues:
            for action in fix_menu(menu, issues, self.apply_fix, self.doc).actions():
                action.setText(f"Fix: {action.text()}")
                menu.addAction(action)
            menu.addSeparator()
        add_rekind_actions(self, menu, ids)
        if len(ids) == 1 and self.doc.nodes[ids[0]].spec.is_block:
            menu.addAction(self.actions["show_block_dialog"])
            menu.addAction(self.actions["expand_selected_block"])
        self.user_block_menu(menu, ids)
        for name in ("cut", "copy", "paste", "duplicate", "delete_selected",
                     "dissolve_selected", None,
                     "layout_tb", "layout_lr", "fit"):
            menu.addSeparator() if name is None else menu.addAction(self.actions[name])
        menu.exec(global_pos)

    def focus_node(self, node_id: str) -> None:
        self.canvas.select([node_id], center=True)
