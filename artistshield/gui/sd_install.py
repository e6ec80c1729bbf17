"""Offer the optional Stable Diffusion mark reader, and install it on request.

Stable Diffusion's public marks are read with invisible-watermark's reader,
which ArtistShield does not bring itself.  The Check view offers it once a
session when a check could not read them; :class:`SdInstallDialog` shows the
one command that installs it into the Python running the app
(:mod:`artistshield.provenance.sd.install`: the reader alone, without the
PyTorch invisible-watermark would otherwise pull in) and runs it on request
in a :class:`~PySide6.QtCore.QProcess`, showing pip's output as it comes,
then asks the checker's own child process whether it now loads the reader,
and says how it went.  Checks run that child afresh each time, so a reader
that loads is used from the next check on, without a restart.  A standalone
build cannot add packages: the dialog says so instead of offering to.
"Don't ask again" is kept in the app's settings (``[check]`` in
``settings.ini``), so a refusal is remembered.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QProcess, QProcessEnvironment, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from artistshield.gui.session import settings
from artistshield.provenance.sd import install as reader

#: The settings key that remembers "Don't ask again".
DECLINED = "check/sd_reader_offer"
#: pip's lines worth showing as the current step while it works.
_STEPS = ("Collecting", "Downloading", "Processing", "Installing", "Successfully")


def declined() -> bool:
    """Whether the artist said not to offer the reader again."""
    return settings().value(DECLINED) == "declined"


def decline() -> None:
    store = settings()
    store.setValue(DECLINED, "declined")
    store.sync()


class SdInstallDialog(QDialog):
    """Explain the one command that enables Stable Diffusion marks, and run it on request."""

    finished_install = Signal(bool)  # whether the checker now loads the reader

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Check Stable Diffusion marks")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.process: QProcess | None = None
        self.command = reader.install_command()  # None: a standalone build
        self.verify = reader.verify_command()
        self._text: list[str] = []  # what the running process printed
        self._showing = False  # its output goes to the output box (pip's does)
        self._pip_output = ""
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Images made with Stable Diffusion often carry its public invisible mark. Reading "
            "it needs invisible-watermark's reader, with OpenCV and PyWavelets: about 70 MB "
            "(PyTorch, which invisible-watermark also lists, is left out: only its other "
            "method uses it)."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        how = QLabel(
            reader.FROZEN if self.command is None else
            "The one command, for the Python this app runs on; “Install now” runs it:"
        )
        how.setWordWrap(True)
        how.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(how)
        row = QHBoxLayout()
        self.command_line = QLineEdit("pip install artistshield" if self.command is None
                                      else reader.shown(self.command))
        self.command_line.setReadOnly(True)
        copy = QPushButton("Copy")
        copy.setToolTip("Copy the command, to run it in a terminal")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.command_line.text()))
        row.addWidget(self.command_line, 1)
        row.addWidget(copy)
        layout.addLayout(row)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # pip says what it does, not how far it is
        self.busy.setTextVisible(False)
        self.busy.hide()
        layout.addWidget(self.busy)
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
        self.install_button.setVisible(self.command is not None)
        self.never_button = buttons.addButton("Don't ask again", QDialogButtonBox.ButtonRole.RejectRole)
        self.never_button.clicked.connect(self._never)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 280)

    def install(self) -> None:
        """Run pip, showing its output as it comes; then ask the checker whether it loads the reader."""
        if self.process is not None:
            return
        if self.command is None:  # a standalone build: nothing to run
            self.status.setText(reader.FROZEN)
            return
        self.install_button.setEnabled(False)
        self.output.clear()
        self.output.show()
        self.busy.show()
        self.status.setText("Installing… pip is starting.")
        self._showing = True
        self._start(self.command, self._pip_finished)

    def _start(self, command: list[str], finished: Callable[[int, QProcess.ExitStatus], None]) -> None:
        from artistshield.paths import data_dir

        self._text = []
        process = self.process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        process.setWorkingDirectory(str(data_dir()))  # never a folder of downloaded suspects
        environment = QProcessEnvironment.systemEnvironment()
        environment.insert("PYTHONUNBUFFERED", "1")  # pip's lines as they come, not at the end
        process.setProcessEnvironment(environment)
        process.readyReadStandardOutput.connect(self._read)
        process.finished.connect(finished)
        process.errorOccurred.connect(self._error)
        process.start(command[0], command[1:])

    def _read(self) -> None:
        if self.process is None:
            return
        text = bytes(self.process.readAllStandardOutput().data()).decode("utf-8", "replace")
        if not text:
            return
        self._text.append(text)
        if self._showing:  # pip's output, not the checker's answer
            self.output.appendPlainText(text.rstrip())
            steps = [line.strip() for line in text.splitlines() if line.strip().startswith(_STEPS)]
            if steps:
                self.status.setText(f"Installing… {steps[-1]}")

    def _pip_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read()
        self._pip_output = "".join(self._text)
        self._showing = False
        pip_exit = code if status == QProcess.ExitStatus.NormalExit else None
        if pip_exit != 0:
            self._finish(reader.outcome(pip_exit, self._pip_output))
            return
        self.status.setText("Installed; making sure the checker loads it…")
        self._start(self.verify, self._verified)

    def _verified(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read()
        exit_code = code if status == QProcess.ExitStatus.NormalExit else None
        loads = reader.reader_says(exit_code, "".join(self._text))
        self._finish(reader.outcome(0, self._pip_output, loads))

    def _finish(self, result: reader.Outcome) -> None:
        self.busy.hide()
        self.status.setText(result.message)
        self.install_button.setEnabled(not result.ok)
        self.process = None
        self.finished_install.emit(result.ok)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self.process is not None:
            program = self.process.program()
            self.process = None
            self.busy.hide()
            self.status.setText(f"The installer could not be started ({program}).")
            self.install_button.setEnabled(True)
            self.finished_install.emit(False)

    def _never(self) -> None:
        decline()
        self.reject()

    def done(self, result: int) -> None:
        if self.process is not None:  # closing stops an install half way: pip rolls back
            process, self.process = self.process, None
            process.finished.disconnect()
            process.kill()
            process.waitForFinished(5000)
        super().done(result)
