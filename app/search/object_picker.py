"""The Search tab's picker of an object's argument: the node parameters that hold a
configured initializer, regularizer or constraint (`dense.kernel_regularizer: L2(...)`),
the arguments of that object's class (`l2 = 0.0001`), and "+ argument", which searches
the picked argument with a first range (`graph.search_edit.suggest_range`).

Only arguments a search can vary are offered: numbers, and arguments with a closed set
of values (a mode, a flag); seeds, axes and window names are left out. A parameter
whose object has none of them (`glorot_uniform`, `zeros`, no regularizer) is not listed.
Behind another dock tab the list waits (a scan of every node's parameters), and is made
when the tab comes to the front.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ...graph.object_params import object_text
from ...graph.search import key_of
from ...graph.search_edit import entry_for
from ...graph.search_objects import OBJECT_TYPES, argument_value, class_of, object_of
from ..panels.shown import WhenShown

SEARCHABLE_ARGS = ("number", "positive", "nonneg", "choice", "bool")


def object_params(doc) -> list[tuple[tuple[str, str], str, list[tuple[str, object]]]]:
    """((node id, param), the object's text, [(argument, its value), ...]) of every node
    parameter that holds an object with arguments a search can vary, in node order."""
    found = []
    for node_id, node in doc.nodes.items():
        for spec in _object_specs(node.spec):
            value = node.params.get(spec.name, spec.start_value())
            cls = class_of(spec.type, value)
            args = [(a.name, argument_value(spec.type, value, a.name))
                    for a in (cls.args if cls else ()) if a.type in SEARCHABLE_ARGS]
            if args:
                found.append(((node_id, spec.name), object_text(object_of(spec.type, value)),
                              args))
    return found


def _object_specs(layer_spec) -> list:
    """The object ParamSpecs of a layer kind (kept per kind: a scan of each kind's
    params once, not once per node and edit)."""
    kept = _KIND_OBJECT_SPECS.get(id(layer_spec))
    if kept is None or kept[0] is not layer_spec:  # a user block's spec may be new
        kept = (layer_spec, [p for p in layer_spec.params if p.type in OBJECT_TYPES])
        _KIND_OBJECT_SPECS[id(layer_spec)] = kept
    return kept[1]


_KIND_OBJECT_SPECS: dict[int, tuple] = {}  # id(LayerSpec) -> (it, its object params)


def _short(value) -> str:
    """A value as its argument's row shows it: a float a search chose (1.3984243374240908e-05)
    to four digits (1.398e-05), anything else as written."""
    text = repr(value)
    return f"{value:.4g}" if isinstance(value, float) and len(text) > 8 else text


class ObjectArgumentPicker(QtWidgets.QWidget):
    """Two combos (parameter, argument) and "+ argument"; `picked(target)` asks to
    search (node id, param, argument)."""

    picked = QtCore.Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self._shown = WhenShown()  # listing waits while the tab is behind (`follow`)
        self._found: list | None = None  # none listed yet: the first show fills the boxes
        self.param_box = QtWidgets.QComboBox(objectName="SearchObjectParam")
        self.param_box.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.param_box.setMinimumContentsLength(14)
        self.param_box.setToolTip("A node parameter that holds a configured initializer, "
                                  "regularizer or constraint")
        self.arg_box = QtWidgets.QComboBox(objectName="SearchObjectArgument")
        self.arg_box.setSizeAdjustPolicy(  # a new value's text is shown whole, not cut
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.arg_box.setToolTip("The argument of that object's class to search")
        self.add_button = QtWidgets.QPushButton("+ argument", objectName="SearchAddArgument")
        self.param_box.currentIndexChanged.connect(self._on_param_box_changed)
        self.arg_box.currentIndexChanged.connect(self._update_button)
        self.add_button.clicked.connect(self._on_add_button_clicked)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.param_box, 1)
        row.addWidget(self.arg_box)
        row.addWidget(self.add_button)

    def follow(self, dock) -> None:
        """List the parameters only while `dock` can be seen (see the module doc)."""
        self._shown.follow(dock)

    def show_doc(self, doc) -> None:
        """List `doc`'s object parameters again, keeping the picked one where it stays."""
        self.doc = doc
        self._shown.run(self._list)

    def _list(self) -> None:
        doc = self.doc
        found = object_params(doc)
        texts = [f"{key_of(doc, target)}: {text}" for target, text, _ in found]
        if found == self._found and texts == self._texts():
            self._update_button()
            return
        kept = self.target()
        self._found = found
        with QtCore.QSignalBlocker(self.param_box):
            self.param_box.clear()
            for i, (text, (target, _, _)) in enumerate(zip(texts, found, strict=True)):
                self.param_box.addItem(text, target)
                self.param_box.setItemData(i, text, QtCore.Qt.ToolTipRole)
            # the list shows whole names, however narrow the box beside the arguments is
            self.param_box.view().setMinimumWidth(self.param_box.view().sizeHintForColumn(0))
            at = self.param_box.findData(kept[:2]) if kept else -1
            self.param_box.setCurrentIndex(max(at, 0) if found else -1)
        self.param_box.setEnabled(bool(found))
        if not found:
            self.param_box.setPlaceholderText("no configured object in the graph")
        self._fill_args(kept[2] if kept else None)

    def _texts(self) -> list[str]:
        return [self.param_box.itemText(i) for i in range(self.param_box.count())]

    def target(self) -> tuple[str, str, str] | None:
        """(node id, param, argument) picked now, or None."""
        param, arg = self.param_box.currentData(), self.arg_box.currentData()
        return None if param is None or arg is None else (*param, arg)

    def _fill_args(self, keep: str | None = None) -> None:
        row = self.param_box.currentIndex()
        args = self._found[row][2] if 0 <= row < len(self._found or ()) else []
        with QtCore.QSignalBlocker(self.arg_box):
            self.arg_box.clear()
            for i, (name, value) in enumerate(args):
                self.arg_box.addItem(f"{name} = {_short(value)}", name)
                self.arg_box.setItemData(i, f"{name} = {value!r}", QtCore.Qt.ToolTipRole)
            at = self.arg_box.findData(keep) if keep else -1
            self.arg_box.setCurrentIndex(max(at, 0) if args else -1)
        self.arg_box.setEnabled(bool(args))
        self._update_button()

    def _on_param_box_changed(self, _index: int) -> None:
        self._fill_args()

    def _update_button(self, *_args) -> None:
        target = self.target()
        searched = target is not None and entry_for(self.doc, target) is not None
        self.add_button.setEnabled(target is not None and not searched)
        self.add_button.setToolTip(
            "Pick a parameter that holds a configured object" if target is None else
            f"{key_of(self.doc, target)} is searched already (its row is above)" if searched
            else f"Search {key_of(self.doc, target)}: its range can be edited in its row")

    def _on_add_button_clicked(self) -> None:
        target = self.target()
        if target is not None:
            self.picked.emit(target)
