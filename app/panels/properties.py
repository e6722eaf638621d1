"""The properties panel: name, model-output flags and dict keys (`node_model`) and one
editor per parameter of a node; with nothing selected, the model's own name and keys
(`model_editor`).

The editors come from the type table in `editors`, the search toggles beside them
from `search_toggles`. A value is coerced through its ParamSpec and the kind's
cross-parameter check before a `SetParam` command is pushed; a refused value is
shown at once with the ParamError message and the editor goes back to the
document's value.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ...graph import commands as cmd
from ...graph import events as ev
from ...graph import percent_fix
from ...graph.document import UNSET
from ...graph.errors import KerasCanvasError, ParamError
from ...graph.layers import shared
from ...graph.layers.operations import shown_dtype
from ...graph.params import to_json
from ...graph.rekind import set_param
from ...graph.userblocks import spec_for_display
from ..canvas.render import count_text, shape_text
from .code_editor import SPECIAL_EDITORS
from .editors import RESET, EscapeReverts, format_value, make_editor
from .field_error import FieldError
from .model_editor import ModelForm
from .node_model import NodeKeys, NodeOutputs
from .owner_editor import OwnerEditor
from .search_toggles import SearchToggles


class PropertiesPanel(QtWidgets.QScrollArea):
    """Shows the selected node; edits become commands on the undo stack."""

    status_message = QtCore.Signal(str)

    def __init__(self, project, parent=None):
        super().__init__(parent)
        self.project = project
        self.doc, self.stack = project.doc, project.stack
        self.node_id: str | None = None
        self.editors: dict = {}
        self.model_form: ModelForm | None = None
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        events = project.events
        events.node_removed.connect(self._on_project_node_removed)
        events.reset.connect(self._on_project_reset)
        events.blocks_changed.connect(self._on_project_blocks_changed)
        events.search_changed.connect(self._on_project_search_changed)
        events.analysis_changed.connect(self._on_project_analysis_changed)
        events.training_changed.connect(self._on_project_analysis_changed)  # initial weights
        for kind in (events.param_changed, events.node_renamed, events.outputs_changed,
                     events.model_changed):
            kind.connect(self._on_project_node_changed)
        self.show_node(None)

    # ---- building -------------------------------------------------------
    def show_selection(self, node_ids: list[str]) -> None:
        """The one selected node's properties, the model's with none selected, or a hint
        saying what a selection of several can do."""
        self.show_node(node_ids[0] if len(node_ids) == 1 else None, model=not node_ids)
        if len(node_ids) > 1:
            self.hint.setText(f"{len(node_ids)} nodes selected. Select one to edit its "
                              "properties; Edit › Make Block (Ctrl+B) makes a block of them.")

    def show_node(self, node_id: str | None, model: bool = True) -> None:
        """A node's properties; with none, a hint (and the model's form, if `model`)."""
        self.node_id = node_id if node_id in self.doc.nodes else None
        self.model_form = None
        self.editors = {}
        self.search_toggles = SearchToggles(self.doc, self.stack, self.node_id)
        self.search_buttons = self.search_toggles.buttons
        body = QtWidgets.QWidget()
        body.setObjectName("PropertiesBody")
        self.form = QtWidgets.QFormLayout(body)
        self.form.setFieldGrowthPolicy(QtWidgets.QFormLayout.AllNonFixedFieldsGrow)
        self.form.setRowWrapPolicy(QtWidgets.QFormLayout.WrapLongRows)
        self.form.setLabelAlignment(QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter)
        if self.node_id is None:
            self.hint = QtWidgets.QLabel("Select a node to edit its properties.")
            self.hint.setObjectName("Hint")
            self.hint.setWordWrap(True)
            self.form.addRow(self.hint)
            if model:
                self.model_form = ModelForm(self.project, self.form, self.form.rowCount())
                self.model_form.status_message.connect(self.status_message)
        else:
            self._build(self.doc.nodes[self.node_id])
        self.setWidget(body)

    def _build(self, node) -> None:
        spec = spec_for_display(self.doc, node)
        title = QtWidgets.QLabel(f"<b>{node.kind}</b><br><span>{spec.doc}</span>")
        title.setObjectName("PropertiesTitle")
        title.setWordWrap(True)
        self.form.addRow(title)
        self.info = QtWidgets.QLabel()
        self.info.setObjectName("Hint")
        self.info.setWordWrap(True)
        self.form.addRow(self.info)
        self.name_edit = QtWidgets.QLineEdit(node.name)
        self.name_edit.editingFinished.connect(self._on_name_edited)
        EscapeReverts(self.name_edit, lambda: self.doc.nodes[node.id].name
                      if node.id in self.doc.nodes else self.name_edit.text())
        self.form.addRow("name", self.name_edit)
        self.outputs = NodeOutputs(self.project, node, self.form)
        self.output_boxes = self.outputs.boxes
        self.output_box = self.output_boxes[0]
        self.keys = NodeKeys(self.project, node.id, self.form, self._refuse)
        for p in spec.params:
            editor = self._make_editor(node, p)
            editor.committed.connect(lambda raw, name=p.name: self._on_committed(name, raw))
            if hasattr(editor, "refused"):  # an editor that checks its text itself
                editor.refused.connect(
                    lambda message, name=p.name: self._on_editor_refused(message, name))
            label = QtWidgets.QLabel(p.name)
            label.setToolTip(p.doc)
            editor.setToolTip(p.doc + ("" if p.required else
                                       f"\nKeras default: {format_value(p.default) or 'None'}"))
            self.form.addRow(label, self.search_toggles.wrap(p, editor))
            self.editors[p.name] = (label, editor)
        self.error = FieldError(self.form, self)
        self.refresh()

    def _make_editor(self, node, p):
        if node.kind == shared.KIND and p.name == shared.OWNER_PARAM:
            return OwnerEditor(p, lambda: [(n.name, n.id) for n in self.doc.nodes.values()
                                           if n.id != node.id and shared.can_own(n)])
        special = SPECIAL_EDITORS.get((node.kind, p.name))
        if special is None:
            return make_editor(p)
        editor = special(p)
        node_id = node.id  # the code editor checks the source against the class name
        editor.class_name = lambda: str(self.doc.nodes[node_id].params.get("class_name", ""))
        return editor

    # ---- refreshing -----------------------------------------------------
    def refresh(self) -> None:
        """Show the document's values (after an undo, a load or an edit elsewhere)."""
        if self.node_id is None or self.node_id not in self.doc.nodes:
            return
        node = self.doc.nodes[self.node_id]
        if self.name_edit.text() != node.name:
            self.name_edit.setText(node.name)
        if not self.outputs.matches():
            # return_state or the like changed the ports: rebuild once the editor that
            # made the change has returned (it is deleted with the panel's body)
            QtCore.QTimer.singleShot(0, self, lambda: self.show_node(self.node_id))
            return
        self.outputs.refresh()
        if not self.keys.matches():  # the model became a list or a dict: rows come or go
            QtCore.QTimer.singleShot(0, self, lambda: self.show_node(self.node_id))
            return
        self.keys.refresh()
        spec = spec_for_display(self.doc, node)
        if set(self.editors) - {p.name for p in spec.params}:
            # A user block's definition changed its params: rebuild the editors.
            self.show_node(self.node_id)
            return
        for name, (label, editor) in self.editors.items():
            p = spec.param(name)
            explicit = name in node.params
            value = node.params[name] if explicit else p.start_value()
            try:
                value = p.coerce(value)
            except ParamError:
                pass
            editor.set_value(value, explicit or p.required or p.type == "bool"
                             or bool(p.allowed))
            font = label.font()
            font.setBold(explicit)
            label.setFont(font)
        self.search_toggles.refresh()
        self.refresh_info()

    def refresh_info(self) -> None:
        if self.node_id is None or not hasattr(self, "info"):
            return
        result = self.project.analysis.results.get(self.node_id)
        if result is None:
            self.info.setText("")
            return
        shapes = ", ".join(shape_text(s) for s in (result.output_shapes or ())) or "?"
        node = self.doc.nodes[self.node_id]
        dtype = shown_dtype(node.kind, node.params)  # an operation's bool or int32 result
        count = count_text(result.count)
        self.info.setText(f"output {shapes}" + (f" {dtype}" if dtype else "")
                          + (f" · {count}" if count else ""))

    # ---- the project's events (the shown node's) -----------------------------
    def _on_project_node_removed(self, event: ev.NodeRemoved) -> None:
        if self.node_id is not None and event.node == self.node_id:
            self.show_node(None)

    def _on_project_reset(self, event: ev.Reset) -> None:
        if self.node_id is not None:
            self.show_node(None)

    def _on_project_blocks_changed(self, event: ev.BlocksChanged) -> None:
        if self.node_id is not None:  # a user block's params may have changed
            self.show_node(self.node_id)

    def _on_project_search_changed(self, event: ev.SearchChanged) -> None:
        if self.node_id is not None:
            self.search_toggles.refresh()

    def _on_project_analysis_changed(self, _event) -> None:
        if self.model_form is not None:  # inputs and outputs may have come or gone
            self.model_form.refresh()

    def _on_project_node_changed(self, event: ev.Event) -> None:
        if self.node_id is not None and event.node in (None, self.node_id):
            self.refresh()

    # ---- edits ------------------------------------------------------------
    def _on_committed(self, name: str, raw) -> None:
        node = self.doc.nodes[self.node_id]
        spec = spec_for_display(self.doc, node)
        p = spec.param(name)
        try:
            if raw is RESET or (raw is not None and not p.required and p.is_default(raw)):
                value = UNSET
                trial = {k: v for k, v in node.params.items() if k != name}
            else:
                value = p.coerce(raw)
                trial = {**node.params, name: value}
            spec.resolve(trial)
        except ParamError as exc:
            meant = percent_fix.fraction(p, raw)  # 50 typed for 0.5
            hint = f" (a fraction: {raw!r}% is {meant!r})" if meant is not None else ""
            self._refuse(str(exc) + hint, near=self.editors[name][0])
            return
        self.error.clear()  # valid, even where it changes nothing: an earlier refusal is over
        current = node.params.get(name, UNSET)
        if value is UNSET and current is UNSET:
            self.refresh()
            return
        if value is not UNSET and current is not UNSET and p.coerce(current) == value:
            return
        # An automatic name follows (an Application's architecture names it).
        set_param(self.doc, self.node_id, name, value if value is UNSET else to_json(value),
                  self.stack)

    def _on_editor_refused(self, message: str, name: str | None = None) -> None:
        """The editor kept the refused text for the user to fix: say why, naming the node."""
        self._say(message, self.editors[name][0] if name in self.editors else None)

    def _refuse(self, message: str, near: QtWidgets.QWidget | None = None) -> None:
        """Say why a value was refused (under `near`'s row) and show the kept value again."""
        self._say(message, near)
        self.refresh()

    def _say(self, message: str, near: QtWidgets.QWidget | None) -> None:
        """Under the field, and on the status bar with the node's name: the bar does not
        show which node the panel is on."""
        node = self.doc.nodes.get(self.node_id)
        named = f"{node.name}: {message}" if node is not None else message
        self.error.say(named, near)
        self.status_message.emit(named)

    def _on_name_edited(self) -> None:
        name = self.name_edit.text().strip()
        node = self.doc.nodes.get(self.node_id)
        if node is None or name == node.name:
            return
        try:
            self.stack.push(cmd.Rename(self.doc, self.node_id, name))
            self.error.clear()
        except KerasCanvasError as exc:
            self._refuse(str(exc), near=self.name_edit)

