"""Opening a folder whose images are not all readable: the first that opens is shown, the folder kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt


def _png(path: Path, value: int) -> Path:
    Image.fromarray(np.full((40, 60), value, np.uint8)).save(path)
    return path


def _truncated_png(path: Path, tmp: Path) -> Path:
    full = _png(tmp / "full.png", 10).read_bytes()
    (tmp / "full.png").unlink()
    path.write_bytes(full[: len(full) // 2])
    return path


def test_folder_with_a_broken_first_image_opens_the_next(window: Any, messages: Any, qtbot: Any, tmp_path: Path) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    broken = _truncated_png(folder / "a_broken.png", tmp_path)
    _png(folder / "b_good.png", 200)
    _png(folder / "c_good.png", 90)
    assert window.open_folder(folder) is True
    assert window.radiograph is not None and window.radiograph.path.name == "b_good.png"
    assert [p.name for p in window.documents.folder_images] == ["a_broken.png", "b_good.png", "c_good.png"]
    assert window.documents.folder_index == 1
    # the user is told which file could not be opened, once, in one message
    assert len(messages.errors) == 1
    title, text = messages.errors[0]
    assert title == "Some images could not be opened"
    assert str(broken) in text and "b_good" not in text
    # PgDown walks on to the third image
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert window.radiograph.path.name == "c_good.png"
    assert int(window.radiograph.stored[0, 0]) == 90


def test_step_skips_a_broken_image(window: Any, messages: Any, qtbot: Any, tmp_path: Path) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    _png(folder / "a_good.png", 30)
    _truncated_png(folder / "b_broken.png", tmp_path)
    _png(folder / "c_good.png", 90)
    assert window.open_folder(folder) is True and messages.errors == []
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert window.radiograph.path.name == "c_good.png" and window.documents.folder_index == 2
    assert len(messages.errors) == 1 and "b_broken.png" in messages.errors[0][1]
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    assert window.radiograph.path.name == "a_good.png" and window.documents.folder_index == 0


def test_folder_with_no_readable_image(window: Any, messages: Any, tmp_path: Path) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    _truncated_png(folder / "a_broken.png", tmp_path)
    (folder / "b.dcm").write_bytes(b"not dicom at all")
    assert window.open_folder(folder) is False
    assert window.radiograph is None
    assert len(messages.errors) == 1
    title, text = messages.errors[0]
    assert title == "Cannot open folder"
    assert "a_broken.png" in text and "b.dcm" in text
