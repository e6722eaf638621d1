"""The model's own properties: its Keras name, the dict keys of its inputs and outputs, and
where its initial weights come from (`initial_weights_rows`).

`ModelForm` is what the properties panel shows when nothing is selected, as
`keras.Model(inputs=..., outputs=..., name=...)` reads: the name, then for the inputs
and for the outputs a list or a dict, and in a dict one key per Input and per output.
`NodeKeys` adds the key rows to an Input's or an output node's own properties when
the model takes or returns a dict (`node_model`). Every change is one undoable
command; a refused value is said inline (why, and what was received) and the field
shows the model's value again.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ...graph import commands as cmd
from ...graph import model_keys as mk
from ...graph.errors import KerasCanvasError
from .initial_weights_rows import WeightsRows
from .wheel import guard_wheel

PART_TITLES = {mk.INPUTS: "inputs", mk.OUTPUTS: "outputs"}
STYLES = (("list", False), ("dict", True))


class TextField(QtWidgets.QLineEdit):
    """A line that commits its text when editing ends, if the user changed it, and
    shows the model's value again only when that value changed (not over typing)."""

    committed = QtCore.Signal(str)

    def __init__(self, text: str, name: str, parent=None):
        super().__init__(text, parent)
        self.setObjectName(name)
        self._shown = text
        self.editingFinished.connect(self._on_editing_finished)

    def show_value(self, text: str, force: bool = False) -> None:
        if force or text != self._shown:
            self._shown = text
            self.setText(text)

    def _on_editing_finished(self) -> None:
        if self.text() != self._shown:
            self.committed.emit(self.text().strip())


def push_key(project, part: str, member: str, key: str) -> str | None:
    """Give `member` of `part` the key `key` (one command); the reason it cannot, or None."""
    doc = project.doc
    problem = mk.edit_problem(doc, part, member, key)
    if problem:
        return f"{part[:-1]} {mk.member_label(doc, part, member)!r}: {problem}"
    if (mk.keyed(doc, part) or {}).get(member) != key:
        project.push(cmd.SetModelKeys(doc, part, mk.keys_with(doc, part, member, key),
                                      f"Key {mk.member_label(doc, part, member)} as {key!r}"))
    return None


class ModelForm(QtCore.QObject):
    """The model's name, input and output structure, and keys (nothing selected): rows
    of the panel's form from its row `first` on (rows of its own, not a nested form, so
    that they align with the panel's and wrapped text keeps its height)."""

    status_message = QtCore.Signal(str)

    def __init__(self, project, form: QtWidgets.QFormLayout, first: int):
        super().__init__(form.parentWidget())
        self.project, self.doc = project, project.doc
        self.form, self.first = form, first
        self._build()

    # ---- building -------------------------------------------------------
    def _add(self, *row) -> None:
        self.form.insertRow(self.first + self.rows, *row)
        self.rows += 1

    def _build(self) -> None:
        self.layout_key, self.rows = self._layout_key(), 0
        self.style_combos: dict[str, QtWidgets.QComboBox] = {}
        self.key_fields: dict[tuple[str, str], TextField] = {}
        title = QtWidgets.QLabel("<b>Model</b><br><span>keras.Model(inputs, outputs, name): "
                                 "its name, and whether it takes and returns lists or dicts "
                                 "(one key per input and output).</span>")
        title.setObjectName("PropertiesTitle")
        title.setWordWrap(True)
        self._add(title)
        self.name_field = TextField(self.doc.model_name, "model_name")
        self.name_field.setPlaceholderText("model")
        self.name_field.setToolTip("The Keras name of the model (any text without '/'); "
                                   "empty: 'model'")
        self.name_field.committed.connect(self._on_name_committed)
        self._add("name", self.name_field)
        for part in mk.PARTS:
            self._add_part(part)
        self.weights_rows = WeightsRows(self.project, self._add, self)
        self.error = QtWidgets.QLabel()
        self.error.setObjectName("Error")
        self.error.setWordWrap(True)
        self._add(self.error)

    def _add_part(self, part: str) -> None:
        combo = QtWidgets.QComboBox()
        combo.setObjectName(f"{part}_style")
        for text, as_dict in STYLES:
            combo.addItem(text, as_dict)
        members = mk.members(self.doc, part)
        combo.setEnabled(bool(members))
        combo.setToolTip(f"The model {'takes' if part == mk.INPUTS else 'returns'} a list or "
                         f"a dict of {part}" if members else f"The model has no {part} yet")
        combo.activated.connect(lambda index, part=part: self._on_style_activated(part, index))
        guard_wheel(combo)
        self._add(PART_TITLES[part], combo)
        self.style_combos[part] = combo
        keys = mk.keyed(self.doc, part)
        combo.setCurrentIndex(int(keys is not None))
        for member, key in (keys or {}).items():
            field = TextField(key, f"{part}_key_{member}")
            label = mk.member_label(self.doc, part, member)
            field.setToolTip(f"The key of {part[:-1]} {label!r} in the model's {part} dict")
            field.committed.connect(lambda text, part=part, member=member:
                                    self._on_key_committed(part, member, text))
            self._add(f"key of {label}", field)
            self.key_fields[(part, member)] = field

    def _layout_key(self) -> tuple:
        """What decides the rows: each part's members (and their names) when it is a dict."""
        return tuple((part, tuple((m, mk.member_label(self.doc, part, m))
                                  for m in (mk.keyed(self.doc, part) or {})),
                      bool(mk.members(self.doc, part)))
                     for part in mk.PARTS)

    # ---- refreshing -----------------------------------------------------
    def refresh(self) -> None:
        """Show the model's values; rebuild (once the current signal has returned) when
        its members or their structure changed."""
        if self._layout_key() != self.layout_key:
            QtCore.QTimer.singleShot(0, self, self._rebuild)
            return
        self.name_field.show_value(self.doc.model_name)
        self.weights_rows.refresh()
        for (part, member), field in self.key_fields.items():
            field.show_value((mk.keyed(self.doc, part) or {}).get(member, ""))

    def _rebuild(self) -> None:
        if self._layout_key() == self.layout_key:
            return
        message = self.error.text()
        for _ in range(self.rows):
            self.form.removeRow(self.first)
        self._build()
        self.error.setText(message)

    # ---- edits ------------------------------------------------------------
    def _on_name_committed(self, name: str) -> None:
        """A cleared name gives the model Keras' default name, 'model' (the placeholder);
        the document refuses a name Keras would, and the field shows the model's again."""
        problem = None
        if name != self.doc.model_name:
            problem = self._push(cmd.SetModelName(self.doc, name))
        self._said(problem)
        if problem:
            self.name_field.show_value(self.doc.model_name, force=True)

    def _on_style_activated(self, part: str, index: int) -> None:
        as_dict = bool(self.style_combos[part].itemData(index))
        if as_dict != (mk.keyed(self.doc, part) is not None):
            self._said(self._push(cmd.SetModelKeys(self.doc, part,
                                                   mk.keys_as(self.doc, part, as_dict))))

    def _on_key_committed(self, part: str, member: str, key: str) -> None:
        problem = push_key(self.project, part, member, key)
        self._said(problem)
        if problem:
            self.key_fields[(part, member)].show_value(
                (mk.keyed(self.doc, part) or {}).get(member, ""), force=True)

    def _push(self, command) -> str | None:
        try:
            self.project.push(command)
        except KerasCanvasError as exc:
            return str(exc)
        return None

    def _said(self, problem: str | None) -> None:
        self.error.setText(problem or "")
        if problem:
            self.status_message.emit(problem)
