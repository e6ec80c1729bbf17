"""The parts of the Check view that show a check: the verdict card, the details, a notice.

The verdict card leads with the verdict in words and what it rests on, and
says in full what shows a generative AI made the image.  The numbers behind
it (payload, p-values, geometry, similarities) wait in :class:`TechnicalDetails`,
folded away until asked for, and the works a suspect does *not* match are
listed only on request.  :class:`NoticeBar` says a short thing with buttons
(a report saved, an empty clipboard, an optional reader to install).

The words come from :mod:`artistshield.verdict`, as on the command line and
in the reports; this module only lays them out and colours them.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from artistshield.gui.progress import ProgressBar
from artistshield.gui.resources import icon
from artistshield.verdict import (
    ai_findings,
    frames_compared_in_words,
    frames_in_words,
    geometry_numbers,
    method_in_words,
    named_match,
    p_value_in_words,
    region_shown,
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
        # what says a generative AI made it, in full; a long prompt scrolls in its own box
        self.ai = QLabel()
        self.ai.setWordWrap(True)
        self.ai.setTextFormat(Qt.TextFormat.RichText)
        self.ai.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ai_box = QScrollArea()
        self.ai_box.setWidget(self.ai)
        self.ai_box.setWidgetResizable(True)
        self.ai_box.setFrameShape(QFrame.Shape.NoFrame)
        self.ai_box.setMaximumHeight(self.fontMetrics().lineSpacing() * 6 + 8)
        self.ai_box.hide()
        layout.addWidget(self.ai_box)
        busy = QHBoxLayout()
        self.progress = ProgressBar()
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

    def say(self, title: str, body: str, kind: str = "none", *, ai: list[str] | None = None) -> None:
        """Show *title* and *body* in the colour of the verdict *kind*, and the *ai* findings."""
        self.title.setText(title)
        self.body.setText(body)
        self._paint(COLOURS[kind])
        self.ai.setText(
            "<b>Made with generative AI?</b><br>" + "<br>".join(
                html.escape(line).replace("\n", "<br>") for line in ai
            ) if ai else ""
        )
        self.ai_box.setVisible(bool(ai))

    def _paint(self, colour: str) -> None:
        self.setStyleSheet(
            f"#verdictCard {{ border: 2px solid {colour}; border-radius: 10px; }}"
            f"#verdictCard QLabel {{ background: transparent; }}"
        )
        self.title.setStyleSheet(f"color: {colour};")


class NoticeBar(QFrame):
    """One short notice with its buttons, above the verdict: closed with its close button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setStyleSheet("#noticeBar { border: 1px solid palette(mid); border-radius: 6px; }")
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(8, 4, 4, 4)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._row.addWidget(self.text, 1)
        self.buttons: list[QPushButton] = []
        close = QToolButton()
        close.setIcon(icon("cancel"))
        close.setAutoRaise(True)
        close.setToolTip("Close this notice")
        close.clicked.connect(self.hide)
        self._row.addWidget(close)
        self.hide()

    def show_notice(self, text: str, actions: Sequence[tuple[str, Callable[[], object]]] = ()) -> None:
        """Say *text* with a button for each ``(label, action)`` of *actions*."""
        for button in self.buttons:
            self._row.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        self.text.setText(text)
        for label, action in actions:
            button = QPushButton(label)
            button.clicked.connect(action)
            self._row.insertWidget(self._row.count() - 1, button)
            self.buttons.append(button)
        self.show()

    def button(self, label: str) -> QPushButton | None:
        """The notice's button labelled *label*, if it has one."""
        return next((b for b in self.buttons if b.text() == label), None)


class TechnicalDetails(QWidget):
    """The numbers behind a verdict, folded away until "Technical details" is opened."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.toggle = QToolButton()
        self.toggle.setText("Technical details")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolTip("The numbers behind the verdict: payload, p-values, geometry, similarity")
        self.toggle.toggled.connect(self._toggled)
        self.non_matches = QCheckBox("Show works it does not match")
        self.non_matches.setToolTip("Also list the registered works compared that fell short of a match")
        self.non_matches.toggled.connect(self._refresh)
        row.addWidget(self.toggle)
        row.addWidget(self.non_matches)
        row.addStretch()
        layout.addLayout(row)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.text.setPlaceholderText("The numbers behind the verdict appear here.")
        layout.addWidget(self.text, 1)
        self.text.hide()
        self.non_matches.hide()
        self._result: CheckResult | None = None

    def _toggled(self, shown: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.text.setVisible(shown)
        self.non_matches.setVisible(shown)

    def show_result(self, result: CheckResult | None) -> None:
        """Give the numbers of *result* (``None``: none, while a check runs)."""
        self._result = result
        self._refresh()

    def _refresh(self) -> None:
        if self._result is None:
            self.text.clear()
        else:
            self.text.setHtml(findings_html(self._result, non_matches=self.non_matches.isChecked()))


def captioned(caption: QLabel, view: QWidget) -> QWidget:
    """A caption above a picture, as one column of the side-by-side view."""
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(caption)
    layout.addWidget(view)
    return column


def findings_html(result: CheckResult, *, non_matches: bool = False) -> str:
    """The details behind the verdict, with their numbers, as a short HTML list.

    The registered works the suspect does not match are listed only with
    *non_matches*.
    """
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
        else:
            text += "not found"
        thing = "image" if finding.frames_checked is None else "clip"
        said = p_value_in_words(d.p_value, d.found, thing=thing)
        text += f". <i>{html.escape(said)}</i> (p = {d.p_value:.2g})."
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
    mark = result.mark
    for m in result.matches:
        if not m.is_match and not non_matches:
            continue
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
    hidden = sum(not m.is_match for m in result.matches)
    if hidden and not non_matches:
        rows.append(
            f"<li><b>Registry</b>: {hidden} more work{'s' * (hidden != 1)} compared, none a "
            "match (“Show works it does not match” lists them).</li>"
        )
    if result.frames_compared is not None and result.matches:
        rows.append(
            "<li><b>Registry</b>: "
            f"{html.escape(frames_compared_in_words(result.frames_compared))}</li>"
        )
    if not result.matches and not result.error:
        compared = (
            f" of the {result.works_compared} compared" if result.works_compared else ""
        )
        rows.append(f"<li><b>Registry</b>: no registered work{compared} is similar.</li>")
    named = named_match(result)
    region = named.region if named is not None and region_shown(named) else None
    numbers = geometry_numbers(mark.detection if mark is not None else None, region=region)
    if numbers:
        rows.append(f"<li><b>Geometry</b>: {html.escape('; '.join(numbers))}.</li>")
    if result.size is not None:
        rows.append(f"<li><b>Suspect</b>: {result.size[0]} x {result.size[1]} pixels.</li>")
    ai = set(ai_findings(result))
    shortened = set(result.metadata.findings()) if result.metadata is not None else set()
    for extra in result.findings:  # the public marks, Content Credentials (metadata below, whole)
        if extra not in ai and extra not in shortened:
            rows.append(f"<li>{html.escape(str(extra))}</li>")
    if result.metadata is not None:
        for field, value, where in dict.fromkeys(result.metadata.fields):
            rows.append(
                f"<li><b>Metadata</b> {html.escape(field.replace('_', ' '))} ({html.escape(where)}): "
                f"{html.escape(value)}</li>"
            )
    return "<ul>" + "".join(rows) + "</ul>"
