"""The Mark list says when a copy's mark is fragile, and why, without calling it a failure."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImage

from artistshield.gui.mark_table import COL_STATUS, MarkTable
from artistshield.mark import MarkOutcome

WHY = "the drawing has too few edges to carry a mark that surely survives recompression"


def test_a_fragile_mark_is_named_in_the_list(qtbot) -> None:
    table = MarkTable()
    qtbot.addWidget(table)
    table.add_file(Path("ornament.png"), QImage(), None)
    outcome = MarkOutcome(Path("ornament.png"), Path("out/ornament.png"), 5, "W-000001", 49.6, True,
                          fragile=WHY)
    table.show_outcome(0, outcome, None, "None")
    item = table.item(0, COL_STATUS)
    assert item.text().endswith("the mark is fragile")
    assert WHY in item.toolTip()
