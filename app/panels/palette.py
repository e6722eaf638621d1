"""The palette: every kind of the LayerSpec table, grouped by category, with a search box.

An "Applications" group lists each keras.applications architecture, as kind text
"Application:<architecture>"; the document's own blocks follow in a "My blocks" group
(`set_user_blocks`), as "UserBlock:<name>" (see `blocks.user_blocks.split_palette_kind`).
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ...graph.layers.shared import KIND as SHARED_CALL
from ...graph.spec import APPLICATION, CATEGORIES, LAYER_SPECS
from ...graph.userblocks import KIND as USER_BLOCK
from ..canvas.adapter import PALETTE_MIME
from ..keys import Keys
from .palette_rank import nearness

KIND_ROLE = QtCore.Qt.UserRole + 1
ORDER_ROLE = QtCore.Qt.UserRole + 2  # the row's place in the unfiltered tree
# In the search field: Up and Down move the mark while typing (`eventFilter`), and Enter adds
# the marked layer (the field's returnPressed, which Return and Enter both send)
MARK_NEXT = Keys("Mark the Next Layer (Layers search)", ("Down",))
MARK_PREVIOUS = Keys("Mark the Previous Layer (Layers search)", ("Up",))
ADD_MARKED = Keys("Add the Marked Layer (Layers search)", ("Return", "Enter"))
LEAVE_SEARCH = Keys("Clear the Search, Back to the Canvas (Layers search)", ("Escape",))
MY_BLOCKS = "My blocks"
# Each keras.applications architecture, placed as an Application node of that architecture
APPLICATIONS = "Applications"
# Placed another way: SharedCall only by import, UserBlock from a "My blocks" entry.
UNLISTED = frozenset({SHARED_CALL, USER_BLOCK})
# Names up to this length (AdaptiveAveragePooling1D) show whole at the palette's opening width;
# longer ones elide in the middle, so the canvas keeps most of the window.
WHOLE_NAME = 24
INDENT = 12  # px an entry sits right of its group's arrow


class PaletteTree(QtWidgets.QTreeWidget):
    """The tree itself; dragging an item carries its kind to the canvas."""

    def mimeData(self, items):
        mime = QtCore.QMimeData()
        kind = items[0].data(0, KIND_ROLE) if items else None
        if kind:
            mime.setData(PALETTE_MIME, kind.encode())
            # NodeGraphQt's viewer only accepts drags that carry text/plain.
            mime.setText(f"kerascanvas:{kind}")
        return mime

    def mimeTypes(self):
        return [PALETTE_MIME, "text/plain"]


class PalettePanel(QtWidgets.QWidget):
    """Search box over a category tree. `kind_activated` fires on double-click or Enter."""

    kind_activated = QtCore.Signal(str)
    # Enter on a text no layer kind matches: a node's name, typed here after Ctrl+F
    find_node_requested = QtCore.Signal(str)
    # Escape in the search box: it is cleared, and the keyboard goes back to the canvas
    search_left = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.search = QtWidgets.QLineEdit(placeholderText="Search layers…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.tree = PaletteTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QtWidgets.QAbstractItemView.DragOnly)
        self.tree.setRootIsDecorated(True)
        # A narrowed panel keeps each name's end: "Adaptive…Pooling1D", not three
        # identical "AdaptiveAveragePo…".
        self.tree.setTextElideMode(QtCore.Qt.ElideMiddle)
        # Entries sit one step in (under their group): 12 px a step, not the style's 20,
        # so at the narrow panel of a small screen (some 172 px) most names fit whole
        # (80 of some 200 were elided there, ActivityRegularization among them).
        self.tree.setIndentation(INDENT)
        self.no_match = QtWidgets.QLabel(
            "No layer kind matches. Enter finds the nodes named so on the canvas "
            "(View › Find Node, Ctrl+Shift+F).")
        self.no_match.setObjectName("Hint")
        self.no_match.setWordWrap(True)
        self.no_match.hide()
        self.user_blocks: dict[str, str] = {}
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.no_match)
        layout.addWidget(self.tree)
        self._populate()
        self.search.textChanged.connect(self._on_search_changed)
        self.search.returnPressed.connect(self._on_search_return)
        self.search.installEventFilter(self)  # Up, Down and Escape (`eventFilter`)
        self.tree.itemActivated.connect(self._on_item_activated)

    def _populate(self) -> None:
        self.tree.clear()
        for category in CATEGORIES:
            kinds = sorted(k for k, s in LAYER_SPECS.items()
                           if s.category == category and k not in UNLISTED)
            self._add_group(category, [(k, k, LAYER_SPECS[k].doc) for k in kinds])
        self._add_group(APPLICATIONS, [
            (name, f"{APPLICATION}:{name}", f"keras.applications.{name} as a base network: "
             f"the {APPLICATION} block with architecture={name} (weights none: never "
             "downloaded)") for name in LAYER_SPECS[APPLICATION].param("architecture").choices])
        self._add_group(MY_BLOCKS, [(name, f"{USER_BLOCK}:{name}", doc)
                                    for name, doc in sorted(self.user_blocks.items())])
        self.tree.expandAll()
        self._on_search_changed(self.search.text())

    def _add_group(self, title: str, entries: list[tuple[str, str, str]]) -> None:
        """A bold group row with one (label, kind text, tooltip) child per entry."""
        if not entries:
            return
        group = QtWidgets.QTreeWidgetItem([title])
        group.setFlags(QtCore.Qt.ItemIsEnabled)
        font = group.font(0)
        font.setBold(True)
        group.setFont(0, font)
        group.setData(0, ORDER_ROLE, self.tree.topLevelItemCount())
        for at, (label, kind, doc) in enumerate(entries):
            item = QtWidgets.QTreeWidgetItem([label])
            item.setData(0, KIND_ROLE, kind)
            item.setData(0, ORDER_ROLE, at)
            # Its full name and what it is first: an elided entry reads whole there.
            tip = f"{label} ({entry_kind(title, kind)})"
            item.setToolTip(0, f"{tip}\n{doc}" if doc else tip)
            group.addChild(item)
        self.tree.addTopLevelItem(group)

    def set_user_blocks(self, blocks: dict[str, str]) -> None:
        """Show the document's own blocks (name -> one-line doc) under "My blocks"."""
        if blocks != self.user_blocks:
            self.user_blocks = dict(blocks)
            self._populate()

    def preferred_width(self) -> int:
        """The width that shows every entry of up to WHOLE_NAME characters whole (with the
        scroll bar and margins). The few longer names (ContrastLimitedAdaptiveHistogram-
        Equalization) elide in the middle rather than take the canvas' width."""
        metrics = self.tree.fontMetrics()
        widest = max((metrics.horizontalAdvance(text) for text in self._entry_texts()
                      if len(text) <= WHOLE_NAME), default=0)
        scrollbar = self.tree.style().pixelMetric(QtWidgets.QStyle.PM_ScrollBarExtent)
        margins = self.layout().contentsMargins()
        return (widest + 2 * self.tree.indentation() + 2 * self.tree.frameWidth() + scrollbar
                + margins.left() + margins.right() + 12)

    def _entries(self) -> list[QtWidgets.QTreeWidgetItem]:
        """Every entry (not the group rows), in tree order."""
        tree = self.tree
        return [tree.topLevelItem(g).child(i) for g in range(tree.topLevelItemCount())
                for i in range(tree.topLevelItem(g).childCount())]

    def _entry_texts(self) -> list[str]:
        return [item.text(0) for item in self._entries()]

    def kinds_shown(self) -> list[str]:
        """The kinds the filter leaves visible, in tree order."""
        return [item.data(0, KIND_ROLE) for item in self._entries() if not item.isHidden()]

    def _on_search_changed(self, text: str) -> None:
        needle = text.strip().lower()
        self._order(needle)
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            any_shown = False
            for i in range(group.childCount()):
                item = group.child(i)
                hit = not needle or needle in item.text(0).lower() \
                    or needle in group.text(0).lower() or needle in item.toolTip(0).lower()
                item.setHidden(not hit)
                any_shown |= hit
            group.setHidden(not any_shown)
        # Expanded once the filter has run: Qt expands no hidden group, and one hidden by
        # a text no kind matches came back collapsed when the search was cleared.
        self.tree.expandAll()
        self.no_match.setVisible(bool(needle) and not self.kinds_shown())
        if needle:  # the entry Enter adds, marked
            self._mark(self.best_match())

    def _order(self, needle: str) -> None:
        """Rows by how near their name is to the text (`palette_rank.nearness`: as typed,
        starting so, a word starting so, anywhere), the tree's order within a tier; the
        group holding the best row first ("relu" lists ReLU first, and ops.relu before
        ops.leaky_relu, so a drag of the first row gives what was typed). No text: the
        tree's own order. Rows taken out of the tree forget being hidden: the filter runs
        after this."""
        def rank(item) -> tuple[int, int]:
            return nearness(item.text(0), needle), item.data(0, ORDER_ROLE)

        tree = self.tree
        groups = [tree.takeTopLevelItem(0) for _ in range(tree.topLevelItemCount())]
        for group in groups:
            group.addChildren(sorted(group.takeChildren(), key=rank))
        groups.sort(key=lambda g: (rank(g.child(0))[0], g.data(0, ORDER_ROLE)))
        tree.addTopLevelItems(groups)

    def _on_search_return(self) -> None:
        kind = self.marked_kind() or self.best_match()
        if kind:
            self.kind_activated.emit(kind)
        elif self.search.text().strip():
            self.find_node_requested.emit(self.search.text().strip())

    def marked_kind(self) -> str | None:
        """The kind of the entry marked in the tree, when the filter shows it."""
        item = self.tree.currentItem()
        if item is None or item.isHidden() or (item.parent() and item.parent().isHidden()):
            return None
        return item.data(0, KIND_ROLE)

    def _mark(self, kind: str | None) -> None:
        item = next((e for e in self._entries() if e.data(0, KIND_ROLE) == kind), None)
        if item is not None:
            self.tree.setCurrentItem(item)
            self.tree.scrollToItem(item)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        if watched is self.search and event.type() == QtCore.QEvent.KeyPress:
            if LEAVE_SEARCH.pressed(event):
                self.search.clear()
                self.search_left.emit()
                return True
            for keys, step in ((MARK_NEXT, 1), (MARK_PREVIOUS, -1)):
                if keys.pressed(event):
                    self._step_mark(step)
                    return True
        return super().eventFilter(watched, event)

    def _step_mark(self, step: int) -> None:
        """Mark the entry shown after (or before) the marked one, stopping at the ends."""
        kinds = self.kinds_shown()
        if not kinds:
            return
        now = self.marked_kind()
        at = kinds.index(now) + step if now in kinds else 0
        self._mark(kinds[max(0, min(at, len(kinds) - 1))])

    def best_match(self) -> str | None:
        """What Enter in the search box adds: the first entry shown, which `_order` puts
        nearest to the text ("MaxPooling2D" is not AdaptiveMaxPooling2D)."""
        shown = self.kinds_shown()
        return shown[0] if shown else None

    def _on_item_activated(self, item, column) -> None:
        kind = item.data(0, KIND_ROLE)
        if kind:
            self.kind_activated.emit(kind)

    def focus_search(self) -> None:
        self.search.setFocus(QtCore.Qt.ShortcutFocusReason)
        self.search.selectAll()


def entry_kind(group: str, kind: str) -> str:
    """What a palette entry places, for its tooltip: "pooling layer", "operation",
    "Application" (a keras.applications base), "block", "my block"."""
    if group == APPLICATIONS:
        return APPLICATION
    if kind.startswith("ops."):
        return "operation"
    return {MY_BLOCKS: "my block", "Blocks": "block"}.get(group, f"{group.lower()} layer")


def palette_icon(color) -> QtGui.QIcon:
    """A small coloured square, used for category rows."""
    pix = QtGui.QPixmap(10, 10)
    pix.fill(QtGui.QColor(*color))
    return QtGui.QIcon(pix)
