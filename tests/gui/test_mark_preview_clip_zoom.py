"""The Mark preview of a clip: zoom to 100% and 200%, and the original's frame side by side."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtGui import QImage

from artistshield.gui.clip_view import SIDE

DATA = Path(__file__).parents[1] / "data"


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def _frames(tmp_path: Path) -> tuple[Path, list[np.ndarray]]:
    """A folder of three 1920x1080 frames, larger than the preview's fitted frames."""
    painting = np.asarray(Image.open(DATA / "flat-moonlight.png").convert("RGB"))
    folder = tmp_path / "moon"
    folder.mkdir()
    frames = [np.ascontiguousarray(np.roll(painting, 40 * i, axis=1)) for i in range(3)]
    for index, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f"moon_{index:04d}.png")
    return folder, frames


def _size(image: QImage | None) -> tuple[int, int] | None:
    return None if image is None else (image.width(), image.height())


def test_a_clip_zooms_to_full_size_and_shows_the_original_frame_beside(
    qtbot, window, drop, tmp_path
) -> None:
    view = window.mark_view
    folder, frames = _frames(tmp_path)
    with qtbot.waitSignal(view.files_added, timeout=10_000):
        drop(view, [folder])
    pane, player = view.preview_pane, view.preview_pane.player
    qtbot.waitUntil(lambda: player.frame_index == 0, timeout=90_000)
    assert _size(player.picture.image())[0] == SIDE  # fitted: shrunk for the screen
    for button in (*pane.zoom.buttons(), pane.beside_button):
        assert button.isEnabled()

    pane.zoom.button(1).click()  # 100%: every pixel of the frame
    assert player.picture.zoom == 1.0
    qtbot.waitUntil(lambda: _size(player.picture.image()) == (1920, 1080), timeout=90_000)
    pane.zoom.button(2).click()
    assert player.picture.zoom == 2.0

    pane.beside_button.click()
    assert pane.beside.isVisible() and pane.beside.zoom == 2.0
    assert pane.beside.caption == "Original" and player.picture.caption == "Marked"
    qtbot.waitUntil(lambda: pane.beside.image() is not None, timeout=90_000)
    assert _pixels(pane.beside.image()).tolist() == frames[0].tolist()
    assert "1920 \N{MULTIPLICATION SIGN} 1080" in pane.size_label.text()

    player.next_frame()  # the original beside follows the frame shown
    qtbot.waitUntil(lambda: player.frame_index == 1, timeout=90_000)
    qtbot.waitUntil(
        lambda: _pixels(pane.beside.image()).tolist() == frames[1].tolist(), timeout=90_000
    )
    # the marked frame differs from the original beside it, but only slightly
    marked = _pixels(player.picture.image()).astype(int)
    change = np.abs(marked - frames[1]).mean()
    assert 0 < change < 8

    pane.zoom.button(0).click()  # back to fit: frames shrunk again, on both sides
    qtbot.waitUntil(lambda: _size(player.picture.image())[0] == SIDE, timeout=90_000)
    qtbot.waitUntil(lambda: _size(pane.beside.image())[0] == SIDE, timeout=90_000)
