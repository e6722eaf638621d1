"""The app's own settings, kept between sessions in `settings.json` in the data folder
(`graph.paths.data_dir`): the folder the last export went to, the folder the last data
file was browsed from, the docks' widths per screen size. A setting that cannot be read
is absent, and one that cannot be written is not kept: neither stops the user's work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...graph import projectfile
from ...graph.paths import data_dir


def settings_path() -> Path:
    return data_dir() / "settings.json"


def preferences() -> dict:
    """Every setting kept ({} when the file is absent or unreadable)."""
    try:
        data = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def preference(key: str, default: Any = None) -> Any:
    return preferences().get(key, default)


def remember(key: str, value: Any) -> None:
    """Keep `value` as the setting `key` (written whole, atomically)."""
    try:
        data_dir().mkdir(parents=True, exist_ok=True)
        projectfile.write_text_atomic(settings_path(), json.dumps(
            {**preferences(), key: value}, indent=1))
    except OSError:
        pass  # a read-only home must not stop the user


def remembered_folder(key: str) -> str | None:
    """The folder kept as `key`, when it is still there."""
    folder = preference(key)
    return folder if isinstance(folder, str) and Path(folder).is_dir() else None
