"""The data preview follows the files it read as they are edited on disk: rows appended to
a CSV file, the file saved by writing another and renaming it over it (as many editors
do: the file watched is replaced), an image added to a class folder. It showed the rows
read first ("40 rows") until Start read the file again. While the Training tab is behind
another the read waits for the tab to be shown, as a read an edit of the model makes."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from kerascanvas.app.panels.shown import on_screen
from kerascanvas.graph.projectfile import dumps

from .gestures import show
from .test_data_preview_behind_tab import reads  # noqa: F401  (a fixture)
from .test_data_preview_start import (  # noqa: F401  (make_panel: a fixture)
    SPECIES,
    make_panel,
    model,
    use_data,
    write_csv,
    write_folder,
)

WAIT_MS = 30_000


def append_rows(path, rows: int) -> None:
    with open(path, "a") as handle:
        handle.writelines(f"{i % 7},0.5,{i % 5},{i / 10},{SPECIES[i % 3]}\n"
                          for i in range(rows))


def rows_shown(panel, rows: int) -> bool:
    return panel.data.info.text().startswith(f"{rows} rows")


def test_rows_appended_to_the_csv_file_show_in_the_preview(make_panel, qtbot,  # noqa: F811
                                                           tmp_path):
    panel = make_panel(model((4,)))
    path = write_csv(tmp_path / "t.csv", SPECIES[:3])
    use_data(panel, qtbot, f"csv:{path}")
    assert rows_shown(panel, 40) and str(path) in panel.data._watch.paths
    append_rows(path, 5)
    qtbot.waitUntil(lambda: rows_shown(panel, 45), timeout=WAIT_MS)
    append_rows(path, 5)  # a second edit is followed too
    qtbot.waitUntil(lambda: rows_shown(panel, 50), timeout=WAIT_MS)


def test_a_file_saved_by_rename_is_watched_again(make_panel, qtbot, tmp_path):  # noqa: F811
    panel = make_panel(model((4,)))
    path = write_csv(tmp_path / "t.csv", SPECIES[:3])
    use_data(panel, qtbot, f"csv:{path}")
    saved = write_csv(tmp_path / "t.csv.new", SPECIES[:3], rows=60)
    os.replace(saved, path)  # another inode under the name watched
    qtbot.waitUntil(lambda: rows_shown(panel, 60), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: str(path) in panel.data._watch.paths, timeout=WAIT_MS)
    append_rows(path, 2)  # the new file is the one watched now
    qtbot.waitUntil(lambda: rows_shown(panel, 62), timeout=WAIT_MS)


def test_an_image_added_to_a_class_folder_shows(make_panel, qtbot, tmp_path):  # noqa: F811
    panel = make_panel(model((6, 8, 3), "Flatten"))
    root = write_folder(tmp_path / "pics", 3)
    use_data(panel, qtbot, f"images:{root}")
    assert panel.data.info.text().startswith("6 images in 3 classes")
    Image.fromarray(np.zeros((6, 8, 3), "uint8")).save(root / "class1" / "new.png")
    qtbot.waitUntil(lambda: panel.data.info.text().startswith("7 images in 3 classes"),
                    timeout=WAIT_MS)


def test_an_edit_behind_another_tab_is_read_once_the_tab_shows(make_window, qtbot,
                                                                  tmp_path, reads):  # noqa: F811
    path = write_csv(tmp_path / "t.csv", SPECIES[:3])
    doc = model((4,))
    doc.training = {**doc.training, "data": f"csv:{path}"}
    project = tmp_path / "p.json"
    project.write_text(dumps(doc))
    window = show(make_window(str(project)), qtbot)
    panel = window.training_panel()
    qtbot.waitUntil(lambda: rows_shown(panel, 40), timeout=WAIT_MS)
    window.issues_dock.raise_()
    qtbot.waitUntil(lambda: not on_screen(window.training_dock), timeout=WAIT_MS)
    reads.clear()
    append_rows(path, 5)
    qtbot.waitUntil(lambda: panel.data.deferred, timeout=WAIT_MS)
    qtbot.wait(700)  # no read behind the tab
    assert reads == [] and rows_shown(panel, 40)
    window.training_dock.raise_()
    qtbot.waitUntil(lambda: rows_shown(panel, 45), timeout=WAIT_MS)
    assert len(reads) == 1
