"""What the app keeps for one session: settings and the unlocked identity.

The passphrase is asked once per session (or read from
``ARTISTSHIELD_PASSPHRASE``) and the unlocked :class:`~artistshield.identity.Identity`
stays in memory until the app quits; it is never written anywhere else.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QWidget

from artistshield.gui.checked_dialog import CheckedDialog

if TYPE_CHECKING:
    from artistshield.identity import Identity


def settings() -> QSettings:
    """The app's settings, an INI file in the data folder, private (0600) like the rest."""
    from artistshield.fileio import make_private_file
    from artistshield.paths import data_dir

    path = make_private_file(data_dir() / "settings.ini")  # Qt keeps the mode it finds
    return QSettings(str(path), QSettings.Format.IniFormat)


class PassphraseDialog(CheckedDialog):
    """Ask for a passphrase; with *confirm*, ask twice (for a new one)."""

    def __init__(
        self, prompt: str, parent: QWidget | None = None, *, confirm: bool = False,
        title: str = "Passphrase",
    ) -> None:
        super().__init__(title, parent)
        label = QLabel(prompt)
        label.setWordWrap(True)
        self.content.addWidget(label)
        form = QFormLayout()
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Passphrase:", self.first)
        self.second: QLineEdit | None = None
        if confirm:
            self.second = QLineEdit()
            self.second.setEchoMode(QLineEdit.EchoMode.Password)
            form.addRow("Again:", self.second)
        self.content.addLayout(form)

    def find_problem(self) -> str | None:
        if not self.first.text():
            return "The passphrase is empty."
        if self.second is not None and self.second.text() != self.first.text():
            return "The two passphrases differ."
        return None

    def passphrase(self) -> str:
        return self.first.text()


class Session(QObject):
    """The unlocked identity for this run of the app."""

    identity_changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._identity: Identity | None = None

    @property
    def identity(self) -> Identity | None:
        return self._identity

    def set_identity(self, identity: Identity | None) -> None:
        self._identity = identity
        self.identity_changed.emit()

    def unlock(self, parent: QWidget | None = None) -> Identity | None:
        """The identity, asking for the passphrase at most once per session.

        Returns None if there is no identity or the user cancels.  A wrong
        passphrase is asked again.
        """
        if self._identity is not None:
            return self._identity
        from artistshield import identity

        if not identity.exists():
            return None
        if not identity.public_info().encrypted:
            self.set_identity(_load_off_thread(None))
            return self._identity
        env = os.environ.get(identity.ENV_PASSPHRASE)
        if env:
            self.set_identity(_load_off_thread(env))
            return self._identity
        prompt = "Enter your passphrase to unlock your identity for this session."
        while True:
            dialog = PassphraseDialog(prompt, parent, title="Unlock your identity")
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            try:
                self.set_identity(_load_off_thread(dialog.passphrase()))
            except identity.PassphraseError:
                prompt = "That passphrase does not open your identity. Try again."
                continue
            return self._identity


def _load_off_thread(passphrase: str | None) -> Identity:
    """Open the identity on a worker thread while the window keeps repainting.

    The key derivation is deliberately slow (scrypt), so it must not run on
    the UI thread; a local event loop waits for it, as a modal dialog would.
    Errors (a wrong passphrase included) are raised here, as from
    :func:`artistshield.identity.load`.
    """
    from PySide6.QtCore import QEventLoop

    from artistshield import identity
    from artistshield.gui.workers import Worker

    opened: list[Identity] = []
    failed: list[Exception] = []

    def job(report: object, cancelled: object) -> None:
        try:
            opened.append(identity.load(passphrase))
        except Exception as exc:  # handed back to the caller's thread below
            failed.append(exc)

    loop = QEventLoop()
    worker = Worker(job, name="unlocking your identity")
    worker.signals.finished.connect(loop.quit)
    worker.start()
    loop.exec()
    if failed:
        raise failed[0]
    return opened[0]
