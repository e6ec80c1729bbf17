"""A dialog whose OK checks the answer first: what is wrong shows in red and it stays open."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget


class CheckedDialog(QDialog):
    """Its parts go in :attr:`content`, above a red :attr:`problem` line and OK/Cancel.

    OK (or :meth:`accept`) asks :meth:`find_problem`: a sentence is shown and the
    dialog stays open; none, and :meth:`keep` acts on the answer before it closes.
    """

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        self.content = QVBoxLayout()
        layout.addLayout(self.content)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c0392b")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def find_problem(self) -> str | None:
        """Why the answer cannot be taken as it is, or None."""
        return None

    def keep(self) -> None:
        """Act on an answer that has no problem, just before the dialog closes."""

    def accept(self) -> None:
        problem = self.find_problem()
        if problem is not None:
            self.problem.setText(problem)
            return
        self.keep()
        super().accept()
