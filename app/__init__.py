"""The desktop app (PySide6 + NodeGraphQt).

NodeGraphQt (through Qt.py) and pyqtgraph pick their Qt binding from the
environment when first imported, so the package sets it before any submodule
can import them. Nothing here imports Qt or keras: `kerascanvas.app.cli` stays light.
"""

import os

os.environ.setdefault("QT_PREFERRED_BINDING", "PySide6")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.setdefault("KERAS_BACKEND", "torch")
