"""The Check view's consent panel: what a suspect says about AI training, and what it said.

The suspect's own signals (IPTC data mining in its metadata, training and
mining entries in its Content Credentials) each with where it was found and
whether a valid signature covers it; and, when the mark names a registered
work whose copy stated consent but this one states none, "this copy's
credentials were removed; the original said …" from the artist's registry.
The facts come from :mod:`artistshield.provenance.signals` and the check's
result; this module only words and lays them out.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from artistshield.provenance import signals

if TYPE_CHECKING:
    from artistshield.check import CheckResult


def consent_lines(result: CheckResult) -> list[str]:
    """The panel's sentences for *result*, plain text, most important first."""
    if result.c2pa is None and result.metadata is None:
        return ["Not read: this check did not look at the file's metadata or credentials."]
    found = signals.gather(result.c2pa, result.metadata)
    lines: list[str] = []
    recorded = result.recorded_consent
    if result.credentials_stripped and recorded is not None:
        lines.append(
            f"This copy's credentials were removed; the original said: {recorded.statement} "
            f"(recorded for work {recorded.work_id} in your registry"
            + (", with its signed Content Credentials)." if recorded.manifest else ").")
        )
    if not found.signals:
        if not lines:
            lines.append("This copy says nothing about AI training or data mining.")
        return lines
    lines.append(
        "This copy says: not for AI training." if found.refuses_training
        else "This copy does not refuse AI training."
    )
    for signal in found.signals:
        about = signal.to_json()
        name = "IPTC data mining" if signal.kind == "data_mining" else signal.kind
        how = (
            "covered by a valid signature" if signal.signed
            else "not signed: anyone could have written or removed it"
        )
        lines.append(f"{name} ({signal.source}): {about['meaning']}; {how}.")
    if any(s.signed for s in found.signals):
        lines.append(f"Content Credentials signature: {found.signature}.")
    if recorded is not None and not result.credentials_stripped:
        lines.append(f"Your registry recorded for work {recorded.work_id}: {recorded.statement}.")
    return lines


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
