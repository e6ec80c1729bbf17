"""The Check view leads with the verdict, never shows a stale result, and says where reports went."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from mark_steps import mark_all as _mark
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication

from artistshield import check
from artistshield.check import CheckResult, MarkFinding
from artistshield.gui import errors, sd_install
from artistshield.gui.check_job import Checked
from artistshield.provenance.sd import NOT_INSTALLED, StableDiffusionReport
from artistshield.registry import WorkMatch
from artistshield.watermark import Detection

SETTINGS = (
    "a castle at dusk, in the style of Test Artist\nNegative prompt: blurry\nSteps: 30, "
    "Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234567890, Size: 1024x1024, "
    "Model hash: 31e35c80fc, Model: sd_xl_base_1.0_0.9vae, Version: v1.6.0"
)
MISSED = Detection(found=False, payload=None, p_value=0.4, score=0.3)


def _check(qtbot, view, path: Path) -> CheckResult:
    with qtbot.waitSignal(view.checked, timeout=60_000) as blocker:
        view.check_path(path)
    return blocker.args[0]


def test_an_ai_finding_is_in_the_verdict_card_in_full(qtbot, window, artwork, tmp_path: Path) -> None:
    (art,) = artwork("painted-bridge.png")
    info = PngInfo()
    info.add_text("parameters", SETTINGS)
    suspect = tmp_path / "generated.png"
    Image.open(art).convert("RGB").save(suspect, pnginfo=info)
    window.show_view(1)
    view = window.check_view
    _check(qtbot, view, suspect)
    card = view.card
    assert card.ai_box.isVisible()
    assert " ".join(SETTINGS.split()) in card.ai.text()  # whole, not cut off (spaces as read)
    assert "Model: sd_xl_base_1.0_0.9vae, Version: v1.6.0" in card.ai.text()
    assert "names you" in card.body.text() and "Test Artist" in card.body.text()


def test_technical_details_are_folded_away_and_non_matches_on_request(qtbot, window) -> None:
    window.show_view(1)
    view = window.check_view
    near = WorkMatch("W-000009", 0.31, False, None, "local")
    found = Detection(True, 168991094030832, 6.9e-95, 12.0, scale=1.0, rotation=0.0,
                      flipped=False, offset=(64, 0))
    result = CheckResult("s.png", marks=[MarkFinding("your key", found, "W-000001")],
                         matches=[near], size=(800, 600), works_compared=4)
    view.show_checked(Checked(result))
    assert view.card.title.text() == "Your mark is in this image"
    for number in ("168991094030832", "6.9e-95", "p =", "offset"):
        assert number not in view.card.body.text()
    details = view.details
    assert details.text.isHidden() and not details.toggle.isChecked()
    details.toggle.click()
    assert details.text.isVisible()
    text = details.text.toPlainText()
    assert "payload 168991094030832" in text and "tile offset (64, 0)" in text
    assert "does not match work" not in text and "W-000009" not in text
    details.non_matches.click()
    assert "does not match work W-000009" in details.text.toPlainText()


def test_the_main_finding_needs_no_scrolling_at_1024x640(qtbot, window) -> None:
    window.resize(1024, 640)
    window.show_view(1)
    view = window.check_view
    near = WorkMatch("W-000009", 0.41, False, None, "local")
    result = CheckResult("s.jpg", marks=[MarkFinding("your key", MISSED)], matches=[near],
                         works_compared=12)
    view.show_checked(Checked(result))
    qtbot.waitUntil(lambda: window.width() == 1024 and window.height() == 640)  # it fits so narrow
    qtbot.waitUntil(lambda: view.card.body.height() > 0)
    QGuiApplication.processEvents()
    body = view.card.body
    assert body.height() >= body.heightForWidth(body.width())  # every line of it shown
    assert body.visibleRegion().boundingRect().height() >= body.heightForWidth(body.width())


def test_no_stale_result_while_a_check_runs(qtbot, window, artwork, monkeypatch) -> None:
    window.show_view(1)
    view = window.check_view
    first, second = artwork("painted-hills.png", "cel-portrait-alpha.png")
    _check(qtbot, view, first)
    qtbot.waitUntil(lambda: view.worker is None, timeout=10_000)
    assert view.save_button.isEnabled() and view.suspect_view.has_image()
    gate, real = threading.Event(), check.check_file

    def held(*args, **kwargs):
        gate.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(check, "check_file", held)
    try:
        view.check_path(second)
        assert view.card.title.text() == "Checking…"
        assert view.result is None and not view.save_button.isEnabled()
        assert not view.suspect_view.has_image() and not view.work_view.has_image()
        assert view.details.text.toPlainText() == ""
        assert "checking" in view.suspect_caption.text()
        assert view.suspect_view.placeholder.startswith("Checking cel-portrait-alpha.png")
    finally:
        gate.set()
    qtbot.waitUntil(lambda: view.result is not None, timeout=60_000)
    assert Path(view.result.input) == second


def test_a_saved_report_says_where_and_one_set_shares_one_bundle(
    qtbot, window, artwork, drop, tmp_path: Path, monkeypatch
) -> None:
    out = _mark(qtbot, window, drop, artwork("painted-hills.png"))
    window.show_view(1)
    view = window.check_view
    _check(qtbot, view, out / "painted-hills.png")
    reports = tmp_path / "reports"
    reports.mkdir()
    page = reports / "case.html"
    with qtbot.waitSignal(view.reported, timeout=60_000):
        view.write_report(page, found_at="https://example.com/post/7")
    said = view.notice.text.text()
    assert "case.html" in said and str(reports) in said and "case-bundle.asbundle" in said
    assert "https://example.com/post/7" in page.read_text(encoding="utf-8")
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    view.notice.button("Open report").click()
    view.notice.button("Open folder").click()
    assert [u.toLocalFile() for u in opened] == [str(page), str(reports)]

    bundle = reports / "case-bundle.asbundle"
    before = bundle.read_bytes()
    with qtbot.waitSignal(view.reported, timeout=120_000):
        view.write_report(reports / "case.pdf", found_at="https://example.com/post/7")
    assert sorted(p.name for p in reports.iterdir()) == ["case-bundle.asbundle", "case.html", "case.pdf"]
    assert bundle.read_bytes() == before  # never a changed bundle under the first report
    assert "shares the proof bundle case-bundle.asbundle" in view.notice.text.text()


def test_a_url_on_the_clipboard_says_what_to_copy(qtbot, window) -> None:
    view = window.check_view
    QGuiApplication.clipboard().setText("https://example.com/post/1")
    view.paste()
    assert not errors.open_dialogs
    assert "web address, not an image" in view.notice.text.text()


def test_the_stable_diffusion_reader_is_offered_until_declined(qtbot, window) -> None:
    window.show_view(1)
    view = window.check_view
    result = CheckResult("s.png", marks=[MarkFinding("your key", MISSED)],
                         stable_diffusion=StableDiffusionReport(NOT_INSTALLED), works_compared=0)
    view.show_checked(Checked(result))
    assert "not checked" in view.notice.text.text()
    view.notice.button("How to enable…").click()
    dialog = view.sd_dialog
    assert "invisible-watermark" in dialog.command_line.text() and "-m pip install" in dialog.command_line.text()
    dialog.close()
    view._sd_offered = False  # as in a new session
    view.show_checked(Checked(result))
    view.notice.button("Don't ask again").click()
    assert sd_install.declined()
    view._sd_offered = False
    view.notice.hide()
    view.show_checked(Checked(result))
    assert view.notice.isHidden()


def test_install_now_runs_the_command_and_says_how_it_went(qtbot, monkeypatch) -> None:
    dialog = sd_install.SdInstallDialog()
    qtbot.addWidget(dialog)
    dialog.command = [sys.executable, "-c", "print('Successfully installed invisible-watermark')"]
    dialog.verify = [sys.executable, "-c", "print('{\"available\": true}')"]  # the checker loads it
    with qtbot.waitSignal(dialog.finished_install, timeout=30_000) as done:
        dialog.install_button.click()
    assert done.args == [True]
    assert "Successfully installed" in dialog.output.toPlainText()
    assert dialog.status.text().startswith("Installed")
