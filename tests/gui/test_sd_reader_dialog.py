"""The Stable Diffusion reader's install dialog: the command it runs, and what it says after.

pip and the checker's answer are stood in for by small Python commands: no network.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from artistshield.check import CheckResult, MarkFinding
from artistshield.gui import sd_install
from artistshield.gui.check_job import Checked
from artistshield.provenance.sd import NOT_INSTALLED, StableDiffusionReport
from artistshield.watermark import Detection

MISSED = Detection(found=False, payload=None, p_value=0.4, score=0.3)


def _python(*lines: str, exit_code: int = 0) -> list[str]:
    code = "\n".join([*(f"print({line!r}, flush=True)" for line in lines), f"raise SystemExit({exit_code})"])
    return [sys.executable, "-c", code]


def _install(qtbot, dialog: sd_install.SdInstallDialog) -> bool:
    with qtbot.waitSignal(dialog.finished_install, timeout=60_000) as done:
        dialog.install_button.click()
    return bool(done.args[0])


@pytest.fixture
def dialog(qtbot) -> sd_install.SdInstallDialog:
    shown = sd_install.SdInstallDialog()
    qtbot.addWidget(shown)
    return shown


def test_the_dialog_shows_the_command_it_runs(dialog) -> None:
    assert dialog.command is not None
    text = dialog.command_line.text()
    assert text.startswith(sys.executable) and "-m pip install --no-deps" in text
    assert "invisible-watermark" in text and "torch" not in text
    assert not dialog.install_button.isHidden()


def test_an_install_the_checker_loads_is_said_and_reported(qtbot, dialog) -> None:
    dialog.command = _python("Collecting invisible-watermark>=0.2",
                             "Successfully installed invisible-watermark-0.2.0")
    dialog.verify = _python('{"available": true}')
    assert _install(qtbot, dialog)
    assert "Successfully installed invisible-watermark-0.2.0" in dialog.output.toPlainText()
    assert '"available"' not in dialog.output.toPlainText()  # the checker's answer is not pip's log
    assert dialog.status.text().startswith("Installed, and the checker loads it")
    assert "no restart needed" in dialog.status.text()
    assert dialog.busy.isHidden() and not dialog.install_button.isEnabled()


def test_a_failed_pip_says_why_and_the_checker_is_not_asked(qtbot, dialog, tmp_path: Path) -> None:
    asked = tmp_path / "asked"
    dialog.command = _python("error: externally-managed-environment", exit_code=1)
    dialog.verify = [sys.executable, "-c", f"open({str(asked)!r}, 'w')"]
    assert not _install(qtbot, dialog)
    assert "managed by your system" in dialog.status.text()
    assert not asked.exists()
    assert dialog.install_button.isEnabled()  # try again after fixing it


def test_pip_succeeding_is_not_enough(qtbot, dialog) -> None:
    dialog.command = _python("Defaulting to user installation because normal site-packages is not "
                             "writeable", "Successfully installed invisible-watermark-0.2.0")
    dialog.verify = _python('{"available": false, "error": "invisible-watermark is not installed"}',
                            exit_code=1)
    assert not _install(qtbot, dialog)
    assert "still cannot load the reader (invisible-watermark is not installed)" in dialog.status.text()
    assert "user folder" in dialog.status.text()


def test_an_installer_that_cannot_start_is_said(qtbot, dialog, tmp_path: Path) -> None:
    dialog.command = [str(tmp_path / "no-such-python"), "-m", "pip"]
    assert not _install(qtbot, dialog)
    assert "could not be started" in dialog.status.text()


def test_a_standalone_build_explains_instead_of_installing(qtbot, monkeypatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    frozen = sd_install.SdInstallDialog()
    qtbot.addWidget(frozen)
    assert frozen.command is None and frozen.install_button.isHidden()
    assert frozen.command_line.text() == "pip install artistshield"
    frozen.install()  # even if asked: nothing runs, the reason is said
    assert frozen.process is None and "standalone build" in frozen.status.text()


def test_the_check_runs_again_once_the_reader_loads(qtbot, window, monkeypatch) -> None:
    window.show_view(1)
    view = window.check_view
    result = CheckResult("s.png", marks=[MarkFinding("your key", MISSED)],
                         stable_diffusion=StableDiffusionReport(NOT_INSTALLED), works_compared=0)
    view.show_checked(Checked(result))
    again: list[Path] = []
    monkeypatch.setattr(view, "check_path", again.append)
    view.notice.button("How to enable…").click()
    view.sd_dialog.finished_install.emit(False)
    assert again == []
    view.sd_dialog.finished_install.emit(True)
    assert again == [Path("s.png")]
    view.sd_dialog.close()
