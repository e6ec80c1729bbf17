"""The app's file dialogs: one place for their filters, start folders and remembered folders.

A dialog opens in the folder last used for its purpose (remembered in the
settings), or else in the user's Pictures folder for artwork and Documents
folder for everything else, never in the working directory the app was
started from.  Save dialogs offer a kind's one extension
(:class:`artistshield.paths.FileKind`) and add it when the name typed has
none; open dialogs also show files saved under the older extensions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from artistshield.gui.session import settings
from artistshield.paths import FileKind

#: Where a dialog opens the first time: artwork in Pictures, the rest in Documents.
Place = Literal["artwork", "documents"]
_STANDARD = {
    "artwork": QStandardPaths.StandardLocation.PicturesLocation,
    "documents": QStandardPaths.StandardLocation.DocumentsLocation,
}
ALL_FILES = "All files (*)"


def kind_filter(kind: FileKind, *, reading: bool = False) -> str:
    """The dialog filter for *kind*; when *reading*, with its older extensions and any file."""
    suffixes = kind.suffixes() if reading else (kind.suffix,)
    patterns = " ".join(f"*{s}" for s in suffixes)
    return f"{kind.name} ({patterns})" + (f";;{ALL_FILES}" if reading else "")


def start_folder(place: Place) -> Path:
    """The folder a dialog for *place* opens in: the last one used, else Pictures or Documents."""
    remembered = settings().value(f"dialogs/{place}")
    if isinstance(remembered, str) and remembered and Path(remembered).is_dir():
        return Path(remembered)
    standard = QStandardPaths.writableLocation(_STANDARD[place])
    if standard and Path(standard).is_dir():
        return Path(standard)
    return Path.home()


def remember(place: Place, chosen: Path) -> None:
    """Open the next dialog for *place* where *chosen* is (a file's folder, or the folder)."""
    folder = chosen if chosen.is_dir() else chosen.parent
    store = settings()
    store.setValue(f"dialogs/{place}", str(folder))
    store.sync()


def open_file(parent: QWidget | None, title: str, kind: FileKind | str = ALL_FILES, *,
              place: Place = "documents") -> Path | None:
    """Ask for one existing file of *kind* (or matching a filter string); None if cancelled."""
    filters = kind_filter(kind, reading=True) if isinstance(kind, FileKind) else kind
    name, _ = QFileDialog.getOpenFileName(parent, title, str(start_folder(place)), filters)
    return _chosen(place, name)


def open_files(parent: QWidget | None, title: str, filters: str = ALL_FILES, *,
               place: Place = "artwork") -> list[Path]:
    """Ask for existing files matching *filters*; empty if cancelled."""
    names, _ = QFileDialog.getOpenFileNames(parent, title, str(start_folder(place)), filters)
    paths = [Path(n) for n in names if n]
    if paths:
        remember(place, paths[0])
    return paths


def save_file(parent: QWidget | None, title: str, kind: FileKind | None = None, *,
              name: str = "", filters: str = "", place: Place = "documents") -> Path | None:
    """Ask where to save a file of *kind* (named *name*, *kind*'s default otherwise); None if cancelled.

    A name typed without the kind's extension gets it, unless a file of that
    name exists: the dialog asked about replacing the name typed, not that one.
    """
    suggested = name or (kind.default_name if kind is not None else "")
    if kind is not None and not filters:
        filters = kind_filter(kind)
    start = start_folder(place) / suggested if suggested else start_folder(place)
    chosen, _ = QFileDialog.getSaveFileName(parent, title, str(start), filters)
    path = _chosen(place, chosen)
    if path is not None and kind is not None and not kind.with_suffix(path).exists():
        path = kind.with_suffix(path)
    return path


def choose_folder(parent: QWidget | None, title: str, *, place: Place = "artwork",
                  start: str | Path | None = None) -> Path | None:
    """Ask for a folder, opening at *start* if given; None if cancelled."""
    begin = Path(start) if start and Path(start).is_dir() else start_folder(place)
    name = QFileDialog.getExistingDirectory(parent, title, str(begin))
    return _chosen(place, name)


def _chosen(place: Place, name: str) -> Path | None:
    if not name:
        return None
    path = Path(name)
    remember(place, path)
    return path
