"""Test-wide environment: Keras on torch, Qt offscreen, Qt.py on PySide6."""

import gc
import itertools
import os

import pytest

# One torch thread: on 2 shared cores, more threads made training tests ~10x slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_PREFERRED_BINDING", "PySide6")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.setdefault("KERAS_HOME", os.path.join(os.path.dirname(__file__), ".keras_home"))


def pytest_collection_finish(session):
    """The modules, classes and test items made up to here live as long as the run: freeze
    them out of the cyclic collector's reach (as the app's settle_imports does), so each
    full collection during the tests no longer walks them all (about 0.3 s each once keras
    and torch are imported). Objects the tests make are collected as ever."""
    gc.collect()
    gc.freeze()


_test_numbers = itertools.count()


@pytest.fixture(autouse=True)
def _own_data_folder(tmp_path_factory, monkeypatch):
    """Each test gets a data folder of its own (named, not created: the code creates what it
    writes), so no test reads what another left in the user's real one (a remembered
    folder in settings.json, autosaves, runs) nor writes there. A test that sets
    KERASCANVAS_DATA_DIR itself overrides this."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(base / f"data-{next(_test_numbers)}"))
