"""The application's look: stylesheet and icons from `resources/`."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from ... import resources

RESOURCES = Path(resources.__file__).resolve().parent  # the installed resources folder


DISABLED_TEXT = (112, 118, 130)


def icon_path(name: str) -> Path:
    return RESOURCES / "icons" / name


def apply_style(app: QtWidgets.QApplication) -> None:
    """Fusion, a dark palette and resources/style.qss (missing files are not an error)."""
    app.setStyle("Fusion")
    palette = QtGui.QPalette()
    colors = {
        QtGui.QPalette.Window: (37, 40, 46), QtGui.QPalette.WindowText: (220, 223, 228),
        QtGui.QPalette.Base: (30, 32, 37), QtGui.QPalette.AlternateBase: (42, 45, 52),
        QtGui.QPalette.Text: (220, 223, 228), QtGui.QPalette.Button: (48, 52, 60),
        QtGui.QPalette.ButtonText: (220, 223, 228), QtGui.QPalette.Highlight: (66, 133, 244),
        QtGui.QPalette.HighlightedText: (255, 255, 255), QtGui.QPalette.ToolTipBase: (50, 54, 62),
        QtGui.QPalette.ToolTipText: (230, 232, 236),
        QtGui.QPalette.PlaceholderText: (130, 136, 148),
    }
    for role, rgb in colors.items():
        palette.setColor(role, QtGui.QColor(*rgb))
    # setColor(role, ...) sets every colour group: disabled text must be set after, or a
    # disabled button or menu entry reads exactly like an enabled one.
    for role in (QtGui.QPalette.WindowText, QtGui.QPalette.Text, QtGui.QPalette.ButtonText):
        palette.setColor(QtGui.QPalette.Disabled, role, QtGui.QColor(*DISABLED_TEXT))
    app.setPalette(palette)
    qss = RESOURCES / "style.qss"
    # The sheet names its images "icons:NAME", wherever the package is installed.
    QtCore.QDir.setSearchPaths("icons", [str(RESOURCES / "icons")])
    if qss.exists():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    icon = icon_path("kerascanvas.svg")
    if icon.exists():
        app.setWindowIcon(QtGui.QIcon(str(icon)))
