"""Test-wide environment: Keras on torch, Qt offscreen, Qt.py on PySide6."""

import os

# One torch thread: on 2 shared cores, more threads made training tests ~10x slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_PREFERRED_BINDING", "PySide6")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.setdefault("KERAS_HOME", os.path.join(os.path.dirname(__file__), ".keras_home"))
