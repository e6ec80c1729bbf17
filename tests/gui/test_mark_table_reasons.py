"""The Mark list shows a file's whole reason for not being marked, and the platform test's advice."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage

from artistshield.gui.mark_options import PLATFORMS
from artistshield.gui.mark_table import COL_STATUS, COL_SURVIVES, MarkTable
from artistshield.mark import MarkOutcome
from artistshield.platforms import PRESETS, Survival, Trial

REASON = (
    "Error: sky.png was not marked: it is too smooth to hide a mark in (a soft gradient or "
    "shading with no drawn detail); the mark hides only in texture and along edges. You can "
    "still register it without marking, so that copies of it are found by its fingerprint."
)


def _table(qtbot) -> MarkTable:
    table = MarkTable()
    qtbot.addWidget(table)
    table.resize(560, 400)
    table.show()
    table.add_file(Path("sky.png"), QImage(), None)
    return table


def test_a_long_reason_is_shown_whole(qtbot) -> None:
    table = _table(qtbot)
    table.set_status(0, REASON, False)
    item = table.item(0, COL_STATUS)
    assert item.text() == REASON and item.toolTip() == REASON
    width = table.columnWidth(COL_STATUS) - 8  # the cell's margins
    needed = table.fontMetrics().boundingRect(
        QRect(0, 0, width, 10_000), int(Qt.TextFlag.TextWordWrap), REASON
    ).height()
    assert table.wordWrap()
    assert table.rowHeight(0) >= needed  # every wrapped line fits in the row


def test_the_survival_cell_says_what_was_tried(qtbot) -> None:
    table = _table(qtbot)
    survival = Survival(
        "Instagram", False, (3840, 2160), (1080, 608), "scaled to 1080 px wide, JPEG quality 78",
        tried=(Trial((1080, 608), 1.0, True),),
    )
    outcome = MarkOutcome(Path("sky.png"), Path("out/sky.png"), 5, "W-000001", 45.0, True)
    table.show_outcome(0, outcome, survival, "Instagram")
    cell = table.item(0, COL_SURVIVES)
    assert cell.text() == "Fail (Instagram)\nexport at 1080\N{MULTIPLICATION SIGN}608 px"
    tip = cell.toolTip()
    assert "shows this picture at 1080\N{MULTIPLICATION SIGN}608 px instead of 3840" in tip
    assert "higher strength" not in tip and "removed" not in tip


def test_the_app_offers_every_preset() -> None:
    assert ("None", *PRESETS) == PLATFORMS
