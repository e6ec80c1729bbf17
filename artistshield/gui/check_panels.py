"""The parts of the Check view that show a check: the verdict card and the details.

The words come from :mod:`artistshield.verdict`, as on the command line and
in the reports; this module only lays them out and colours them.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from artistshield.gui.resources import icon
from artistshield.verdict import (
    frames_in_words,
    method_in_words,
    p_value_in_words,
    transform_in_words,
)

if TYPE_CHECKING:
    from artistshield.check import CheckResult

#: The card's colour for each verdict kind (:func:`artistshield.verdict.verdict_kind`).
COLOURS = {"mark": "#1e8e3e", "match": "#e37400", "none": "#5f6368", "error": "#d93025"}


class VerdictCard(QFrame):
    """The verdict in plain words, in its colour, with a progress bar and Cancel while checking."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verdictCard")
        layout = QVBoxLayout(self)
        self.title = QLabel("Check an image")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        self.body = QLabel(
            "Found a picture that looks like yours? Drop it here. ArtistShield looks for your "
            "invisible mark and compares it with every work in your registry, even if it was "
            "cropped, resized or recompressed."
        )
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)
        layout.addWidget(self.body)
        busy = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.setToolTip("Stop the check (a clip stops at the next frame)")
        busy.addWidget(self.progress, 1)
        busy.addWidget(self.cancel_button)
        self.busy = QWidget()
        self.busy.setLayout(busy)
        busy.setContentsMargins(0, 0, 0, 0)
        self.busy.hide()
        layout.addWidget(self.busy)
        self._paint(COLOURS["none"])

    def say(self, title: str, body: str, kind: str = "none") -> None:
        """Show *title* and *body* in the colour of the verdict *kind*."""
        self.title.setText(title)
        self.body.setText(body)
        self._paint(COLOURS[kind])

    def _paint(self, colour: str) -> None:
        self.setStyleSheet(
            f"#verdictCard {{ border: 2px solid {colour}; border-radius: 10px; }}"
            f"#verdictCard QLabel {{ background: transparent; }}"
        )
        self.title.setStyleSheet(f"color: {colour};")


def captioned(caption: QLabel, view: QWidget) -> QWidget:
    """A caption above a picture, as one column of the side-by-side view."""
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(caption)
    layout.addWidget(view)
    return column


def findings_html(result: CheckResult) -> str:
    """The details behind the verdict, as a short HTML list."""
    rows: list[str] = []
    if result.error:
        rows.append(f"<li>{html.escape(result.error)}</li>")
    for finding in result.marks:
        d = finding.detection
        text = f"<b>Invisible mark</b> ({html.escape(finding.key_label)}): "
        if d.found:
            text += f"found, payload {d.payload}"
            if finding.work_id:
                text += f", which is work {finding.work_id}"
            geometry = transform_in_words(d)
            if geometry:
                text += "; the copy was " + ", ".join(geometry)
        else:
            text += "not found"
        text += f". <i>{html.escape(p_value_in_words(d.p_value, d.found))}</i> (p = {d.p_value:.2g})."
        if finding.frames_checked is not None:
            marked = finding.frames_with_mark or ()
            text += f"<br><b>Frames</b>: {finding.frames_checked} checked"
            if d.found and len(marked) == finding.frames_checked:
                text += "; the mark was read in every one"
            elif d.found:
                text += (
                    f"; the mark was read in {len(marked)} of them: "
                    f"frame{'s' * (len(marked) != 1)} {frames_in_words(marked)}"
                    if marked else "; no single frame carries it alone, together they do"
                )
            text += "."
        rows.append(f"<li>{text}</li>")
    for m in result.matches:
        verdict = "matches" if m.is_match else "does not match"
        how = method_in_words(m.method)
        text = f"<b>Registry</b>: {verdict} work {m.work_id}"
        if m.work is not None:
            text += f" “{html.escape(m.work.title)}”"
        text += f", similarity {m.similarity:.0%} ({how})"
        if m.region is not None:
            x0, y0, x1, y1 = m.region
            text += f"; shows {(x1 - x0) * (y1 - y0):.0%} of the work's area"
        rows.append(f"<li>{text}.</li>")
    if not result.matches and not result.error:
        rows.append("<li><b>Registry</b>: no registered work is similar.</li>")
    for extra in result.findings:  # the public marks, Content Credentials and metadata
        rows.append(f"<li>{html.escape(str(extra))}</li>")
    return "<ul>" + "".join(rows) + "</ul>"
