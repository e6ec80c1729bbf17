"""The Identity view: who you are to the registry, and keeping that safe.

Shows the artist ID and public key (both copyable, both safe to publish), and
offers backup, restore and a new passphrase.  Losing the identity means never
finding one's marks again, so restoring over a different one asks twice.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from artistshield.gui import dialogs
from artistshield.gui.errors import show_error
from artistshield.gui.resources import icon
from artistshield.gui.session import PassphraseDialog, Session
from artistshield.paths import IDENTITY_BACKUP, MEMBERSHIP, MEMBERSHIP_REQUEST, UNION_PROFILE


def _copy_row(field: QLineEdit) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(field, 1)
    button = QPushButton(icon("copy"), "Copy")
    button.setToolTip("Copy to the clipboard")
    button.clicked.connect(lambda: QGuiApplication.clipboard().setText(field.text()))
    layout.addWidget(button)
    return row


class IdentityView(QWidget):
    changed = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        layout = QVBoxLayout(self)
        about = QGroupBox("Your identity")
        form = QFormLayout(about)
        self.name = QLabel()
        self.artist_id = QLineEdit()
        self.artist_id.setReadOnly(True)
        self.artist_id.setToolTip("Your artist ID: put it in your bio so people can check your proofs")
        self.public_key = QLineEdit()
        self.public_key.setReadOnly(True)
        self.public_key.setToolTip("Your public key: anyone can use it to check your signatures")
        self.created = QLabel()
        self.protection = QLabel()
        self.protection.setWordWrap(True)
        form.addRow("Name:", self.name)
        form.addRow("Artist ID:", _copy_row(self.artist_id))
        form.addRow("Public key:", _copy_row(self.public_key))
        form.addRow("Created:", self.created)
        form.addRow("Protection:", self.protection)
        layout.addWidget(about)
        note = QLabel(
            "Your artist ID and public key are safe to share. Your secret keys never leave this "
            "computer except in a backup sealed with a passphrase. <b>Keep a backup somewhere "
            "else</b> (a USB stick, a cloud drive): without it, a lost computer means your marks "
            "can never be read again."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QHBoxLayout()
        self.backup_button = QPushButton(icon("export"), "Save a backup…")
        self.backup_button.clicked.connect(self.choose_backup)
        self.restore_button = QPushButton(icon("import"), "Restore from backup…")
        self.restore_button.clicked.connect(self.choose_restore)
        self.passphrase_button = QPushButton(icon("key"), "Change passphrase…")
        self.passphrase_button.clicked.connect(self.change_passphrase)
        for b in (self.backup_button, self.restore_button, self.passphrase_button):
            buttons.addWidget(b)
        buttons.addStretch()
        layout.addLayout(buttons)
        union = QGroupBox("Your union")
        union_layout = QVBoxLayout(union)
        self.union_status = QLabel()
        self.union_status.setWordWrap(True)
        union_layout.addWidget(self.union_status)
        union_buttons = QHBoxLayout()
        self.request_button = QPushButton("Ask to join a union…")
        self.request_button.setToolTip("Save a request to send your union (nothing secret in it)")
        self.request_button.clicked.connect(self.choose_request)
        self.join_button = QPushButton("Join with a file from your union…")
        self.join_button.setToolTip("Its profile, or the membership file it sent you")
        self.join_button.clicked.connect(self.choose_join)
        union_buttons.addWidget(self.request_button)
        union_buttons.addWidget(self.join_button)
        union_buttons.addStretch()
        union_layout.addLayout(union_buttons)
        layout.addWidget(union)
        layout.addStretch()
        session.identity_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        from artistshield import identity

        self.refresh_union()
        if not identity.exists():
            self.name.setText("No identity yet")
            for field in (self.artist_id, self.public_key):
                field.clear()
            return
        info = identity.public_info()
        self.name.setText(f"<b>{info.name}</b>")
        self.artist_id.setText(info.artist_id)
        self.public_key.setText(info.public_key.hex())
        self.created.setText(info.created.replace("T", " ").rstrip("Z") + " UTC")
        self.protection.setText(
            "Sealed with your passphrase." if info.encrypted else
            "<span style='color:#d93025'>Not protected by a passphrase: anyone using this "
            "computer account can sign as you.</span>"
        )

    def refresh_union(self) -> None:
        from artistshield.errors import ArtistShieldError
        from artistshield.union import membership

        try:
            member = membership.membership_info()
            profile = membership.load_profile()
        except ArtistShieldError as exc:
            self.union_status.setText(html.escape(str(exc)))
            return
        if member is not None:
            union = member["union"]
            self.union_status.setText(
                f"Member {member['member_no']} of <b style='color:{html.escape(union['colour'])}'>"
                f"{html.escape(union['name'])}</b>. New marks use the union's key, so it can "
                "find them for you; your signed records still prove which work is yours."
            )
        elif profile is not None:
            self.union_status.setText(
                f"This app uses <b>{html.escape(profile['union']['name'])}</b>'s settings. "
                "To mark as a member, ask to join and open the membership file it sends back."
            )
        else:
            self.union_status.setText(
                "Not a member of a union. If your union or guild uses ArtistShield, it can "
                "find your marks for you once you join."
            )

    def choose_request(self) -> None:
        path = dialogs.save_file(self, "Save your request to join", MEMBERSHIP_REQUEST)
        if path:
            self.save_request(path)

    def save_request(self, path: Path) -> bool:
        import json

        from artistshield.union import membership

        ident = self.session.unlock(self)
        if ident is None:
            return False
        from artistshield.errors import ArtistShieldError
        from artistshield.fileio import write_file

        text = json.dumps(membership.request_membership(ident), indent=1)
        try:
            write_file(path, text.encode("utf-8"))
        except ArtistShieldError as exc:
            show_error(f"The request was not saved: {exc}", parent=self)
            return False
        return True

    def choose_join(self) -> None:
        patterns = " ".join(f"*{s}" for s in (UNION_PROFILE.suffix, MEMBERSHIP.suffix, ".json"))
        path = dialogs.open_file(self, "A file from your union", f"Union files ({patterns});;All files (*)")
        if path:
            self.join_union(path)

    def join_union(self, path: Path) -> bool:
        """Join with a union's profile or a membership file; True if it took."""
        from artistshield.errors import ArtistShieldError
        from artistshield.union import membership
        from artistshield.union.authority import PROFILE_FORMAT

        try:
            document = membership.read_union_file(path)
            if isinstance(document, dict) and document.get("format") == PROFILE_FORMAT:
                membership.join_profile(path)
            else:
                ident = self.session.unlock(self)
                if ident is None:
                    return False
                membership.join(path, ident)
        except ArtistShieldError as exc:
            show_error(str(exc), parent=self)
            return False
        self.refresh_union()
        self.changed.emit()
        return True

    def choose_backup(self) -> None:
        path = dialogs.save_file(self, "Save a backup of your identity", IDENTITY_BACKUP)
        if path is None:
            return
        dialog = PassphraseDialog(
            "Choose a passphrase for the backup. You will need it to restore; write it down.",
            self, confirm=True, title="Backup passphrase",
        )
        if dialog.exec() == QDialog.DialogCode.Accepted:  # the file dialog asked to replace
            self.save_backup(path, dialog.passphrase(), replace=path.exists())

    def save_backup(self, path: Path, passphrase: str, *, replace: bool = False) -> bool:
        from artistshield import identity

        ident = self.session.unlock(self)
        if ident is None:
            return False
        try:
            identity.export(path, passphrase, identity=ident, force=replace)
        except Exception as exc:
            show_error(f"The backup was not saved: {exc}", parent=self)
            return False
        return True

    def choose_restore(self) -> None:
        path = dialogs.open_file(self, "Restore your identity from a backup", IDENTITY_BACKUP)
        if path is None:
            return
        dialog = PassphraseDialog("The passphrase of this backup:", self, title="Restore")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.restore(path, dialog.passphrase())

    def restore(self, path: Path, passphrase: str, *, force: bool | None = None) -> bool:
        from artistshield import identity
        from artistshield.errors import ArtistShieldError

        try:
            if force is None and identity.exists():
                current = identity.public_info()
                force = False
                try:
                    ident = identity.import_(path, passphrase)
                except ArtistShieldError as exc:
                    if "different identity" not in str(exc):
                        raise
                    answer = QMessageBox.warning(
                        self, "Replace your identity?",
                        f"This backup is a different identity from yours ({current.artist_id}). "
                        "Replace it? The current one is kept in a file beside it.",
                        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                        QMessageBox.StandardButton.No,
                    )
                    if answer != QMessageBox.StandardButton.Yes:
                        return False
                    ident = identity.import_(path, passphrase, force=True)
            else:
                ident = identity.import_(path, passphrase, force=bool(force))
        except ArtistShieldError as exc:
            show_error(str(exc), parent=self)
            return False
        self.session.set_identity(ident)
        self.changed.emit()
        return True

    def change_passphrase(self) -> None:
        import os

        from artistshield import identity

        old: str | None = None
        if identity.public_info().encrypted:
            old = os.environ.get(identity.ENV_PASSPHRASE)
            if not old:
                ask = PassphraseDialog("Your current passphrase:", self, title="Change passphrase")
                if ask.exec() != QDialog.DialogCode.Accepted:
                    return
                old = ask.passphrase()
        new = PassphraseDialog("Your new passphrase:", self, confirm=True, title="Change passphrase")
        if new.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            ident = identity.change_passphrase(old, new.passphrase())
        except identity.PassphraseError:
            show_error("That is not your current passphrase; nothing was changed.", parent=self)
            return
        self.session.set_identity(ident)
        QMessageBox.information(self, "Passphrase changed", "Your identity is now sealed with the new passphrase. "
                                "Old backups keep their own passphrase.")
