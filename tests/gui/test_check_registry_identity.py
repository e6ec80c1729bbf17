"""The Check, Registry and Identity views, driven as a user would."""

from __future__ import annotations

import json
from pathlib import Path

from mark_steps import mark_all as _mark
from PIL import Image
from PySide6.QtGui import QGuiApplication, QImage

from artistshield import identity
from artistshield.gui import errors
from artistshield.gui.check_view import verdict_kind


def _check(qtbot, view, path: Path):
    with qtbot.waitSignal(view.checked, timeout=30_000) as blocker:
        view.check_path(path)
    return blocker.args[0]


def test_check_recompressed_marked_copy(qtbot, window, artwork, drop, tmp_path: Path) -> None:
    out = _mark(qtbot, window, drop, artwork("painted-hills.png"))
    suspect = tmp_path / "reposted.jpg"
    Image.open(out / "painted-hills.png").convert("RGB").save(suspect, quality=75)
    view = window.check_view
    result = _check(qtbot, view, suspect)
    assert verdict_kind(result) == "mark"
    assert result.mark.work_id == "W-000001"
    assert view.verdict_title.text() == "Your mark is in this image"
    assert "W-000001" in view.verdict_body.text()
    assert view.suspect_view.has_image() and view.work_view.has_image()
    report = tmp_path / "evidence.json"
    with qtbot.waitSignal(view.reported, timeout=30_000):
        view.write_report(report)
    saved = json.loads(report.read_text())
    assert saved["watermark"]["work_id"] == "W-000001"
    assert saved["artist"]["artist_id"] == identity.public_info().artist_id
    page = tmp_path / "evidence.html"
    with qtbot.waitSignal(view.reported, timeout=60_000):
        view.write_report(page)
    text = page.read_text()
    assert "W-000001" in text and identity.public_info().artist_id in text
    assert "data:image/png;base64," in text
    assert (tmp_path / "evidence-bundle.asbundle").is_file()


def test_check_unrelated_image_says_no(qtbot, window, artwork) -> None:
    result = _check(qtbot, window.check_view, artwork("cel-portrait-alpha.png")[0])
    assert verdict_kind(result) == "none"
    assert window.check_view.verdict_title.text() == "No sign of your work"


def test_check_pasted_image(qtbot, window, artwork) -> None:
    _mark(qtbot, window, lambda v, p: v.dropped.emit(p), artwork("cel-portrait-alpha.png"))
    out = window.mark_view.output_folder() / "cel-portrait-alpha.png"
    QGuiApplication.clipboard().setImage(QImage(str(out)))
    view = window.check_view
    with qtbot.waitSignal(view.checked, timeout=30_000) as blocker:
        view.paste()
    assert verdict_kind(blocker.args[0]) == "mark"


def test_check_errors_reach_the_user(qtbot, window, tmp_path: Path) -> None:
    view = window.check_view
    QGuiApplication.clipboard().clear()
    view.paste()  # an empty clipboard is no error: the view says what to do
    assert not errors.open_dialogs
    assert not view.notice.isHidden() and "clipboard is empty" in view.notice.text.text()
    bad = tmp_path / "not-an-image.jpg"
    bad.write_bytes(b"hello")
    result = _check(qtbot, view, bad)
    assert verdict_kind(result) == "error"
    assert view.verdict_title.text() == "This image could not be checked"


def test_registry_lists_verifies_exports_and_registers(qtbot, window, artwork, drop, tmp_path) -> None:
    files = artwork("cel-portrait-alpha.png", "painted-hills.png", "cel-spookytree-alpha.png")
    _mark(qtbot, window, drop, files[:2])
    view = window.registry_view
    with qtbot.waitSignal(view.loaded, timeout=10_000) as listed:
        window.show_view(2)
    assert listed.args[0] == 2
    view.search.setText("hills")
    assert view.proxy.rowCount() == 1
    view.table.selectRow(0)
    assert "painted-hills.png" in view.detail.toPlainText()
    with qtbot.waitSignal(view.verified, timeout=10_000) as verified:
        view.verify_button.click()
    assert verified.args[0].ok and "intact" in view.status.text()
    assert "valid" in view.detail.toPlainText()
    with qtbot.waitSignal(view.exported, timeout=10_000):
        view.export(tmp_path / "proof.json", view.selected_ids())
    assert json.loads((tmp_path / "proof.json").read_text())["works"]
    view.search.clear()
    with qtbot.waitSignal(view.loaded, timeout=10_000) as listed:
        view.register_files([files[2]])
    assert listed.args[0] == 3
    assert view.model.item(2, 5).text() == "Registered"


def test_identity_view_shows_id_backs_up_and_restores(qtbot, window, tmp_path) -> None:
    view = window.identity_view
    window.show_view(3)
    info = identity.public_info()
    assert view.artist_id.text() == info.artist_id
    assert view.public_key.text() == info.public_key.hex()
    assert "Not protected" in view.protection.text()
    backup = tmp_path / "backup.json"
    assert view.save_backup(backup, "pw")
    assert view.restore(backup, "pw")
    assert window.session.identity.artist_id == info.artist_id
    assert not view.restore(backup, "wrong")
    assert errors.open_dialogs and "passphrase" in errors.open_dialogs[-1].message.lower()


def test_settings_and_geometry_persist(qtbot, window) -> None:
    from artistshield.gui.main_window import MainWindow

    window.resize(720, 540)  # inside the offscreen 800x600 screen
    window.mark_view.strength_slider.setValue(14)
    window.mark_view.platform_combo.setCurrentText("Pixiv")
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.mark_view.strength_slider.value() == 14
    assert again.mark_view.platform_combo.currentText() == "Pixiv"
    assert again.size().height() == 540


