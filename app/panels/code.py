"""The code panel: live generated Keras code, syntax highlighted, with a style selector."""

from __future__ import annotations

import keyword
import re
import textwrap

from PySide6 import QtCore, QtGui, QtWidgets

from ...codegen import STYLES, CodegenError, generate
from ...codegen.plan import make_plan
from ...codegen.sequential import sequential_problem
from ...graph.training_schema import refused_training
from ..training.flow_row import FlowRow
from .shown import on_screen


def _format(color: str, bold: bool = False, italic: bool = False) -> QtGui.QTextCharFormat:
    fmt = QtGui.QTextCharFormat()
    fmt.setForeground(QtGui.QColor(color))
    if bold:
        fmt.setFontWeight(QtGui.QFont.Bold)
    fmt.setFontItalic(italic)
    return fmt


class PythonHighlighter(QtGui.QSyntaxHighlighter):
    """Keywords, builtins-ish names, numbers, strings and comments; one line at a time."""

    RULES = (
        (r"\b(" + "|".join(keyword.kwlist) + r")\b", _format("#c792ea", bold=True)),
        (r"\b(keras|layers|ops|Model|Input|Sequential)\b", _format("#82aaff")),
        (r"\b[A-Z][A-Za-z0-9_]*(?=\()", _format("#ffcb6b")),
        (r"\b\d+(\.\d+)?([eE][-+]?\d+)?\b", _format("#f78c6c")),
        (r"\bself\b", _format("#ff5370", italic=True)),
        (r"(\"[^\"\n]*\"|'[^'\n]*')", _format("#c3e88d")),
        (r"#[^\n]*", _format("#697098", italic=True)),
    )

    def __init__(self, document):
        super().__init__(document)
        self._rules = [(re.compile(p), f) for p, f in self.RULES]

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt override)
        for pattern, fmt in self._rules:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), fmt)


DISABLED_TEXT = QtGui.QColor("#6b7079")  # a style that cannot write the graph, in the list

EMPTY = "The project is empty; its code appears here as you add and wire layers."


def generate_code(doc, style: str, script: bool = False, analysis=None) -> tuple[str, bool]:
    """(text, ok): the generated source, or the CodegenError message when it cannot be made.

    `analysis` is the document's current analysis, when one is at hand (no second validation).
    A training script is refused, with `kerascanvas run`'s message, for settings that `run`
    refuses: it would train with them.
    """
    if not doc.nodes:  # a start, not errors (the Issues list and the status bar say none)
        return commented("No code yet:", EMPTY), False
    refused = refused_training(doc) if script else None
    if refused:
        return commented("Cannot generate the training script:", refused), False
    try:
        return generate(doc, style=style, script=script, analysis=analysis), True
    except CodegenError as exc:
        return commented(f"Cannot generate {style} code:", str(exc)), False


def style_problems(doc, analysis=None) -> dict[str, str]:
    """The styles that cannot write `doc`'s model, with why. A graph with errors is left
    out: every style stops at them, and the code says what they are."""
    try:
        plan = make_plan(doc, analysis) if doc.nodes else None
    except CodegenError:
        plan = None
    problem = sequential_problem(plan) if plan is not None else None
    return {"sequential": problem} if problem else {}


def commented(title: str, text: str) -> str:
    """`title` and `text` as comment lines wrapped to fit the panel (72 characters), so a
    long reason is read without scrolling sideways; a "  - item" line keeps its indent."""
    lines = [f"# {title}"]
    for line in text.splitlines():
        indent = " " * (len(line) - len(line.lstrip()))
        more = indent + ("  " if line.lstrip().startswith("- ") else "")
        lines += [f"# {part}" for part in textwrap.wrap(
            line, 72, initial_indent="", subsequent_indent=more, break_long_words=False,
            break_on_hyphens=False, drop_whitespace=True) or [""]]
    return "\n".join(lines)


class CodePanel(QtWidgets.QWidget):
    """Read-only code view; regenerates shortly after the document stops changing."""

    status_message = QtCore.Signal(str)  # what Copy copied

    def __init__(self, project, parent=None):
        super().__init__(parent)
        self.project = project
        self.style_box = QtWidgets.QComboBox()
        self.style_box.addItems(list(STYLES))
        # An item delegate draws an item's own colour (a disabled style's grey, `_mark_styles`).
        self.style_box.setItemDelegate(QtWidgets.QStyledItemDelegate(self.style_box))
        # Compact controls: this panel shares the right dock with Properties, and its bar's
        # width is that dock's minimum, taken from the canvas (so the bar wraps, `FlowRow`:
        # in one row it held the dock at 297 px, a third of the canvas on a 1024 px screen).
        self.script_box = QtWidgets.QCheckBox("training script")
        self.script_box.setToolTip("Generate a full training script, not only the model")
        self.copy_button = QtWidgets.QToolButton(text="Copy")
        self.copy_button.setToolTip("Copy the code to the clipboard")
        self.text = QtWidgets.QPlainTextEdit(readOnly=True)
        self.text.setObjectName("Code")
        self.text.setLineWrapMode(QtWidgets.QPlainTextEdit.NoWrap)
        font = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont)
        self.text.setFont(font)
        self.highlighter = PythonHighlighter(self.text.document())
        bar = FlowRow()
        for widget in (QtWidgets.QLabel("Style"), self.style_box, self.script_box,
                       self.copy_button):
            bar.addWidget(widget)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.text)
        self.ok = False
        self._timer = QtCore.QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self.regenerate)
        self.style_box.currentTextChanged.connect(self.regenerate)
        self.script_box.toggled.connect(self.regenerate)
        self.copy_button.clicked.connect(self._on_copy_clicked)

    def schedule(self) -> None:
        """Regenerate shortly, or when the panel is next seen (not behind another tab)."""
        if on_screen(self):
            self._timer.start()
        else:
            self._stale = True

    def showEvent(self, event):  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.on_dock_visibility_changed(True)

    def on_dock_visibility_changed(self, visible: bool) -> None:
        if visible and getattr(self, "_stale", True):
            self._stale = False
            self.regenerate()

    def regenerate(self) -> None:
        text, self.ok = generate_code(self.project.doc, self.style_box.currentText(),
                                      self.script_box.isChecked(), self.project.analysis)
        if text != self.text.toPlainText():
            bar = self.text.verticalScrollBar()
            keep = bar.value()
            self.text.setPlainText(text)
            bar.setValue(keep)
        self._mark_styles(style_problems(self.project.doc, self.project.analysis))

    def _mark_styles(self, problems: dict[str, str]) -> None:
        """A style that cannot write the model stays listed, disabled, its reason the tip."""
        model = self.style_box.model()
        for row, style in enumerate(STYLES):
            item = model.item(row)
            item.setEnabled(style not in problems)
            item.setData(DISABLED_TEXT if style in problems else None, QtCore.Qt.ForegroundRole)
            item.setToolTip(f"Not for this graph: {problems[style]}" if style in problems
                            else "")

    def _on_copy_clicked(self) -> None:
        code = self.text.toPlainText()
        QtWidgets.QApplication.clipboard().setText(code)
        what = "training script" if self.script_box.isChecked() else \
            f"{self.style_box.currentText()} code"
        self.status_message.emit(f"Copied {len(code.splitlines())} lines of {what}")
