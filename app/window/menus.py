"""Menus and keyboard shortcuts of the main window (every shortcut is shown in its menu)."""

from __future__ import annotations

from PySide6 import QtGui

# (menu, text, shortcut, window method); None is a separator.
MENUS = {
    "&File": [
        ("&New", "Ctrl+N", "new_project"),
        ("&Open…", "Ctrl+O", "open_dialog"),
        ("Open &Recent", None, "@recent"),
        ("E&xamples", None, "@examples"),
        ("Import &Keras Model…", "Ctrl+Shift+I", "import_model_dialog"),
        None,
        ("&Save", "Ctrl+S", "save"),
        ("Save &As…", "Ctrl+Shift+S", "save_as"),
        ("&Export Python…", "Ctrl+E", "export_python"),
        ("Export &Model (.keras / ONNX)…", "Ctrl+Shift+E", "export_model"),
        ("Export &Picture (PNG / SVG)…", None, "export_picture"),
        None,
        ("Export &Block…", None, "export_block_dialog"),
        ("&Import Block…", None, "import_block_dialog"),
        None,
        ("&Close Window", "Ctrl+W", "close"),
        ("&Quit", "Ctrl+Q", "quit_app"),
    ],
    "&Edit": [
        ("&Undo", "Ctrl+Z", "undo"),
        ("&Redo", "Ctrl+Shift+Z", "redo"),
        None,
        ("Cu&t", "Ctrl+X", "cut"),
        ("&Copy", "Ctrl+C", "copy"),
        ("&Paste", "Ctrl+V", "paste"),
        ("&Duplicate", "Ctrl+D", "duplicate"),
        ("De&lete", "Delete", "delete_selected"),
        ("Delete, &Keeping the Chain", "Ctrl+Delete", "dissolve_selected"),
        ("Select &All", "Ctrl+A", "select_all"),
        None,
        ("Show Block &Contents…", "Ctrl+I", "show_block_dialog"),
        ("E&xpand Block", "Ctrl+Shift+B", "expand_selected_block"),
        ("&Make Block…", "Ctrl+B", "make_block_dialog"),
        ("Edit Block De&finition…", None, "edit_block_definition"),
        ("&Fix Selected Node", "Ctrl+.", "fix_selected"),
        None,
        ("&Trust Custom Code…", None, "trust_custom_code"),
    ],
    "&View": [
        ("&Fit to View", "F", "fit"),
        ("Zoom &In", "Ctrl+=", "zoom_in"),
        ("Zoom &Out", "Ctrl+-", "zoom_out"),
        None,
        ("Auto Layout &Top to Bottom", "Ctrl+L", "layout_tb"),
        ("Auto Layout &Left to Right", "Ctrl+Shift+L", "layout_lr"),
        None,
        ("Find &Layer…", "Ctrl+F", "focus_palette"),
        ("Find &Node…", "Ctrl+Shift+F", "find_node"),
        ("Find Ne&xt Node", "F3", "find_next"),
        ("Find Pre&vious Node", "Shift+F3", "find_previous"),
        ("&Minimap", "Ctrl+M", "toggle_minimap"),
    ],
    "&Help": [
        ("&Keyboard Shortcuts", "F1", "show_shortcuts"),
        ("&Layer Reference…", None, "show_layer_reference"),
    ],
}


HELP_TEXT = "help_text"  # an action's name in the shortcuts list, where its text changes


def build_menus(window) -> dict[str, QtGui.QAction]:
    """Create the menu bar of `window`; returns the actions by method name."""
    actions: dict[str, QtGui.QAction] = {}
    for title, entries in MENUS.items():
        menu = window.menuBar().addMenu(title)
        for entry in entries:
            if entry is None:
                menu.addSeparator()
                continue
            text, shortcut, target = entry
            if target.startswith("@"):
                sub = menu.addMenu(text)
                window.submenus[target[1:]] = sub
                continue
            action = QtGui.QAction(text, window)
            if shortcut:
                action.setShortcut(QtGui.QKeySequence(shortcut))
            action.triggered.connect(lambda _=False, t=target: getattr(window, t)())
            menu.addAction(action)
            actions[target] = action
    actions["redo"].setShortcuts([QtGui.QKeySequence("Ctrl+Shift+Z"),
                                  QtGui.QKeySequence("Ctrl+Y")])
    for name in ("undo", "redo"):  # their text names the edit ("Undo Delete 1 node")
        actions[name].setProperty(HELP_TEXT, name.capitalize())
    actions["delete_selected"].setShortcuts([QtGui.QKeySequence("Delete"),
                                             QtGui.QKeySequence("Backspace")])
    actions["dissolve_selected"].setShortcuts([QtGui.QKeySequence("Ctrl+Delete"),
                                               QtGui.QKeySequence("Ctrl+Backspace")])
    # Ctrl++ as Qt's standard zoom (Shift+= on most keyboards, or the keypad's +)
    actions["zoom_in"].setShortcuts([QtGui.QKeySequence("Ctrl+="), QtGui.QKeySequence("Ctrl++")])
    return actions
