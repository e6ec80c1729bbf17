"""Offer the optional Stable Diffusion mark reader, and install it on request.

Stable Diffusion's public marks are read with invisible-watermark, the
``sd`` extra (it pulls PyTorch and OpenCV, so it stays optional).  The Check
view offers it once a session when a check could not read them;
:class:`SdInstallDialog` shows the one command that installs it and, when
the app runs from a Python installation (not a standalone build), runs that
command itself in a :class:`~PySide6.QtCore.QProcess`, showing pip's output.
"Don't ask again" is kept in the app's settings (``[check]`` in
``settings.ini``), so a refusal is remembered.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QProcess, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from artistshield.gui.session import settings

#: The settings key that remembers "Don't ask again".
DECLINED = "check/sd_reader_offer"
#: What the ``sd`` extra installs, when the package's metadata cannot say.
FALLBACK = ["invisible-watermark>=0.2"]
#: The command a user runs to add the extra to ArtistShield installed with pip.
EXTRA_COMMAND = 'pip install "artistshield[sd]"'


def declined() -> bool:
    """Whether the artist said not to offer the reader again."""
    return settings().value(DECLINED) == "declined"


def decline() -> None:
    store = settings()
    store.setValue(DECLINED, "declined")
    store.sync()


def requirements() -> list[str]:
    """The requirements of the ``sd`` extra, from the installed package's metadata."""
    from importlib import metadata

    try:
        listed = metadata.requires("artistshield") or []
    except metadata.PackageNotFoundError:
        return list(FALLBACK)
    found = [
        r.split(";", 1)[0].strip() for r in listed
        if "extra" in r and "sd" in r.split(";", 1)[-1].replace("'", '"').split('"')
    ]
    return found or list(FALLBACK)


def install_command() -> list[str]:
    """The command that installs the extra into the Python running the app (cwd never on the path)."""
    return [sys.executable, "-P", "-m", "pip", "install", *requirements()]


def shown(command: list[str]) -> str:
    """*command* as one line to paste into a terminal."""
    return " ".join(f'"{part}"' if any(c in part for c in ' <>=|&') else part for part in command)


class SdInstallDialog(QDialog):
    """Explain the one command that enables Stable Diffusion marks, and run it on request."""

    finished_install = Signal(bool)  # whether pip succeeded

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Check Stable Diffusion marks")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.process: QProcess | None = None
        self.command = install_command()
        layout = QVBoxLayout(self)
        frozen = bool(getattr(sys, "frozen", False))  # a standalone build (frozen.is_frozen)
        intro = QLabel(
            "Images made with Stable Diffusion often carry its public invisible mark. Reading "
            "it needs the optional reader invisible-watermark, which brings PyTorch and OpenCV "
            "with it: a large download (over 1 GB). On a computer without an NVIDIA graphics "
            "card, install the smaller CPU-only PyTorch first "
            "(pip install torch --index-url https://download.pytorch.org/whl/cpu)."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if frozen:
            how = QLabel(
                "This standalone build cannot add Python packages. Install ArtistShield with "
                f"pip and its reader with one command: {EXTRA_COMMAND}"
            )
        else:
            how = QLabel(
                f"The one command (for ArtistShield installed with pip: {EXTRA_COMMAND}); "
                "“Install now” runs it for this app:"
            )
        how.setWordWrap(True)
        how.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(how)
        row = QHBoxLayout()
        self.command_line = QLineEdit(EXTRA_COMMAND if frozen else shown(self.command))
        self.command_line.setReadOnly(True)
        copy = QPushButton("Copy")
        copy.setToolTip("Copy the command, to run it in a terminal")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.command_line.text()))
        row.addWidget(self.command_line, 1)
        row.addWidget(copy)
        layout.addLayout(row)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setMinimumHeight(140)
        self.output.hide()
        layout.addWidget(self.output)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.install_button = buttons.addButton("Install now", QDialogButtonBox.ButtonRole.ActionRole)
        self.install_button.setToolTip("Run the command above with this app's Python")
        self.install_button.clicked.connect(self.install)
        self.install_button.setVisible(not frozen)
        self.never_button = buttons.addButton("Don't ask again", QDialogButtonBox.ButtonRole.RejectRole)
        self.never_button.clicked.connect(self._never)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(620, 260)

    def install(self) -> None:
        """Run the command in the app's environment, showing pip's output as it comes."""
        if self.process is not None:
            return
        from artistshield.paths import data_dir

        self.install_button.setEnabled(False)
        self.output.show()
        self.status.setText("Installing… this can take several minutes.")
        process = self.process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        process.setWorkingDirectory(str(data_dir()))
        process.readyReadStandardOutput.connect(self._read)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._error)
        process.start(self.command[0], self.command[1:])

    def _read(self) -> None:
        if self.process is not None:
            data = self.process.readAllStandardOutput().data()
            self.output.appendPlainText(bytes(data).decode("utf-8", "replace").rstrip())

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read()
        ok = code == 0 and status == QProcess.ExitStatus.NormalExit
        self.status.setText(
            "Installed: checks from now on read Stable Diffusion's marks."
            if ok else
            "pip could not install it (see its output above). You can run the command "
            "yourself in a terminal."
        )
        self.install_button.setEnabled(not ok)
        self.process = None
        self.finished_install.emit(ok)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.status.setText(f"pip could not be started ({self.command[0]}).")
            self.install_button.setEnabled(True)
            self.process = None
            self.finished_install.emit(False)

    def _never(self) -> None:
        decline()
        self.reject()

    def done(self, result: int) -> None:
        if self.process is not None:  # closing stops an install half way: pip rolls back
            self.process.kill()
            self.process.waitForFinished(5000)
        super().done(result)
