"""At 1024x640 (a small laptop) every view fits: no clipped label, no elided name."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QLabel, QWidget

from artistshield.animation.clip import open_clip
from artistshield.gui.widgets import WrappingDelegate, wrapped

SMALL = QSize(1024, 640)
DATA = Path(__file__).parents[1] / "data"
LONG_NAMES = ("cartoon-halloween-outro.png", "cel-spookytree-alpha.png", "flat-futureprototype.png")


def _cut(widget: QWidget) -> list[str]:
    """The labels and buttons under *widget* shown smaller than their text needs."""
    problems = []
    for label in widget.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        if label.wordWrap():
            if label.height() < label.heightForWidth(label.width()):
                problems.append(f"label cut off at the bottom: {label.text()[:60]!r}")
        elif label.width() < label.sizeHint().width():
            problems.append(f"label cut off at the side: {label.text()[:60]!r}")
    for button in widget.findChildren(QAbstractButton):
        if button.isVisible() and button.text() and button.width() < button.minimumSizeHint().width():
            problems.append(f"button squeezed: {button.text()!r}")
    return problems


def _elided(table: QAbstractItemView, column: int) -> list[str]:
    """The texts in *column* of *table* that do not fit their cell, wrapped as the view wraps them."""
    model = table.model()
    metrics = QFontMetrics(table.font())
    width = table.columnWidth(column) - 8  # the cell's margins
    anywhere = isinstance(table.itemDelegateForColumn(column), WrappingDelegate)
    problems = []
    for row in range(model.rowCount()):
        text = str(model.index(row, column).data() or "")
        icon = model.index(row, column).data(Qt.ItemDataRole.DecorationRole)
        room = width - (table.iconSize().width() + 4 if icon is not None else 0)
        if anywhere:  # breaks inside a long word rather than eliding it
            _, height = wrapped(text, table.font(), room)
            need = QSize(room, int(height))
        else:
            need = metrics.boundingRect(QRect(0, 0, room, 10_000), Qt.TextFlag.TextWordWrap, text).size()
        if room < metrics.averageCharWidth() * 8 or need.width() > room or need.height() > table.rowHeight(row):
            problems.append(f"{text!r} needs {need.width()}x{need.height()}, has {room}x{table.rowHeight(row)}")
    return problems


def test_every_view_fits_1024_by_640(qtbot, window, artwork, drop, tmp_path: Path) -> None:
    files = artwork(*LONG_NAMES)
    with qtbot.waitSignal(window.mark_view.files_added, timeout=10_000):
        drop(window.mark_view, files)
    with qtbot.waitSignal(window.registry_view.loaded, timeout=30_000):
        window.registry_view.register_files(files)
    frames = tmp_path / "ghost-tree-walk-cycle"
    shutil.copytree(DATA / "frames", frames)
    clip = open_clip(frames)
    player = window.check_view.suspect_view
    with qtbot.waitSignal(player.frame_shown, timeout=10_000):
        player.set_clip(clip, marked={0}, checked={0, 1})
    with qtbot.waitSignal(player.frame_shown, timeout=10_000):
        player.next_frame()  # the longest label: "... · no mark read in this frame"

    assert window.minimumSizeHint().width() <= SMALL.width()
    assert window.minimumSizeHint().height() <= SMALL.height()
    window.resize(SMALL)
    qtbot.waitUntil(lambda: window.size() == SMALL)
    problems = []
    for index in range(len(window.VIEWS)):
        window.show_view(index)
        if index == 0:
            window.mark_view.preview_mode.button(2).click()  # with the heat map's legend
        qtbot.wait(50)  # let the layouts settle
        view = window.stack.currentWidget()
        problems += [f"{window.VIEWS[index]}: {p}" for p in _cut(view)]
    window.show_view(0)
    qtbot.wait(50)
    problems += ["Mark list: " + p for p in _elided(window.mark_view.table, 0)]
    window.show_view(2)
    qtbot.wait(50)
    for column in (1, 2):
        problems += ["Registry: " + p for p in _elided(window.registry_view.table, column)]
    player.shutdown()
    clip.close()
    assert not problems, "\n".join(problems)
