"""Take a screenshot of each view of the app, with real corpus files, for the docs.

Runs the app in a fresh data folder under Xvfb (re-executes itself through
``xvfb-run`` when there is no display), walks through first-run set-up, Mark,
Check, Registry and Identity at each of :data:`SIZES`, and writes PNGs to
``docs/screenshots/``::

    python scripts/screenshots.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
OUT = ROOT / "docs" / "screenshots"
#: Window sizes shot: a laptop, and the smallest the layouts are made for.
SIZES = ((1280, 800), (1024, 640))


def main() -> int:
    if not os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        if shutil.which("xvfb-run"):
            return subprocess.call(
                ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable, *sys.argv]
            )
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    work = Path(tempfile.mkdtemp(prefix="artistshield-shots-"))
    os.environ["ARTISTSHIELD_HOME"] = str(work / "home")
    sys.path.insert(0, str(ROOT))

    from PIL import Image
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QWidget

    from artistshield.gui.app import make_app
    from artistshield.gui.main_window import MainWindow
    from artistshield.gui.session import Session
    from artistshield.gui.wizard import FirstRunWizard
    from artistshield.gui.workers import wait_for_all

    app = make_app([])
    app.setStyle("Fusion")
    OUT.mkdir(parents=True, exist_ok=True)

    def settle(ms: int = 150) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait_for(signal, timeout_ms: int = 120_000) -> None:
        loop = QEventLoop()
        signal.connect(loop.quit)
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()

    def shoot(widget: QWidget, name: str) -> None:
        settle()
        widget.grab().save(str(OUT / f"{name}.png"))
        print("saved", OUT / f"{name}.png")

    session = Session()
    wizard = FirstRunWizard(session)
    wizard.show()
    wizard.next()
    wizard.create_page.name.setText("Mira Okafor")
    wizard.create_page.passphrase.setText("a long passphrase")
    wizard.create_page.again.setText("a long passphrase")
    shoot(wizard, "1-first-run")
    wizard.next()
    wizard.backup_page.save_backup(work / "backup.asid")
    shoot(wizard, "2-first-run-backup")
    wizard.accept()

    art = work / "animation-backgrounds"
    art.mkdir()
    names = ["painted-hills.png", "cel-portrait-alpha.png", "flat-moonlight.png",
             "cartoon-halloween-outro.png", "cel-spookytree-alpha.png"]
    for name in names:
        shutil.copy(DATA / name, art / name)
    shutil.copy(DATA / names[0], art / "sunset-hills-final.png")  # a repeat within the batch
    window = MainWindow(session)
    window.resize(*SIZES[0])
    window.show()
    view = window.mark_view
    view.platform_combo.setCurrentText("Instagram")
    view.add_paths([art])
    wait_for(view.files_added)
    view.start()
    while view.remark_dialog is None or not view.remark_dialog.isVisible():
        settle(200)  # the repeat is caught once the first copy is marked
    shoot(view.remark_dialog, "3-mark-repeat-asked")
    view.remark_dialog.skip_button.click()
    wait_for(view.batch_finished)
    view.table.selectRow(0)
    settle(2500)

    suspect = work / "reposted-crop.jpg"
    with Image.open(view.output_folder() / "painted-hills.png") as marked:
        marked.convert("RGB").crop((200, 150, 1100, 850)).resize((720, 560)).save(suspect, quality=80)
    window.show_view(1)
    window.check_view.check_path(suspect)
    wait_for(window.check_view.checked)
    window.show_view(2)
    window.registry_view.refresh()  # listed already after the batch: list again, and wait
    wait_for(window.registry_view.loaded)
    window.registry_view.table.selectRow(0)
    window.registry_view.verify()
    wait_for(window.registry_view.verified)

    # The first size keeps the plain names the README shows; the others say their size.
    for i, (width, height) in enumerate(SIZES):
        suffix = "" if i == 0 else f"-{width}x{height}"
        window.resize(width, height)
        window.show_view(0)
        pane = view.preview_pane
        pane.mode.button(1).click()
        pane.zoom.button(0).click()
        pane.beside_button.setChecked(False)
        shoot(window, "3-mark" + suffix)
        pane.beside_button.setChecked(True)
        pane.zoom.button(1).click()  # 100%, the original beside the marked copy
        shoot(window, "3-mark-zoomed" + suffix)
        pane.beside_button.setChecked(False)
        pane.zoom.button(0).click()
        pane.mode.button(2).click()
        shoot(window, "4-mark-difference" + suffix)
        for index, name in ((1, "5-check"), (2, "6-registry"), (3, "7-identity")):
            window.show_view(index)
            shoot(window, name + suffix)

    # a clip at 200%, its original frame beside the marked one
    window.resize(*SIZES[0])
    window.show_view(0)
    clip = work / "hills-pan"
    clip.mkdir()
    with Image.open(DATA / names[0]) as painting:
        for i in range(6):  # a slow pan across the painting, one frame folder
            painting.crop((40 * i, 200, 40 * i + 800, 700)).save(clip / f"hills_{i + 1:04d}.png")
    view.add_paths([clip])
    wait_for(view.files_added)
    view.table.selectRow(view.table.rowCount() - 1)
    pane.mode.button(1).click()
    pane.beside_button.setChecked(True)
    pane.zoom.button(2).click()
    settle(2500)
    shoot(window, "3-mark-clip-zoomed")
    pane.beside_button.setChecked(False)
    pane.zoom.button(0).click()

    # a job over a second says what it does and the time left
    window.show_view(2)
    more = [work / name for name in ("painted-bridge.png", "painted-mountains.png",
                                     "cartoon-snowmountains.png", "flat-futureprototype.png")]
    for path in more:
        shutil.copy(DATA / path.name, path)
    window.registry_view.register_files(more)
    settle(2200)
    shoot(window, "6-registry-registering")
    wait_for(window.registry_view.registered)
    window.close()
    wait_for_all()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
