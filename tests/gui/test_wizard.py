"""First run: create an identity (with or without a passphrase) or restore one."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWizard

from artistshield import identity
from artistshield.gui.session import Session
from artistshield.gui.wizard import PAGE_BACKUP, PAGE_CREATE, FirstRunWizard


def _wizard(qtbot) -> FirstRunWizard:
    wizard = FirstRunWizard(Session())
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def test_create_with_passphrase_and_save_backup(qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(identity.ENV_PASSPHRASE, "correct horse")
    wizard = _wizard(qtbot)
    wizard.next()
    assert wizard.currentId() == PAGE_CREATE
    page = wizard.create_page
    page.name.setText("Mira Okafor")
    page.passphrase.setText("correct horse")
    page.again.setText("correct horse")
    wizard.next()
    assert wizard.currentId() == PAGE_BACKUP
    assert identity.exists() and identity.public_info().encrypted
    backup = tmp_path / "backup.json"
    assert wizard.backup_page.save_backup(backup)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.result() == QWizard.DialogCode.Accepted
    assert identity.import_(backup, "correct horse").name == "Mira Okafor"
    # The session is unlocked once: the env passphrase opens it without a dialog.
    session = Session()
    assert session.unlock() is not None and session.unlock().name == "Mira Okafor"


def test_create_without_passphrase_warns(qtbot) -> None:
    wizard = _wizard(qtbot)
    wizard.ask_before_skipping = False
    wizard.next()
    page = wizard.create_page
    page.name.setText("Mira")
    page.no_passphrase.setChecked(True)
    assert page.warning.isVisibleTo(wizard)
    wizard.next()
    assert identity.exists() and not identity.public_info().encrypted
    assert wizard.session.identity is not None
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.result() == QWizard.DialogCode.Accepted


def test_mismatched_passphrases_are_refused(qtbot) -> None:
    wizard = _wizard(qtbot)
    wizard.next()
    page = wizard.create_page
    page.name.setText("Mira")
    page.passphrase.setText("one")
    page.again.setText("two")
    wizard.next()
    assert wizard.currentId() == PAGE_CREATE
    assert "differ" in page.problem.text()
    assert not identity.exists()


def test_restore_from_backup(qtbot, tmp_path: Path) -> None:
    made = identity.create("Mira", "pw")
    backup = identity.export(tmp_path / "b.json", "pw")
    identity.identity_path().unlink()
    wizard = _wizard(qtbot)
    wizard.start_page.restore.setChecked(True)
    wizard.next()
    wizard.restore_page.path.setText(str(backup))
    wizard.restore_page.passphrase.setText("pw")
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.session.identity == made
    assert identity.public_info().artist_id == made.artist_id
