"""Start the desktop app: ``artistshield`` (no arguments) or ``artistshield gui``."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QDialog

from artistshield import __version__

logger = logging.getLogger("artistshield.gui")


def make_app(argv: list[str] | None = None) -> QApplication:
    running = QApplication.instance()
    app = running if isinstance(running, QApplication) else QApplication(
        argv if argv is not None else sys.argv
    )
    app.setApplicationName("ArtistShield")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("ArtistShield")
    app.setDesktopFileName("artistshield")
    return app


def run(argv: list[str] | None = None) -> int:
    """Open the app (the first-run wizard first, if there is no identity); return the exit code."""
    from artistshield import identity
    from artistshield.gui.errors import install_hooks, install_logging
    from artistshield.gui.main_window import MainWindow
    from artistshield.gui.resources import icon
    from artistshield.gui.session import Session
    from artistshield.paths import data_dir

    if QApplication.instance() is None and qt_libraries_missing(sys.argv if argv is None else argv):
        return 1
    app = make_app(argv)
    app.setWindowIcon(icon("app"))
    install_logging(data_dir() / "logs")
    install_hooks()
    logger.info("ArtistShield %s starting", __version__)
    session = Session()
    if not identity.exists():
        from artistshield.gui.wizard import FirstRunWizard

        wizard = FirstRunWizard(session)
        if wizard.exec() != QDialog.DialogCode.Accepted and not identity.exists():
            return 0
    window = MainWindow(session)
    window.show()
    if os.environ.get("ARTISTSHIELD_QUIT_WHEN_SHOWN"):  # the standalone build's smoke test
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, app.quit)
    return app.exec()


def qt_libraries_missing(argv: list[str]) -> bool:
    """On Linux/X11, say which system libraries Qt lacks before Qt aborts; true if any."""
    from artistshield.gui import qt_libs

    if not qt_libs.uses_xcb(argv, os.environ):
        return False
    from PySide6.QtCore import QLibraryInfo

    folders = [Path(p) for p in os.environ.get("QT_PLUGIN_PATH", "").split(os.pathsep) if p]
    folders.append(Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)))
    plugin = qt_libs.xcb_plugin(folders)
    missing = qt_libs.missing_libraries(plugin) if plugin is not None else []
    if missing:
        qt_libs.show(qt_libs.install_hint(missing))
    return bool(missing)
