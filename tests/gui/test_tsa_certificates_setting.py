"""Settings > Consent names the TSA's certificate file; stamping in the background uses it.

The authority is a local OpenSSL TSA on 127.0.0.1 (``tests/unit/local_tsa.py``)
whose answers do not carry its root: only the file chosen in the settings
lets its stamps be checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import unit_modules
from PIL import Image
from PySide6.QtCore import Qt

from artistshield import identity
from artistshield.gui import dialogs
from artistshield.gui.session import Session, settings
from artistshield.gui.settings_dialog import SettingsDialog
from artistshield.gui.stamping import StampingJob
from artistshield.registry import Registry, timestamp

local_tsa = unit_modules.load("local_tsa")


@pytest.fixture
def tsa(tmp_path: Path) -> Iterator[object]:
    if local_tsa.OPENSSL is None:
        pytest.skip("needs the openssl command")
    with local_tsa.serve(local_tsa.LocalTSA(tmp_path / "tsa", "Test TSA")) as running:
        yield running


def choose(qtbot, monkeypatch, dialog: SettingsDialog, path: Path) -> None:
    asked: list[str] = []

    def open_file(parent, title, kind=dialogs.ALL_FILES, **_):
        asked.append(kind)
        return path

    monkeypatch.setattr(dialogs, "open_file", open_file)
    qtbot.mouseClick(dialog.consent.choose_certs, Qt.MouseButton.LeftButton)
    assert asked and "*.pem" in asked[0]


def test_the_certificate_file_is_chosen_saved_and_read_back(qtbot, monkeypatch, tmp_path) -> None:
    root = local_tsa.LocalTSA(tmp_path / "tsa", "Test TSA").root_pem
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    assert not dialog.consent.choose_certs.isEnabled(), "no authority, no certificates to choose"
    dialog.consent.tsa_url.setText("http://127.0.0.1:9/tsa")
    choose(qtbot, monkeypatch, dialog, root)
    assert dialog.consent.tsa_certs.text() == str(root)
    dialog.save()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    assert timestamp.configured() == ("http://127.0.0.1:9/tsa", root)  # as `registry timestamp` reads it
    again = SettingsDialog()
    qtbot.addWidget(again)
    assert again.consent.tsa_certs.text() == str(root)
    again.consent.tsa_certs.clear()
    again.save()
    assert timestamp.configured() == ("http://127.0.0.1:9/tsa", None)


def test_a_file_without_certificates_is_refused(qtbot, tmp_path) -> None:
    junk = tmp_path / "notes.pem"
    junk.write_text("not a certificate")
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    dialog.consent.tsa_url.setText("http://127.0.0.1:9/tsa")
    dialog.consent.tsa_certs.setText(str(junk))
    dialog.save()
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    assert "holds no readable certificate" in dialog.problem.text()
    assert settings().value("tsa_certs") is None and settings().value("tsa_url") is None


def test_background_stamping_checks_the_stamp_against_the_chosen_file(
    qtbot, monkeypatch, tmp_path, tsa
) -> None:
    artist = identity.create("Ada", None)
    pixels = np.full((64, 64, 3), 40, np.uint8)
    pixels[::7, :, 0] = 255
    Image.fromarray(pixels).save(tmp_path / "art.png")
    with Registry.open() as registry:
        registry.add_work(pixels, file_path=tmp_path / "art.png", identity=artist)
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    dialog.consent.tsa_url.setText(tsa.url)
    dialog.consent.stamp_online.setChecked(True)
    choose(qtbot, monkeypatch, dialog, tsa.root_pem)
    dialog.save()
    session = Session()
    job = StampingJob(session)
    with qtbot.waitSignal(job.stamped, timeout=30_000) as stamped:
        session.set_identity(artist)
    qtbot.waitUntil(lambda: not job.busy, timeout=10_000)
    job.stop()
    stamp = stamped.args[0]
    assert stamp.tsa == "Test TSA" and stamp.root == "Test TSA Root CA"
    with Registry.open() as registry:
        assert timestamp.pending(registry.log()) == 0
