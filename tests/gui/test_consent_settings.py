"""The app's Consent settings, the Mark view's consent line and the Check view's consent panel."""

from __future__ import annotations

from artistshield.check import CheckResult
from artistshield.gui.consent_panel import ConsentPanel, consent_lines
from artistshield.gui.mark_options import MarkOptions
from artistshield.gui.session import settings
from artistshield.gui.settings_dialog import SettingsDialog
from artistshield.provenance import consent
from artistshield.provenance.credentials import ABSENT, PRESENT, ContentCredentials
from artistshield.provenance.metadata import Metadata
from artistshield.provenance.record import RecordedConsent
from artistshield.registry import timestamp

PLUS = "http://ns.useplus.org/ldf/vocab/"


def test_the_defaults_refuse_training_and_sign(qtbot) -> None:
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    section = dialog.consent
    assert section.enabled.isChecked() and section.c2pa.isChecked()
    assert section.data_mining.currentData() == "DMI-PROHIBITED-AIMLTRAINING"
    assert section.tsa_url.text() == "" and not section.stamp_online.isEnabled()
    options = MarkOptions()
    qtbot.addWidget(options)
    assert options.consent_label.text() == (
        "Each copy says “not for AI training” (DMI-PROHIBITED-AIMLTRAINING) in their metadata "
        "and signed Content Credentials."
    )


def test_the_consent_section_is_saved_where_the_command_line_reads_it(qtbot) -> None:
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    section = dialog.consent
    section.data_mining.setCurrentIndex(section.data_mining.findData("DMI-PROHIBITED"))
    section.c2pa.setChecked(False)
    section.tsa_url.setText("http://127.0.0.1:9/tsr")
    section.stamp_online.setChecked(False)
    dialog.save()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    chosen = consent.from_settings("Zoë")
    assert chosen is not None and chosen.data_mining == "DMI-PROHIBITED"
    assert not consent.c2pa_enabled()
    assert timestamp.configured()[0] == "http://127.0.0.1:9/tsr"
    again = SettingsDialog()
    qtbot.addWidget(again)
    assert again.consent.data_mining.currentData() == "DMI-PROHIBITED"
    assert not again.consent.c2pa.isChecked() and not again.consent.stamp_online.isChecked()
    assert again.consent.tsa_url.text() == "http://127.0.0.1:9/tsr"
    options = MarkOptions()
    qtbot.addWidget(options)
    assert "data mining prohibited" in options.consent_label.text()
    assert "(not signed)" in options.consent_label.text()


def test_turning_consent_off_reaches_the_command_line_and_the_mark_view(qtbot) -> None:
    options = MarkOptions()
    qtbot.addWidget(options)
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    dialog.consent.enabled.setChecked(False)
    assert not dialog.consent.data_mining.isEnabled()
    dialog.save()
    assert consent.from_settings("Zoë") is None
    options.refresh_consent()
    assert options.consent_label.text().startswith("Off: marked copies say nothing")


def test_a_tsa_address_that_is_not_http_is_refused(qtbot) -> None:
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    dialog.consent.tsa_url.setText("ftp://example.org/tsa")
    dialog.save()
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    assert "http://" in dialog.problem.text()
    assert settings().value("tsa_url") is None


def signed_copy() -> CheckResult:
    credentials = ContentCredentials(
        PRESENT, signer="Zoë", training_mining=("cawg.ai_training: notAllowed",)
    )
    metadata = Metadata((("data_mining", PLUS + "DMI-PROHIBITED-AIMLTRAINING", "XMP"),))
    return CheckResult(input="copy.png", c2pa=credentials, metadata=metadata)


def test_the_panel_says_what_a_copy_refuses_and_whether_it_is_signed(qtbot) -> None:
    assert consent_lines(signed_copy()) == [
        "This copy says: not for AI training.",
        "IPTC data mining (XMP): prohibited for AI/ML training; covered by a valid signature.",
        "cawg.ai_training (C2PA): not allowed; covered by a valid signature.",
        "Content Credentials signature: valid, but the signer is not on any trust list "
        "(untrusted).",
    ]
    unsigned = CheckResult(
        input="copy.jpg", c2pa=ContentCredentials(ABSENT),
        metadata=Metadata((("data_mining", PLUS + "DMI-ALLOWED", "XMP"),)),
    )
    assert consent_lines(unsigned) == [
        "This copy does not refuse AI training.",
        "IPTC data mining (XMP): data mining allowed; not signed: anyone could have written "
        "or removed it.",
    ]


def test_the_panel_tells_what_a_stripped_copy_said(qtbot) -> None:
    recorded = RecordedConsent("w-7", "DMI-PROHIBITED-AIMLTRAINING", manifest=b"manifest")
    stripped = CheckResult(
        input="stripped.png", c2pa=ContentCredentials(ABSENT), metadata=Metadata(),
        recorded_consent=recorded,
    )
    assert consent_lines(stripped) == [
        "This copy's credentials were removed; the original said: not for AI training "
        "(recorded for work w-7 in your registry, with its signed Content Credentials)."
    ]
    panel = ConsentPanel()
    qtbot.addWidget(panel)
    panel.show_result(stripped)
    assert "<b>This copy&#x27;s credentials were removed" in panel.text.text()
    no_provenance = CheckResult(input="x.png")
    assert consent_lines(no_provenance)[0].startswith("Not read")


def test_the_check_view_shows_the_panel_for_each_check(window) -> None:
    panels = window.check_view.findChildren(ConsentPanel)
    assert len(panels) == 1
    window.check_view.checked.emit(signed_copy())
    assert "This copy says: not for AI training." in panels[0].text.text()


def test_the_settings_menu_changes_what_the_mark_view_says(window, monkeypatch) -> None:
    def choose(dialog: SettingsDialog) -> int:
        dialog.consent.enabled.setChecked(False)
        dialog.save()
        return int(dialog.result())

    monkeypatch.setattr(SettingsDialog, "exec", choose)
    before = window.mark_view.options.consent_label.text()
    assert before.startswith("Each copy says “not for AI training”")
    window.open_settings()
    assert window.mark_view.options.consent_label.text().startswith("Off:")
    assert consent.from_settings("Test Artist") is None
