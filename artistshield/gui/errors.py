"""Errors reach the user: one dialog with "Copy details", a rotating log file.

:func:`show_error` is the only way the app reports a failure.  At start-up
:func:`install_hooks` routes uncaught exceptions (UI thread and other threads)
to it, and :func:`install_logging` writes ``logs/artistshield.log`` in the
data folder.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

logger = logging.getLogger("artistshield.gui")


class ErrorDialog(QDialog):
    """A plain-words message, the technical details folded away, and "Copy details"."""

    def __init__(self, message: str, details: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("ArtistShield — something went wrong")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.message = message
        self.details = details
        layout = QVBoxLayout(self)
        label = QLabel(message)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(label)
        self.details_box = QPlainTextEdit(details)
        self.details_box.setReadOnly(True)
        self.details_box.setVisible(False)
        self.details_box.setMinimumHeight(160)
        layout.addWidget(self.details_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        if details:
            toggle = QPushButton("Show details")
            toggle.setCheckable(True)
            toggle.toggled.connect(self.details_box.setVisible)
            toggle.toggled.connect(lambda on: toggle.setText("Hide details" if on else "Show details"))
            buttons.addButton(toggle, QDialogButtonBox.ButtonRole.ActionRole)
        copy = QPushButton("Copy details")
        copy.setToolTip("Copy the message and technical details, to paste into a bug report")
        copy.clicked.connect(self.copy_details)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 180)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(f"{self.message}\n\n{self.details}".strip())


#: The dialogs now open (the tests read the last one).
open_dialogs: list[ErrorDialog] = []


def show_error(message: str, details: str = "", parent: QWidget | None = None) -> ErrorDialog:
    """Show *message* in the standard error dialog without blocking the caller."""
    logger.error("%s", message if not details else f"{message}\n{details}")
    dialog = ErrorDialog(message, details, parent or QApplication.activeWindow())
    open_dialogs.append(dialog)
    dialog.destroyed.connect(lambda *_: open_dialogs.remove(dialog) if dialog in open_dialogs else None)
    dialog.open()
    return dialog


class _Relay(QObject):
    """Carries exceptions from any thread to the UI thread."""

    raised = Signal(str, str)


_relay: _Relay | None = None


def install_hooks() -> None:
    """Send uncaught exceptions, from any thread, to :func:`show_error`."""
    global _relay
    _relay = _Relay()
    _relay.raised.connect(lambda message, details: show_error(message, details))

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        details = "".join(traceback.format_exception(kind, exc, tb))
        if _relay is not None:
            _relay.raised.emit(f"An unexpected error happened: {exc}", details)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        excepthook(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)

    sys.excepthook = excepthook
    threading.excepthook = thread_hook


class _PrivateLog(RotatingFileHandler):
    """A rotating log whose files are 0600: they name the artist's files and works."""

    def _open(self):
        from artistshield.fileio import make_private_file

        make_private_file(self.baseFilename)
        return super()._open()


def install_logging(folder: Path) -> Path:
    """Log ``artistshield.*`` to a rotating file in *folder*; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "artistshield.log"
    root = logging.getLogger("artistshield")
    if not any(isinstance(h, RotatingFileHandler) for h in root.handlers):
        handler = _PrivateLog(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    return path
