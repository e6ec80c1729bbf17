"""First run: create the artist's identity (or restore one), then back it up.

Three short pages: choose, create (name, passphrase or none with a warning)
or restore, and an insistent offer to save a backup, because a lost
identity means marks that can never be read again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from artistshield.gui import dialogs
from artistshield.gui.resources import icon
from artistshield.paths import IDENTITY_BACKUP

if TYPE_CHECKING:
    from artistshield.gui.session import Session
    from artistshield.identity import Identity

PAGE_START, PAGE_CREATE, PAGE_RESTORE, PAGE_BACKUP = range(4)


def _label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


class StartPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Welcome to ArtistShield")
        self.setSubTitle("ArtistShield hides an invisible mark in your artwork and keeps a signed record of it.")
        layout = QVBoxLayout(self)
        layout.addWidget(_label(
            "First, your identity: a secret key that marks your work and signs your registry. "
            "It stays on this computer."
        ))
        # not "create": that would hide QWidget.create()
        self.create_new = QRadioButton("Create my identity (first time)")
        self.create_new.setChecked(True)
        self.restore = QRadioButton("Restore my identity from a backup")
        layout.addWidget(self.create_new)
        layout.addWidget(self.restore)

    def nextId(self) -> int:
        return PAGE_CREATE if self.create_new.isChecked() else PAGE_RESTORE


class CreatePage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Create your identity")
        self.setSubTitle("Your name appears on your proofs. The passphrase protects your keys.")
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Mira Okafor or @mira.draws")
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.no_passphrase = QCheckBox("Do not protect my keys with a passphrase")
        self.warning = _label(
            "<span style='color:#d93025'>Without a passphrase, anyone who can open your files "
            "can sign and mark as you.</span>"
        )
        self.warning.setVisible(False)
        self.no_passphrase.toggled.connect(self._toggle)
        self.problem = _label("")
        form.addRow("Your name:", self.name)
        form.addRow("Passphrase:", self.passphrase)
        form.addRow("Again:", self.again)
        form.addRow("", self.no_passphrase)
        form.addRow("", self.warning)
        form.addRow("", self.problem)
        self.registerField("name*", self.name)

    def _toggle(self, on: bool) -> None:
        self.passphrase.setEnabled(not on)
        self.again.setEnabled(not on)
        self.warning.setVisible(on)

    def validatePage(self) -> bool:
        from artistshield import identity

        secret: str | None = None
        if not self.no_passphrase.isChecked():
            secret = self.passphrase.text()
            if not secret:
                self.problem.setText("Choose a passphrase, or tick the box to go without one.")
                return False
            if secret != self.again.text():
                self.problem.setText("The two passphrases differ.")
                return False
        try:
            self.owner.created(identity.create(self.name.text(), secret), secret)
        except Exception as exc:
            self.problem.setText(str(exc))
            return False
        return True

    def nextId(self) -> int:
        return PAGE_BACKUP


class RestorePage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Restore your identity")
        self.setSubTitle("Pick the backup file you saved, and its passphrase.")
        form = QFormLayout(self)
        row = QHBoxLayout()
        self.path = QLineEdit()
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        holder = QWidget()
        holder.setLayout(row)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.problem = _label("")
        form.addRow("Backup file:", holder)
        form.addRow("Passphrase:", self.passphrase)
        form.addRow("", self.problem)

    def _browse(self) -> None:
        path = dialogs.open_file(self, "Your identity backup", IDENTITY_BACKUP)
        if path:
            self.path.setText(str(path))

    def validatePage(self) -> bool:
        from artistshield import identity

        try:
            self.owner.created(identity.import_(Path(self.path.text()), self.passphrase.text()), None)
        except Exception as exc:
            self.problem.setText(str(exc))
            return False
        return True

    def nextId(self) -> int:
        return -1


class BackupPage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.saved_to: Path | None = None
        self.setTitle("Save a backup — please do not skip this")
        self.setSubTitle("If this computer is lost or broken, the backup is the only way to read your marks again.")
        layout = QVBoxLayout(self)
        layout.addWidget(_label(
            "Save the backup somewhere other than this computer: a USB stick or a cloud drive. "
            "It is sealed with a passphrase; without the passphrase it is useless to anyone."
        ))
        form = QFormLayout()
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("the backup's passphrase")
        form.addRow("Backup passphrase:", self.passphrase)
        layout.addLayout(form)
        self.save_button = QPushButton(icon("save"), "Save backup…")
        self.save_button.clicked.connect(self._choose)
        layout.addWidget(self.save_button)
        self.result = _label("")
        layout.addWidget(self.result)

    def initializePage(self) -> None:
        if self.owner.passphrase:
            self.passphrase.setText(self.owner.passphrase)

    def _choose(self) -> None:
        path = dialogs.save_file(self, "Save your identity backup", IDENTITY_BACKUP)
        if path:  # the dialog asked before choosing an existing file
            self.save_backup(path, replace=path.exists())

    def save_backup(self, path: Path, *, replace: bool = False) -> bool:
        from artistshield import identity

        if not self.passphrase.text():
            self.result.setText("Choose a passphrase for the backup first.")
            return False
        try:
            identity.export(
                path, self.passphrase.text(), identity=self.owner.identity, force=replace
            )
        except Exception as exc:
            self.result.setText(f"Not saved: {exc}")
            return False
        self.saved_to = path
        self.result.setText(f"<span style='color:#1e8e3e'>Saved to {path}.</span>")
        return True

    def validatePage(self) -> bool:
        if self.saved_to is not None or not self.owner.ask_before_skipping:
            return True
        answer = QMessageBox.warning(
            self, "Continue without a backup?",
            "Without a backup, losing this computer means losing your identity: your marks could "
            "never be read again and your registry could not be extended. You can save one later "
            "from the Identity view.\n\nContinue without a backup?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes


class FirstRunWizard(QWizard):
    """The guided set-up shown when the data folder has no identity."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.identity: Identity | None = None
        self.passphrase: str | None = None
        self.ask_before_skipping = True
        self.setWindowTitle("Set up ArtistShield")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.start_page = StartPage()
        self.create_page = CreatePage(self)
        self.restore_page = RestorePage(self)
        self.backup_page = BackupPage(self)
        self.setPage(PAGE_START, self.start_page)
        self.setPage(PAGE_CREATE, self.create_page)
        self.setPage(PAGE_RESTORE, self.restore_page)
        self.setPage(PAGE_BACKUP, self.backup_page)
        self.resize(620, 460)

    def created(self, identity: Identity, passphrase: str | None) -> None:
        self.identity = identity
        self.passphrase = passphrase
        self.session.set_identity(identity)
