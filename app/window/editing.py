"""Editing the graph from the window: add, splice, clipboard, undo, fixes, block expansion."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ...graph import commands as cmd
from ...graph.dissolve import dissolve_nodes
from ...graph.document import Edge
from ...graph.errors import KerasCanvasError
from ...graph.layers import custom
from ..blocks.user_blocks import USER_BLOCK, split_palette_kind
from ..blocks.view import BlockDialog
from ..canvas import clipboard
from ..canvas.pipes import batched_pipes
from . import main_thread_gc
from .navigate import LAYOUT_TEXT


class EditMixin:
    """Mixed into `MainWindow`: every edit goes through the undo stack (`self.stack`)."""

    def add_kind(self, kind: str, pos=None, centred: bool = False) -> str:
        """Place a new node of `kind` at `pos` (its top-left corner, or its centre when
        `centred`: a node dropped from the palette lands centred on the pointer, at its
        drawn size); without one (a double-click or Enter in the palette), after the one
        selected node and wired from it when it takes an input (a chain is built by
        typing), else at the view centre, on free ground. One undo step; the new node is
        selected."""
        kind, params = split_palette_kind(kind)
        if pos is not None and not centred:
            node = self.stack.push(cmd.AddNode(self.doc, kind, params=params, pos=pos))
            self.canvas.select([node.id])
            return node.id
        # Placed at the size it is drawn, in the one undo step: added, measured, then moved
        # to its place (as the next layer of a chain it is centred on the one before).
        source = self._chain_source() if pos is None else None
        with self.stack.macro(f"Add {kind}"):
            node = self.stack.push(cmd.AddNode(self.doc, kind, params=params))
            size = self.measure([node.id])[node.id]
            place = self._new_node_place(size) if pos is None else \
                (pos[0] - size[0] / 2, pos[1] - size[1] / 2)
            self.stack.push(cmd.Move(self.doc, {node.id: place}))
            if source is not None and node.spec.max_inputs != 0:
                self.stack.push(cmd.Connect(self.doc, Edge(source, 0, node.id, 0)))
        self.canvas.select([node.id])
        if pos is None:  # a chain grown by name runs off the view's edge: follow it
            self.canvas.show_nodes([node.id], moving_only=True)
        # (a drop stays where the hand put it, the view too, even by the canvas' edge)
        return node.id

    def _chain_source(self) -> str | None:
        """The one selected node, which a layer added by name follows and is wired from."""
        selected = self.canvas.selected_ids()
        return selected[0] if len(selected) == 1 and selected[0] in self.doc.nodes else None

    def _new_node_place(self, size: tuple[float, float]) -> tuple[float, float]:
        """Where a node of `size` added from the palette goes: after the selected node, as
        the next layer of a chain, or at the view centre, moved aside until it covers no
        node."""
        from ...graph.placement import after, free_spot

        sizes = self.canvas.node_sizes()
        selected = self.canvas.selected_ids()
        if len(selected) == 1 and self.doc.position(selected[0]) is not None:
            return after(self.doc, selected[0], size, sizes)
        x, y = self.canvas.scene_center()
        return free_spot(self.doc, (x - size[0] / 2, y - size[1] / 2), size, sizes)

    def splice(self, palette_kind: str, edge, at=None) -> str | None:
        """Put a new node on a wire when it takes exactly one input, where on the wire it
        was dropped (`at`, a scene point); its id, else None."""
        from ...graph.fixes import insert_on_edge
        from ...graph.spec import get_spec

        kind, params = split_palette_kind(palette_kind)
        spec = get_spec(kind)
        if spec.min_inputs > 1 or spec.max_inputs == 0:
            return None
        node_id = insert_on_edge(self.doc, self.stack, edge, kind, params, self.measure,
                                 self.canvas.node_sizes(), at)
        self.canvas.select([node_id])
        return node_id

    def measure(self, node_ids) -> dict[str, tuple[float, float]]:
        """The sizes the canvas will draw these nodes at, measured from the document as it
        is now (mid-edit too): an edit lays new nodes out at them in its one undo step."""
        from ..canvas.measure import drawn_sizes

        return drawn_sizes(self.doc, self.analysis, node_ids)

    def undo(self) -> None:
        """Undo; nodes it brings back (an undone delete or cut) are left selected, as Qt's
        views do, so that they can be moved again at once."""
        self._selecting_new(self.stack.undo_text, self.stack.undo)

    def redo(self) -> None:
        """Redo; nodes it brings back (a redone add, paste or duplicate) are selected too."""
        self._selecting_new(self.stack.redo_text, self.stack.redo)

    def _selecting_new(self, text: str, step) -> None:
        before = set(self.doc.nodes)
        self._framed(text, step)
        back = [n for n in self.doc.nodes if n not in before]
        if back:
            self.canvas.select(back)
        main_thread_gc.settle()  # the nodes brought back out of the young generations

    def _framed(self, text: str, step) -> None:
        """Undo or redo; an auto layout's undo and redo frame the graph as the layout did:
        its nodes move far from the view, which showed an empty canvas."""
        self._guarded(step)
        if text == LAYOUT_TEXT:
            self.fit()

    def _guarded(self, fn, *args):
        try:
            return fn(*args)
        except KerasCanvasError as exc:
            self.show_refusal(str(exc))
            return None

    def delete_selected(self) -> None:
        """Delete the selected nodes; with none selected, the selected wires (a click on a
        wire selects it)."""
        ids = self.canvas.selected_ids()
        if ids:
            clipboard.delete_nodes(self.doc, self.stack, ids)
            return
        edges = [e for e in self.canvas.selected_edges() if e in self.doc.edges]
        if edges:
            with self.stack.macro("Delete wire" if len(edges) == 1 else "Delete wires"):
                for edge in edges:
                    self.stack.push(cmd.Disconnect(self.doc, edge))

    def dissolve_selected(self) -> None:
        """Delete the selected nodes, wiring each one's input on to what it fed
        (`graph.dissolve`): Dropout taken out of pool -> dropout -> flatten leaves
        pool -> flatten."""
        ids = self.canvas.selected_ids()
        if ids:
            dissolve_nodes(self.doc, ids, self.stack)

    def copy(self) -> bool:
        ids = self.canvas.selected_ids()
        if not ids:
            return False
        text = clipboard.selection_json(self.doc, ids)
        mime = QtCore.QMimeData()
        mime.setData(clipboard.CLIPBOARD_MIME, text.encode())
        mime.setText(text)
        QtWidgets.QApplication.clipboard().setMimeData(mime)
        return True

    def cut(self) -> None:
        if self.copy():
            self.delete_selected()

    def paste(self) -> None:
        mime = QtWidgets.QApplication.clipboard().mimeData()
        if mime is None:
            return
        if mime.hasFormat(clipboard.CLIPBOARD_MIME):
            text = bytes(mime.data(clipboard.CLIPBOARD_MIME)).decode()
        else:
            text = clipboard.parse_clipboard(mime.text())
        if text:
            self._paste_text(text, self.canvas.cursor_scene_pos())

    def _paste_text(self, text: str, at=None) -> None:
        origins: dict[str, str] = {}
        with batched_pipes():  # each new wire drawn once, not once per node it joins
            ids = self._guarded(clipboard.paste_json, self.doc, self.stack, text, at,
                                self.measure, self.canvas.node_sizes(), origins)
            if ids:  # a copy's wire drawn as its original's where routing gives that
                self.canvas.pasted(origins)
        if ids:
            self.canvas.select(ids)
            self.canvas.show_nodes(ids, moving_only=True)  # a copy put beside may be off view
        main_thread_gc.settle()  # the copies out of the young generations

    def duplicate(self) -> None:
        ids = self.canvas.selected_ids()
        if ids:
            self._paste_text(clipboard.selection_json(self.doc, ids))

    def select_all(self) -> None:
        self.canvas.select(list(self.doc.nodes))

    def apply_fix(self, issue, code: str) -> None:
        from ...graph.fixes import apply_fix

        if code == custom.ATTACH_FIX:  # needs the user: the code editor, a file chooser
            self.attach_source(issue.node)
            return
        if code == custom.TRUST_FIX:  # the user reads the code first
            self.trust_custom_code()
            return
        before = set(self.doc.nodes)
        try:
            apply_fix(self.doc, issue, code, self.stack, self.measure,
                      self.canvas.node_sizes())
        except KerasCanvasError as exc:
            self.show_refusal(str(exc))
            return
        if issue in getattr(self, "data_issues", []):  # a run's finding, answered: the next
            self.data_issues.remove(issue)             # run checks the data again
            self.refresh_panels()
        added = [n for n in self.doc.nodes if n not in before]
        if added:
            self.canvas.select(added)
            self.canvas.show_nodes(added, moving_only=True)  # put beside, it may be off view
        # The keys go to the graph next (Ctrl+Z undoes the fix, Delete removes the node):
        # a Fix button goes with its row, and Qt gave its focus to the next widget in the
        # chain, a Properties field whose text the next key replaced.
        self.canvas.viewer.setFocus(QtCore.Qt.OtherFocusReason)

    def fix_selected(self) -> None:
        ids = self.canvas.selected_ids()
        issues = [i for i in self.analysis.issues if i.node in ids and i.fixes]
        if issues:
            self.apply_fix(issues[0], issues[0].fixes[0])
        else:
            self.show_message("The selection has no problem with an automatic fix")

    def show_block_dialog(self, node_id: str | None = None) -> None:
        node_id = node_id or next(iter(self.canvas.selected_ids()), None)
        if node_id is not None and self.doc.nodes[node_id].kind == USER_BLOCK:
            self.show_user_block(node_id)
            return
        if node_id is None or not self.doc.nodes[node_id].spec.is_block:
            self.show_message("Select a block node to see its contents")
            return
        dialog = BlockDialog(self.doc, node_id, self.analysis, self)
        dialog.expand_requested.connect(lambda: self.expand_block(node_id))
        dialog.open()

    def expand_selected_block(self) -> None:
        ids = self.canvas.selected_ids()
        node = self.doc.nodes[ids[0]] if len(ids) == 1 else None
        if node is not None and (node.spec.is_block or node.kind == USER_BLOCK):
            self.expand_block(ids[0])
        else:
            self.show_message("Select one block node to expand it")

    def expand_block(self, node_id: str) -> None:
        """Replace a block node by its layers: a built-in block's expansion, or the layers
        of the user's block (its definition stays, for the other instances)."""
        from ...graph.fixes import expand_block
        from ...graph.userblock_commands import expand_instance

        # Its drawn size: the nodes after it are those beyond its end as drawn (rows laid
        # out closer than the size a node is assumed to have stayed under the expansion).
        size = self.canvas.node_sizes().get(node_id)
        if self.doc.nodes[node_id].kind == USER_BLOCK:
            ids = self._guarded(expand_instance, self.doc, self.stack, node_id, size,
                                self.measure)
        else:
            ids = self._guarded(expand_block, self.doc, node_id, self.stack, size,
                                self.measure)
        if ids:
            self.canvas.select(ids)
            self.canvas.show_nodes(ids)
