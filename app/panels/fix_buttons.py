"""The one-click fixes of an issue as widgets: its row of buttons, their tooltips, and the
canvas's Fix menu."""

from __future__ import annotations

import html

from PySide6 import QtWidgets

from ...graph.fixes import fix_label

BUTTON_MARGIN = 1  # above and below a row's fix buttons


def fix_labels(issue, doc=None) -> tuple[str, ...]:
    """The labels of the buttons of `issue`'s fixes (some name the layers of `doc` they
    change)."""
    return tuple(fix_label(code, issue, doc) for code in issue.fixes)


def button_box(issue, labels: tuple[str, ...] | None = None, doc=None) -> QtWidgets.QWidget:
    """A row of one button per fix (of `issue`, or of these `labels`, to measure them)."""
    box = QtWidgets.QWidget()
    row = QtWidgets.QHBoxLayout(box)
    row.setContentsMargins(2, BUTTON_MARGIN, 2, BUTTON_MARGIN)
    row.setSpacing(4)
    pairs = zip(issue.fixes, fix_labels(issue, doc), strict=True) if issue is not None else \
        (("", label) for label in labels)
    for code, label in pairs:
        button = QtWidgets.QPushButton(label)
        button.setObjectName(f"fix:{code}")
        if issue is not None:
            button.setToolTip(fix_tooltip(code, issue, doc))
        row.addWidget(button)
    return box


def fix_tooltip(code: str, issue, doc=None) -> str:
    return wrapped_tip(f"{fix_label(code, issue, doc)}: fixes {issue.message}")


def wrapped_tip(text: str) -> str:
    """`text` as a tooltip that wraps: Qt wraps rich-text tooltips only, so a long plain
    message was one line as wide as itself, cut off at the screen's edge. Escaped, so a
    message quoting `<` or `&` shows as written."""
    return f"<p>{html.escape(text)}</p>"


def fix_menu(parent, issues, apply, doc=None) -> QtWidgets.QMenu:
    """A menu with one action per fix offered by `issues` (labelled with the names of the
    nodes of `doc` they change); choosing one calls apply(issue, code)."""
    menu = QtWidgets.QMenu("Fix", parent)
    for issue in issues:
        for code in issue.fixes:
            action = menu.addAction(fix_label(code, issue, doc))
            action.setToolTip(issue.message)
            action.triggered.connect(lambda _=False, i=issue, c=code: apply(i, c))
    return menu
