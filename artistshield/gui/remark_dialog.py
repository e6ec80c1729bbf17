"""The question asked before marking files the registry holds already: skip, or mark again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget

if TYPE_CHECKING:
    from artistshield.register import KnownWork


def _files(count: int) -> str:
    return f"{count} file{'s' * (count != 1)}"


class RemarkDialog(QMessageBox):
    """Asks what to do with files registered already: skip them, or mark them again."""

    #: Files named in the message; the rest are in the details.
    SHOWN = 6

    def __init__(self, known: list[KnownWork], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.known = known
        count = len(known)
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle("Registered already")
        self.setText(
            f"{_files(count).capitalize()} {'is' if count == 1 else 'are'} registered already."
        )
        lines = [f"{k.source.name}: {k.in_words()}" for k in known]
        more = f"\n…and {count - self.SHOWN} more (see Show Details)" if count > self.SHOWN else ""
        question = (
            "Skip it, or mark it again as a new version of the same work (it gets a new work "
            "ID that names the earlier one)?" if count == 1 else
            "Skip them, or mark them again as new versions of the same works (each gets a new "
            "work ID that names the earlier one)?"
        )
        self.setInformativeText("\n".join(lines[: self.SHOWN]) + more + "\n\n" + question)
        if count > self.SHOWN:
            self.setDetailedText("\n".join(lines))
        self.skip_button = self.addButton(
            "Skip it" if count == 1 else "Skip them", QMessageBox.ButtonRole.AcceptRole
        )
        self.again_button = self.addButton(
            "Mark again as a new version" if count == 1 else "Mark again as new versions",
            QMessageBox.ButtonRole.ActionRole,
        )
        self.cancel_button = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.skip_button)
        self.setEscapeButton(self.cancel_button)
