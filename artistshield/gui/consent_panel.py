"""The Check view's consent panel: what a suspect says about AI training, and what it said.

The suspect's own signals (IPTC data mining in its metadata, training and
mining entries in its Content Credentials) each with where it was found and
whether a valid signature covers it; and, when the mark names a registered
work whose copy stated consent but this one states none, "this copy's
credentials were removed; the original said …" from the artist's registry.
The words are :func:`artistshield.verdict.consent_in_words`, shared with the
command line and the reports; this module only lays them out.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from artistshield.verdict import consent_in_words as consent_lines

if TYPE_CHECKING:
    from artistshield.check import CheckResult


class ConsentPanel(QGroupBox):
    """The consent signals of the last suspect checked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Consent", parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.text = QLabel("What the suspect says about AI training appears here.")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.text)

    def show_result(self, result: CheckResult) -> None:
        lines = consent_lines(result)
        first, rest = lines[0], lines[1:]
        self.text.setText(
            f"<b>{html.escape(first)}</b>" + "".join(f"<br>{html.escape(line)}" for line in rest)
        )

    @classmethod
    def following(cls, view: QWidget) -> ConsentPanel:
        """A panel that shows each result *view* (the Check view) emits on ``checked``."""
        panel = cls()
        view.checked.connect(panel.show_result)  # type: ignore[attr-defined]
        return panel
