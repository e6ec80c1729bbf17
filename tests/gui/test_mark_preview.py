"""The Mark preview: never a stale picture, strength by keyboard, zoom, side by side, legend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mark_steps import add as _add
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage

from artistshield.gui.mark_preview import RENDERING
from artistshield.gui.mark_table import COL_QUALITY, MarkTable
from artistshield.mark import MarkOutcome


def _rendered(qtbot, view) -> None:
    qtbot.waitUntil(lambda: len(view.previews) == 3, timeout=30_000)


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def test_a_new_file_shows_rendering_not_the_file_before(qtbot, window, artwork, drop) -> None:
    view = window.mark_view
    _add(qtbot, drop, view, artwork("cel-portrait-alpha.png", "flat-moonlight.png"))
    _rendered(qtbot, view)
    picture = view.preview_pane.player.picture
    assert picture.has_image() and not picture.busy
    view.table.selectRow(1)
    # At once, before the worker is done: no picture of the first file, a spinner instead.
    assert not picture.has_image() and picture.busy and picture.placeholder == RENDERING
    assert view.previews == {}
    view.preview_mode.button(0).click()  # a mode chosen meanwhile shows nothing stale either
    assert not picture.has_image()
    _rendered(qtbot, view)
    assert not picture.busy
    shown = picture.image()
    assert shown is not None and (shown.width(), shown.height()) == (1920, 1080)  # full size
    assert "1920 \N{MULTIPLICATION SIGN} 1080" in view.preview_pane.size_label.text()


def test_keyboard_change_of_strength_refreshes_the_preview(qtbot, window, artwork, drop) -> None:
    view = window.mark_view
    _add(qtbot, drop, view, artwork("painted-hills.png"))
    _rendered(qtbot, view)
    before = _pixels(view.previews["Marked"])
    slider = view.strength_slider
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)  # no mouse: sliderReleased never comes
    assert view.strength_slider.value() > 10
    qtbot.waitUntil(lambda: view.preview_pane.item.strength == slider.value() / 10, timeout=5_000)
    _rendered(qtbot, view)
    after = _pixels(view.previews["Marked"])
    original = _pixels(view.previews["Original"]).astype(int)
    # A stronger mark changes the picture more.
    assert np.abs(after - original).mean() > np.abs(before - original).mean()


def test_zoom_shows_pixels_at_100_and_200_percent(qtbot, window, artwork, drop) -> None:
    view = window.mark_view
    _add(qtbot, drop, view, artwork("painted-hills.png"))
    _rendered(qtbot, view)
    pane = view.preview_pane
    picture = pane.player.picture
    marked = _pixels(view.previews["Marked"])
    for button, factor in ((1, 1.0), (2, 2.0)):
        pane.zoom.button(button).click()
        assert picture.zoom == factor
        picture.set_centre(QPointF(640, 480))
        screen = _pixels(picture.grab().toImage())
        area = picture.contentsRect().adjusted(6, 6, -6, -6)
        cx, cy = area.center().x(), area.center().y()  # where the centre point goes
        crop = screen[cy: cy + 40, cx: cx + 40]
        want = marked[480: 480 + 40, 640: 640 + 40]
        want = np.repeat(np.repeat(want, int(factor), axis=0), int(factor), axis=1)[:40, :40]
        assert np.array_equal(crop, want), f"at {factor:.0%} the screen is not the marked pixels"
    pane.zoom.button(0).click()
    assert picture.zoom is None


def test_side_by_side_follows_zoom_and_panning(qtbot, window, artwork, drop) -> None:
    view = window.mark_view
    _add(qtbot, drop, view, artwork("painted-hills.png"))
    _rendered(qtbot, view)
    pane = view.preview_pane
    pane.zoom.button(2).click()
    pane.beside_button.click()
    assert pane.beside.isVisible() and pane.beside.caption == "Original"
    assert pane.player.picture.caption == "Marked"
    assert pane.beside.zoom == 2.0
    assert _pixels(pane.beside.image()).tolist() == _pixels(view.previews["Original"]).tolist()
    start = pane.beside.centre
    qtbot.mousePress(pane.player.picture, Qt.MouseButton.LeftButton, pos=pane.player.picture.rect().center())
    qtbot.mouseMove(pane.player.picture, pane.player.picture.rect().center() + QPointF(-40, -20).toPoint())
    qtbot.mouseRelease(pane.player.picture, Qt.MouseButton.LeftButton)
    assert pane.beside.centre == pane.player.picture.centre != start


def test_heat_map_has_a_legend_in_difference_mode(qtbot, window, artwork, drop) -> None:
    view = window.mark_view
    _add(qtbot, drop, view, artwork("cel-portrait-alpha.png"))
    _rendered(qtbot, view)
    legend = view.preview_pane.legend
    assert not legend.isVisible()
    view.preview_mode.button(2).click()
    assert legend.isVisible() and "No change" in legend.low.text() and "Strongest" in legend.high.text()
    view.preview_mode.button(1).click()
    assert not legend.isVisible()


def test_a_still_being_marked_says_so(qtbot, window, artwork, drop) -> None:
    view = window.mark_view
    _add(qtbot, drop, view, artwork("painted-hills.png", "flat-moonlight.png"))
    seen: list[str] = []
    with qtbot.waitSignal(view.batch_finished, timeout=60_000):
        view.start_button.click()
        assert view.table.item(0, 1).text() == "Marking…"
        assert view.table.item(1, 1).text() == "Waiting"
        view.worker.signals.progress.connect(lambda _: seen.append(view.table.item(1, 1).text()))
    assert seen[0] == "Marking…"  # once the first was done, the second was in hand
    assert view.table.item(1, 1).text().startswith("Marked")


def test_quality_is_cleared_when_a_row_is_not_marked_again(qtbot) -> None:
    table = MarkTable()
    qtbot.addWidget(table)
    table.add_file(Path("a.png"), QImage(), None)
    table.show_outcome(0, MarkOutcome(Path("a.png"), Path("out/a.png"), 7, "W-000001", 44.2, True), None, "")
    assert table.item(0, COL_QUALITY).text() == "44.2 dB"
    table.reset()  # a new batch starts
    assert table.item(0, COL_QUALITY).text() == ""
    table.show_outcome(0, MarkOutcome(Path("a.png"), Path("out/a.png"), 7, "W-000001", 44.2, True), None, "")
    table.show_unmarked(0, cancelled=True, at=None)
    assert table.item(0, COL_QUALITY).text() == ""
