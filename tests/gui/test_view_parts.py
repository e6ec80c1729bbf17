"""Small parts the views share: progress throttling, unlocking, the registry's detail rows."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog

from artistshield import identity
from artistshield.gui import session
from artistshield.gui.registry_view import detail_rows
from artistshield.gui.workers import Throttle
from artistshield.registry import Work


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_throttle_lets_through_the_first_the_last_and_one_per_interval() -> None:
    clock = Clock()
    due = Throttle(0.1, clock=clock)
    assert due(1, 50)  # the first frame, always
    clock.now += 0.01
    assert not due(2, 50)  # too soon
    clock.now += 0.01
    assert not due(3, 50)
    clock.now += 0.1
    assert due(4, 50)  # an interval later
    clock.now += 0.01
    assert due(50, 50)  # the last frame, always
    assert Throttle(0.1, clock=clock)(7, 0)  # a fresh throttle reports its first call


def test_detail_rows_of_a_work_without_a_fingerprint() -> None:
    work = Work(
        work_id="W-000001", title="Hills", file_name="hills.png", registered="2026-01-01T00:00:00Z",
        file_size=1, file_sha256="0" * 64, pixels_sha256="1" * 64, width=64, height=48,
        channels=3, frame_count=1, payload=None, fingerprint_sha256=None,
        thumbnail_sha256="2" * 64, register_seq=1, marked=False,
    )
    rows = dict(detail_rows(work, "valid"))
    assert rows["Fingerprint SHA-256"] == "none stored"  # was None, which html.escape cannot take
    assert rows["Mark payload"] == "—" and rows["Signature"] == "valid"
    assert all(isinstance(text, str) for text in rows.values())


def test_unlocking_asks_again_after_a_wrong_passphrase(qapp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identity, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})  # cheap: not about scrypt
    monkeypatch.delenv(identity.ENV_PASSPHRASE, raising=False)
    made = identity.create("Mira", "right")
    answers = ["wrong", "right"]

    def exec_(dialog: session.PassphraseDialog) -> int:
        dialog._answer = answers.pop(0)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(session.PassphraseDialog, "exec", exec_)
    monkeypatch.setattr(session.PassphraseDialog, "passphrase", lambda dialog: dialog._answer)
    unlocked = session.Session().unlock()
    assert unlocked is not None and unlocked.artist_id == made.artist_id
    assert answers == []  # asked twice: the wrong passphrase, then the right one
