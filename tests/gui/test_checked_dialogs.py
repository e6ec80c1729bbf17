"""The passphrase and settings dialogs refuse a wrong answer in red and stay open."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog

from artistshield.gui.session import PassphraseDialog, settings
from artistshield.gui.settings_dialog import SettingsDialog


def test_a_new_passphrase_must_be_given_twice_the_same(qtbot) -> None:
    dialog = PassphraseDialog("Choose a passphrase.", confirm=True)
    qtbot.addWidget(dialog)
    dialog.accept()
    assert dialog.problem.text() == "The passphrase is empty."
    assert dialog.result() != QDialog.DialogCode.Accepted
    dialog.first.setText("one")
    assert dialog.second is not None
    dialog.second.setText("two")
    dialog.accept()
    assert dialog.problem.text() == "The two passphrases differ."
    assert dialog.result() != QDialog.DialogCode.Accepted
    dialog.second.setText("one")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.passphrase() == "one"


def test_settings_are_kept_only_once_they_can_be(qtbot) -> None:
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Settings"
    dialog.consent.tsa_url.setText("tsa.example.org")
    dialog.accept()
    assert "http://" in dialog.problem.text()
    assert settings().value("tsa_url") is None
    dialog.consent.tsa_url.setText("https://tsa.example.org/tsr")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert settings().value("tsa_url") == "https://tsa.example.org/tsr"
