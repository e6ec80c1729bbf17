"""GUI test set-up: a cheap identity, copies of corpus files, no thread left behind."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QThreadPool, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QWidget

from artistshield import identity
from artistshield.gui import errors, workers

DATA = Path(__file__).parents[1] / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The offscreen platform plugin warns about a window-manager feature it lacks;
    # it says nothing about the app, so it must not fail the run.
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_ignore("does not support propagateSizeHints"))


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identity, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})


@pytest.fixture(autouse=True)
def no_dangling_threads(qapp) -> Iterator[None]:
    """Fail a test that leaves a worker running (after waiting for them to end)."""
    yield
    assert workers.wait_for_all(30_000), "workers still running after 30 s"
    qapp.processEvents()
    assert QThreadPool.globalInstance().activeThreadCount() == 0
    assert workers.registry_pool().activeThreadCount() == 0
    for dialog in list(errors.open_dialogs):
        dialog.close()


@pytest.fixture
def artwork(tmp_path: Path):
    """Copy named corpus files into ``tmp_path/art`` and return their paths."""

    def copy(*names: str) -> list[Path]:
        folder = tmp_path / "art"
        folder.mkdir(exist_ok=True)
        return [Path(shutil.copy(DATA / name, folder / name)) for name in names]

    return copy


@pytest.fixture
def window(qtbot):
    """The main window over a fresh identity without a passphrase."""
    from artistshield.gui.main_window import MainWindow

    identity.create("Test Artist", None)
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


@pytest.fixture
def drop():
    """``drop(widget, paths)``: drop files on a widget as a file manager would."""
    return drop_files


def drop_files(widget: QWidget, paths: list[Path]) -> None:
    """Drop *paths* on *widget* as a file manager would."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(QPoint(10, 10)), Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )
    widget.dropEvent(event)
