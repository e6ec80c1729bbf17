"""Icons and other assets: plain files under the repository's ``resources/``.

:func:`icon` is the one way the app loads an icon.  Icons are SVGs drawn in
``currentColor``; the helper paints them in the palette's text colour so they
read on light and dark themes alike.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

#: ``resources/`` next to the package (a source checkout), or inside it (a wheel).
_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "resources",
    Path(__file__).resolve().parent / "resources",
)


def resource_dir() -> Path:
    for candidate in _CANDIDATES:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("ArtistShield's resources/ folder is missing from this install.")


def resource_path(*parts: str) -> Path:
    return resource_dir().joinpath(*parts)


def icon(name: str) -> QIcon:
    """The icon ``resources/icons/<name>.svg`` in the current palette's colours."""
    palette = QGuiApplication.palette()
    return _icon(
        name,
        palette.color(QPalette.ColorRole.WindowText).name(),
        palette.color(QPalette.ColorRole.Highlight).name(),
    )


@functools.cache
def _icon(name: str, colour: str, accent: str) -> QIcon:
    text = resource_path("icons", f"{name}.svg").read_text(encoding="utf-8")
    text = text.replace("currentColor", colour).replace("var(--accent)", accent)
    renderer = QSvgRenderer(QByteArray(text.encode("utf-8")))
    result = QIcon()
    for side in (16, 24, 32, 48, 64):
        pixmap = QPixmap(QSize(side, side))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        result.addPixmap(pixmap)
    return result
