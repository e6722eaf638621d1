"""The dialog that shows custom code before the user trusts it to run."""

from __future__ import annotations

from PySide6 import QtWidgets

from ...graph import training_code
from ...graph.layers import custom
from ..panels.code_editor import CodeTextEdit

WARNING = ("Trusting runs this Python code on your computer, with your rights: it can "
           "read, change or send your files. Trust only code you have read or written.")


def distinct_classes(doc) -> list[dict]:
    """One entry per distinct piece of code: class name, digest, source, node names."""
    found: dict[str, dict] = {}
    for node in custom.custom_nodes(doc):
        digest = custom.code_digest(node.params)
        entry = found.setdefault(digest, {"class_name": node.params.get("class_name", "?"),
                                          "digest": digest, "nodes": [],
                                          "source": node.params.get("source", "")})
        entry["nodes"].append(node.name)
    code = training_code.digest(doc.training)
    if code is not None:
        found[code] = {"class_name": "Losses and metrics", "digest": code,
                       "nodes": ["training settings"],
                       "source": training_code.source(doc.training)}
    return list(found.values())


class TrustDialog(QtWidgets.QDialog):
    """Shows custom code, read-only, one tab per class; accepting means "trust this code".

    `entries` are dicts with "class_name", "digest", "source" and "nodes" (where the
    class is used); `where` says which project or model file the code belongs to.
    """

    def __init__(self, entries: list[dict], where: str, parent=None,
                 accept_text: str = "Trust and Run"):
        super().__init__(parent)
        self.setObjectName("TrustDialog")
        self.setWindowTitle("Trust custom code")
        self.resize(760, 600)
        layout = QtWidgets.QVBoxLayout(self)
        head = QtWidgets.QLabel(f"<b>{WARNING}</b><br>{where}")
        head.setWordWrap(True)
        layout.addWidget(head)
        self.tabs = QtWidgets.QTabWidget()
        for entry in entries:
            page = CodeTextEdit(entry["source"], read_only=True)
            page.setToolTip(f"sha256 {entry['digest']}\nused by: {', '.join(entry['nodes'])}")
            self.tabs.addTab(page, entry["class_name"])
        layout.addWidget(self.tabs, 1)
        buttons = QtWidgets.QDialogButtonBox()
        self.trust_button = buttons.addButton(accept_text,
                                              QtWidgets.QDialogButtonBox.AcceptRole)
        self.trust_button.setObjectName("trust_button")
        cancel = buttons.addButton(QtWidgets.QDialogButtonBox.Cancel)
        cancel.setDefault(True)  # Enter does not trust by accident
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def import_entries(refs, classes: dict[str, str]) -> list[dict]:
    """Entries for the classes a model file needs, with the sources parsed from a .py file."""
    entries: dict[str, dict] = {}
    for ref in refs:
        source = classes[ref.class_name]
        digest = custom.code_digest({"class_name": ref.class_name, "source": source})
        entry = entries.setdefault(digest, {"class_name": ref.class_name, "digest": digest,
                                            "source": source, "nodes": []})
        entry["nodes"].append(ref.layer)
    return list(entries.values())
