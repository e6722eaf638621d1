"""Where Keras Canvas keeps its own files: `$KERASCANVAS_DATA_DIR`, else platformdirs'
user data folder for "kerascanvas". The recovery file, the recent-files list and
the user-block library (`blocks/`) all live there."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The data folder (not created here)."""
    override = os.environ.get("KERASCANVAS_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("kerascanvas", appauthor=False))
