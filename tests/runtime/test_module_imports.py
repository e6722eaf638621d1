"""Modules that other modules re-export import on their own, first, in a fresh process."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["kerascanvas.runtime.datacheck",
                                    "kerascanvas.runtime.label_forms",
                                    "kerascanvas.runtime.synthetic"])
def test_imports_first_in_a_fresh_process(module):
    done = subprocess.run([sys.executable, "-c", f"import {module}"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
