"""Start the desktop app: ``artistshield`` (no arguments) or ``artistshield gui``."""

from __future__ import annotations

import logging
import sys

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
    return app.exec()
