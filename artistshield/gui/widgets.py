"""Small widgets shared by the views: a scaled picture and a view that takes dropped files."""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QWidget


class PictureView(QFrame):
    """Shows one image scaled to fit, optionally with a region outlined on it."""

    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)
        self._pixmap: QPixmap | None = None
        self._region: tuple[float, float, float, float] | None = None
        self.placeholder = placeholder

    def sizeHint(self) -> QSize:
        return QSize(420, 320)

    def set_image(self, image: QImage | None, region: tuple[float, float, float, float] | None = None) -> None:
        self._pixmap = None if image is None or image.isNull() else QPixmap.fromImage(image)
        self._region = region
        self.update()

    def has_image(self) -> bool:
        return self._pixmap is not None

    def image(self) -> QImage | None:
        """The picture shown (before scaling to the widget), if any."""
        return None if self._pixmap is None else self._pixmap.toImage()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        painter = QPainter(self)
        area = self.contentsRect().adjusted(6, 6, -6, -6)
        if self._pixmap is None:
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            return
        size = self._pixmap.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
        if size.width() > self._pixmap.width():  # never enlarge a small image past 2x
            size = self._pixmap.size().scaled(
                min(area.width(), 2 * self._pixmap.width()),
                min(area.height(), 2 * self._pixmap.height()),
                Qt.AspectRatioMode.KeepAspectRatio,
            )
        x = area.x() + (area.width() - size.width()) // 2
        y = area.y() + (area.height() - size.height()) // 2
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        target = QRectF(x, y, size.width(), size.height())
        if self._pixmap.hasAlphaChannel():  # show transparency as painting programs do
            painter.fillRect(target, _checkerboard())
        painter.drawPixmap(target, self._pixmap, QRectF(self._pixmap.rect()))
        if self._region is not None:
            x0, y0, x1, y1 = self._region
            box = QRectF(
                target.x() + x0 * target.width(), target.y() + y0 * target.height(),
                (x1 - x0) * target.width(), (y1 - y0) * target.height(),
            )
            painter.setPen(QPen(QColor("#ff3b30"), 3, Qt.PenStyle.DashLine))
            painter.drawRect(box)


@functools.cache
def _checkerboard() -> QBrush:
    """Mid-grey squares, so white and black art on a transparent background both show."""
    tile = QPixmap(16, 16)
    tile.fill(QColor("#a6a6a6"))
    painter = QPainter(tile)
    for x, y in ((0, 0), (8, 8)):
        painter.fillRect(x, y, 8, 8, QColor("#8a8a8a"))
    painter.end()
    return QBrush(tile)


class DropArea(QLabel):
    """A hint that accepts dropped files and folders (the parent view also does)."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("QLabel { border: 2px dashed palette(mid); border-radius: 8px; padding: 12px; }")


def local_paths(event: QDropEvent) -> list[Path]:
    """The local files and folders a drag carries."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class DropView(QWidget):
    """A widget that accepts drops of local files and folders and emits ``dropped(list[Path])``."""

    dropped = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if local_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event)
        if paths:
            event.acceptProposedAction()
            self.dropped.emit(paths)


def artwork_filter() -> str:
    """Return the file dialog's filter for artwork: images and clips, images, clips, anything."""
    from artistshield.imageio import SUPPORTED_SUFFIXES
    from artistshield.mark import CLIP_SUFFIXES

    def patterns(suffixes: frozenset[str]) -> str:
        return " ".join(f"*{s}" for s in sorted(suffixes))

    return (
        f"Images and clips ({patterns(SUPPORTED_SUFFIXES | CLIP_SUFFIXES)});;"
        f"Images ({patterns(SUPPORTED_SUFFIXES)});;"
        f"Animations and videos ({patterns(CLIP_SUFFIXES | {'.png', '.webp'})});;All files (*)"
    )
