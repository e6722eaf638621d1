"""The code editor of CustomLayer nodes: a button in the properties, a dialog to write in.

The dialog only edits text. It parses the source as you type (`ast`, which runs
nothing) and says whether it defines the node's class; the code itself runs only
after the project is trusted (Edit > Trust Custom Code...).
"""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets

from ...graph.layers import custom
from ..keys import Keys
from .editors import Editor

INDENT = Keys("Indent by Four Spaces (custom layer code)", ("Tab",))

TEMPLATE = '''import keras
from keras import ops


class {name}(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def call(self, inputs):
        return inputs
'''


def code_font() -> QtGui.QFont:
    font = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont)
    font.setPointSize(max(font.pointSize(), 10))
    return font


class CodeTextEdit(QtWidgets.QPlainTextEdit):
    """Plain text in a fixed-width font; Tab inserts four spaces (Python's indent)."""

    def __init__(self, text: str = "", read_only: bool = False, parent=None):
        super().__init__(parent)
        self.setFont(code_font())
        self.setLineWrapMode(QtWidgets.QPlainTextEdit.NoWrap)
        self.setTabChangesFocus(read_only)
        self.setReadOnly(read_only)
        self.setPlainText(text)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if INDENT.pressed(event) and not self.isReadOnly():
            self.insertPlainText("    ")
            return
        super().keyPressEvent(event)


class SourceDialog(QtWidgets.QDialog):
    """A dialog to write Python source in: a note, the editor, a line under it that says
    what the text defines or why it does not parse (`check`), OK and Cancel.
    `source()` once accepted. `check(text)` gives (message, bad)."""

    def __init__(self, title: str, note: str, text: str, check, parent=None,
                 name: str = "code"):
        super().__init__(parent)
        self.check = check
        self.setWindowTitle(title)
        self.resize(720, 560)
        layout = QtWidgets.QVBoxLayout(self)
        label = QtWidgets.QLabel(note)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.edit = CodeTextEdit(text)
        self.edit.setObjectName(f"{name}_text")
        layout.addWidget(self.edit, 1)
        self.problem = QtWidgets.QLabel()
        self.problem.setObjectName(f"{name}_problem")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        self.buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Ok
                                                  | QtWidgets.QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.ok_button = self.buttons.button(QtWidgets.QDialogButtonBox.Ok)
        layout.addWidget(self.buttons)
        self.edit.textChanged.connect(self._on_edit_text_changed)

    def source(self) -> str:
        return self.edit.toPlainText()

    def _say(self, text: str, bad: bool = True) -> None:
        self.problem.setText(text)
        self.problem.setProperty("bad", bad)
        self.problem.style().polish(self.problem)

    def _on_edit_text_changed(self) -> None:
        self._say(*self.check(self.source()))


class CodeEditorDialog(SourceDialog):
    """Edit the source of class `class_name`; `source()` once accepted.

    `registered` (an imported layer without source: `package>Class`) starts the editor
    empty, with a note asking for that class, instead of the template. Load from file...
    takes the class (and the file's import lines) out of a `.py` file, parsed only.
    """

    choose_file = None  # tests give the .py path without a file dialog

    def __init__(self, class_name: str, source: str, parent=None,
                 registered: str | None = None):
        self.class_name = class_name
        wanted = f"the class the model registered as <b>{registered}</b>" if registered \
            else f"a keras.layers.Layer subclass named <b>{class_name}</b>"
        start = source or ("" if registered else TEMPLATE.format(name=class_name))
        super().__init__(f"Code of {class_name}",
                         f"Write or load {wanted}, with the imports it needs. It runs only "
                         "after you trust the project's code (Edit &gt; Trust Custom "
                         "Code...).", start, self._check_class, parent)
        self.setObjectName("CodeEditorDialog")
        self.load_button = self.buttons.addButton("Load from file…",
                                                  QtWidgets.QDialogButtonBox.ActionRole)
        self.load_button.setObjectName("load_file")
        self.load_button.clicked.connect(self.load_from_file)
        self._on_edit_text_changed()

    def _check_class(self, text: str) -> tuple[str, bool]:
        problem = custom.source_problem(self.class_name, text)
        return problem or f"Defines class {self.class_name}.", bool(problem)

    def load_from_file(self) -> None:
        """Put the class from a chosen `.py` file in the editor (the file is parsed, not
        run); a file without the class says so under the editor and changes nothing."""
        from ...runtime.custom_import import read_classes
        from ...runtime.import_map import ModelImportError

        path = (self.choose_file or self._ask_file)()
        if not path:
            return
        try:
            classes = read_classes(path)
        except ModelImportError as exc:
            self._say(str(exc))
            return
        if self.class_name not in classes:
            self._say(f"{path} defines no class {self.class_name} (found: "
                      f"{', '.join(classes) or 'none'})")
            return
        self.edit.setPlainText(classes[self.class_name])

    def _ask_file(self) -> str:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, f"Python source of {self.class_name}", "",
            "Python files (*.py);;All files (*)")
        return path


class CodeEditor(Editor):
    """The `source` row of a CustomLayer: its size, and a button that opens the dialog.

    `class_name` is set by the properties panel (a callable giving the node's class).
    """

    def __init__(self, spec, parent=None):
        super().__init__(spec, parent)
        self.class_name = lambda: "MyLayer"
        self.summary = QtWidgets.QLabel()
        self.button = QtWidgets.QPushButton("Edit code…")
        self.button.setObjectName("edit_code")
        self.button.clicked.connect(self.open_dialog)
        self._layout.addWidget(self.summary, 1)
        self._layout.addWidget(self.button)
        self._value = ""
        self.dialog: CodeEditorDialog | None = None

    def set_value(self, value, explicit) -> None:
        self._value = value or ""
        lines = len(self._value.splitlines())
        self.summary.setText(f"{lines} line{'s' * (lines != 1)}" if lines else "no code yet")

    def open_dialog(self) -> CodeEditorDialog:
        """Open the editor (window-modal); an accepted edit is committed."""
        self.dialog = CodeEditorDialog(self.class_name(), self._value, self.window())
        self.dialog.accepted.connect(self._on_dialog_accepted)
        self.dialog.open()
        return self.dialog

    def _on_dialog_accepted(self) -> None:
        text = self.dialog.source()
        if text != self._value:
            self.committed.emit(text)


# (kind, param) -> editor class, for params a plain line cannot edit.
SPECIAL_EDITORS = {(custom.KIND, "source"): CodeEditor}
