"""Identity view's passphrase change and the About box, driven as a user would."""

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from artistshield import __version__, identity
from artistshield.gui import identity_view


def answer_passphrase_dialogs(monkeypatch: pytest.MonkeyPatch, *answers: str) -> list[str]:
    """Make each PassphraseDialog accept with the next of *answers*; return the prompts seen."""
    queue = list(answers)
    prompts: list[str] = []

    def exec_(self) -> int:
        prompts.append(self.windowTitle())
        self._answer = queue.pop(0)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(identity_view.PassphraseDialog, "exec", exec_)
    monkeypatch.setattr(identity_view.PassphraseDialog, "passphrase", lambda self: self._answer)
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: QMessageBox.StandardButton.Ok)
    return prompts


def test_change_passphrase_seals_the_identity_with_the_new_one(window, monkeypatch) -> None:
    # the window's identity has no passphrase: only the new one is asked for
    prompts = answer_passphrase_dialogs(monkeypatch, "a new passphrase")
    window.identity_view.change_passphrase()
    assert prompts == ["Change passphrase"]
    assert identity.public_info().encrypted
    assert identity.load("a new passphrase").artist_id == window.session.identity.artist_id
    with pytest.raises(identity.PassphraseError):
        identity.load("not it")


def test_change_passphrase_refuses_a_wrong_current_one(window, monkeypatch) -> None:
    answer_passphrase_dialogs(monkeypatch, "first")
    window.identity_view.change_passphrase()
    errors: list[str] = []
    monkeypatch.setattr(identity_view, "show_error", lambda message, *a, **k: errors.append(message))
    answer_passphrase_dialogs(monkeypatch, "wrong", "second")
    window.identity_view.change_passphrase()
    assert errors and "nothing was changed" in errors[0]
    assert identity.load("first")  # still the old one


def test_about_names_the_version_and_the_licences(window, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window.about()
    assert __version__ in shown[0]
    assert "GPL" in shown[0] and "PySide6" in shown[0]
