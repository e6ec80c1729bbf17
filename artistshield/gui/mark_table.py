"""The Mark view's list: one row per file or clip, with its status, survival test and quality."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from artistshield.gui.widgets import WrappingDelegate

if TYPE_CHECKING:
    from artistshield.mark import MarkOutcome
    from artistshield.platforms import Survival
    from artistshield.register import KnownWork

COL_FILE, COL_STATUS, COL_SURVIVES, COL_QUALITY = range(4)
_GOOD, _BAD = QColor("#1e8e3e"), QColor("#d93025")
_HEADERS = (
    ("File", ""),
    ("Status", ""),
    ("Survives", "Whether the mark survives the chosen platform's resize and recompression"),
    ("PSNR", "How close the marked copy is to the original (above 40 dB: invisible to the eye)"),
)


def clip_kind(path: Path) -> str:
    """What a clip is, in the user's words."""
    from artistshield.animation import video

    if path.is_dir():
        return "frame folder"
    if video.is_video(path):
        return "video"
    named = {".gif": "GIF", ".png": "APNG", ".apng": "APNG", ".webp": "WebP"}.get(path.suffix.lower())
    return f"{named} animation" if named else "animation"


class MarkTable(QTableWidget):
    """The files to mark, one row each; select one or more to mark only those."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(_HEADERS), parent)
        for column, (name, tip) in enumerate(_HEADERS):
            title = QTableWidgetItem(name)
            title.setToolTip(tip)
            self.setHorizontalHeaderItem(column, title)
        self.setIconSize(QSize(64, 64))
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(70)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.horizontalHeader()
        header.setSectionResizeMode(COL_FILE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeMode.Stretch)
        self.setColumnWidth(COL_SURVIVES, 90)  # "Pass (Instagram)" on two lines
        self.setColumnWidth(COL_QUALITY, 70)
        self.setItemDelegateForColumn(COL_FILE, WrappingDelegate(self))  # never "cel-spookytr…"

    def cell(self, row: int, column: int) -> QTableWidgetItem:
        """The item at *row*, *column*: every row is made whole by :meth:`add_file`."""
        item = self.item(row, column)
        if item is None:
            raise IndexError(f"the list has no cell at row {row}, column {column}")
        return item

    def add_file(self, path: Path, thumb: QImage, frames: int | None) -> int:
        """Add a row for *path*; *frames* is a clip's frame count (0: unknown), None for a still."""
        row = self.rowCount()
        self.insertRow(row)
        name = QTableWidgetItem(path.name)
        name.setToolTip(str(path))
        if frames is not None:
            count = f"{frames} frames" if frames else "frames unknown"
            name.setText(f"{path.name}\n{clip_kind(path)}, {count}")
        name.setData(Qt.ItemDataRole.UserRole, str(path))
        if not thumb.isNull():
            name.setIcon(QIcon(QPixmap.fromImage(thumb)))
        self.setItem(row, COL_FILE, name)
        self.setItem(row, COL_STATUS, QTableWidgetItem("Waiting"))
        self.setItem(row, COL_SURVIVES, QTableWidgetItem(""))
        self.setItem(row, COL_QUALITY, QTableWidgetItem(""))
        return row

    def path_at(self, row: int) -> Path | None:
        """The file of *row*, if there is such a row."""
        item = self.item(row, COL_FILE) if row >= 0 else None
        return None if item is None else Path(item.data(Qt.ItemDataRole.UserRole))

    def set_status(self, row: int, text: str, good: bool | None, tip: str = "") -> None:
        """Say how *row* stands, green when *good*, red when not, plain when unknown (None)."""
        item = self.cell(row, COL_STATUS)
        item.setText(text)
        item.setToolTip(tip or text)
        item.setForeground(QBrush() if good is None else QBrush(_GOOD if good else _BAD))
        self.resizeRowToContents(row)  # a long reason wraps onto more lines, never cut off

    def show_unmarked(self, row: int, *, cancelled: bool, at: tuple[int, int] | None) -> None:
        """Say that *row* was not marked; *at* is the (frame, of) a cancelled clip stopped at."""
        self.cell(row, COL_QUALITY).setText("")  # no copy, so no quality to speak of
        if cancelled and at is not None:
            frame, total = at
            of = f" of {total}" if total else ""
            self.set_status(
                row, f"Cancelled at frame {frame}{of} — nothing written", None,
                "Marking this clip was cancelled between frames; no partial copy was left behind.",
            )
        else:
            self.set_status(row, "Cancelled — not marked" if cancelled else "Not marked", None)

    def selected_paths(self) -> list[Path]:
        """The files of the selected rows, in list order."""
        rows = sorted({index.row() for index in self.selectedIndexes()})
        return [path for row in rows if (path := self.path_at(row)) is not None]

    def reset(self, rows: list[int] | None = None) -> None:
        """*rows* (every row by default) waiting again, before a new batch."""
        for row in range(self.rowCount()) if rows is None else rows:
            self.set_status(row, "Waiting", None)
            self.cell(row, COL_SURVIVES).setText("")
            self.cell(row, COL_QUALITY).setText("")

    def show_skipped(self, row: int, known: KnownWork) -> None:
        """Say that *row* was not marked, as it is registered already."""
        self.set_status(
            row, f"Skipped: {known.in_words()}", None,
            "Not marked again. To mark it as a new version of that work, select the row, "
            "press Mark selected and choose Mark again.",
        )

    def show_outcome(
        self, row: int, outcome: MarkOutcome, survival: Survival | None, platform: str,
        *, version_of: str | None = None,
    ) -> None:
        """Show how marking *row* went, and how the mark fared on *platform*.

        *version_of* is the earlier work a file marked again is a new version of.
        """
        if outcome.error:
            self.set_status(row, f"Error: {outcome.error}", False)
        else:
            where = outcome.output.name if outcome.output else ""
            frames = f" ({outcome.frames} frames)" if outcome.frames else ""
            text = f"Marked → {where}{frames}, registered as {outcome.work_id}"
            if version_of is not None:
                text += f", a new version of {version_of}"
            if outcome.readable is False:
                self.set_status(row, text + " — but the mark did not read back", False)
            elif outcome.fragile:
                self.set_status(row, text + " — the mark is fragile", None,
                                f"Written to {outcome.output}. The mark is fragile: {outcome.fragile}.")
            else:
                self.set_status(row, text, True, f"Written to {outcome.output}")
            self.cell(row, COL_QUALITY).setText(f"{outcome.psnr:.1f} dB")
        if survival is None:
            return
        cell = self.cell(row, COL_SURVIVES)
        cell.setText(survival.summary())
        cell.setForeground(QBrush(_GOOD if survival.survived else _BAD))
        cell.setToolTip(survival.explanation())  # what happened, and only advice seen to work
        self.resizeRowToContents(row)
