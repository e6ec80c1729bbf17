"""Small widgets shared by the views: a scaled picture and a view that takes dropped files."""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QTextLayout,
    QTextOption,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)


class PictureView(QFrame):
    """Shows one image scaled to fit, or zoomed and panned, optionally with a region outlined.

    At a zoom (1.0 is 100%) one image pixel covers *zoom* pixels of the screen,
    drawn without smoothing so grain and noise show as they are; dragging or
    scrolling pans, and :attr:`moved` reports the image point at the centre so
    a second view can follow.  While a picture is on its way,
    :meth:`set_busy` shows a spinner and a sentence instead of the last one.
    """

    moved = Signal(QPointF)  # the image point now at the centre, after the artist panned

    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)
        self._pixmap: QPixmap | None = None
        self._fitted: QPixmap | None = None  # the pixmap smoothly scaled to fit, for this size
        self._region: tuple[float, float, float, float] | None = None
        self._zoom: float | None = None  # None: fit the view
        self._centre = QPointF()  # image point at the centre of the view, when zoomed
        self._grab: QPointF | None = None  # where a drag started
        self._busy = QTimer(self)
        self._busy.setInterval(90)
        self._busy.timeout.connect(self._spin)
        self._angle = 0
        self.placeholder = placeholder
        self.caption = ""  # said in the top-left corner over the picture

    def sizeHint(self) -> QSize:
        return QSize(420, 320)

    def set_image(self, image: QImage | None, region: tuple[float, float, float, float] | None = None) -> None:
        had = None if self._pixmap is None else self._pixmap.size()
        self._pixmap = None if image is None or image.isNull() else QPixmap.fromImage(image)
        self._fitted = None
        self._region = region
        if self._pixmap is not None and self._pixmap.size() != had:
            self._centre = QPointF(self._pixmap.width() / 2, self._pixmap.height() / 2)
        self._busy.stop()
        self._update_cursor()
        self.update()

    def set_busy(self, text: str) -> None:
        """Drop the picture shown and say *text* under a spinner until the next :meth:`set_image`."""
        self.set_image(None)
        self.placeholder = text
        self._busy.start()

    @property
    def busy(self) -> bool:
        return self._busy.isActive()

    def has_image(self) -> bool:
        return self._pixmap is not None

    def image(self) -> QImage | None:
        """The picture shown (before scaling to the widget), if any."""
        return None if self._pixmap is None else self._pixmap.toImage()

    # -- zoom and pan ------------------------------------------------------------

    @property
    def zoom(self) -> float | None:
        """Screen pixels per image pixel (1.0 is 100%, one to one), or None to fit the view."""
        return self._zoom

    def set_zoom(self, zoom: float | None) -> None:
        self._zoom = zoom
        self._update_cursor()
        self.update()

    @property
    def centre(self) -> QPointF:
        return QPointF(self._centre)

    def set_centre(self, point: QPointF) -> None:
        """Pan so that image point *point* is at the centre (kept inside the picture)."""
        if self._pixmap is not None:
            point = QPointF(
                min(max(point.x(), 0.0), float(self._pixmap.width())),
                min(max(point.y(), 0.0), float(self._pixmap.height())),
            )
        if point != self._centre:
            self._centre = point
            self.update()

    def _scale(self) -> float:
        """Logical pixels per image pixel when zoomed (100% is one image pixel per device pixel)."""
        return (self._zoom or 1.0) / self.devicePixelRatioF()

    def _pan(self, dx: float, dy: float) -> None:
        scale = self._scale()
        self.set_centre(QPointF(self._centre.x() - dx / scale, self._centre.y() - dy / scale))
        self.moved.emit(self.centre)

    def _update_cursor(self) -> None:
        if self._zoom is not None and self._pixmap is not None:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.unsetCursor()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._zoom is not None and event.button() == Qt.MouseButton.LeftButton:
            self._grab = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._grab is not None:
            delta = event.position() - self._grab
            self._grab = event.position()
            self._pan(delta.x(), delta.y())
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._grab = None
        self._update_cursor()
        super().mouseReleaseEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self._zoom is None or self._pixmap is None:
            super().wheelEvent(event)
            return
        step = event.angleDelta()
        dx, dy = step.x() / 2, step.y() / 2
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:  # as in painting programs
            dx, dy = dy, dx
        self._pan(dx, dy)
        event.accept()

    # -- painting ----------------------------------------------------------------

    def _spin(self) -> None:
        self._angle = (self._angle + 30) % 360
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        painter = QPainter(self)
        area = self.contentsRect().adjusted(6, 6, -6, -6)
        if self._pixmap is None:
            self._paint_placeholder(painter, area)
            return
        if self._zoom is None:
            target = self._paint_fitted(painter, area)
        else:
            target = self._paint_zoomed(painter, area)
        if self._region is not None:
            x0, y0, x1, y1 = self._region
            box = QRectF(
                target.x() + x0 * target.width(), target.y() + y0 * target.height(),
                (x1 - x0) * target.width(), (y1 - y0) * target.height(),
            )
            painter.setPen(QPen(QColor("#ff3b30"), 3, Qt.PenStyle.DashLine))
            painter.drawRect(box)
        if self.caption:
            painter.setClipping(False)
            metrics = painter.fontMetrics()
            box = QRectF(area.x() + 4, area.y() + 4, metrics.horizontalAdvance(self.caption) + 12,
                         metrics.height() + 6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 160))
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(QColor("white"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.caption)

    def _paint_placeholder(self, painter: QPainter, area: QRect) -> None:
        painter.setPen(self.palette().placeholderText().color())
        text = QRect(area)
        if self.busy:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            side = 28
            ring = QRectF(area.center().x() - side / 2, area.center().y() - side - 6, side, side)
            painter.save()
            pen = QPen(self.palette().highlight().color(), 4)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.drawArc(ring, -self._angle * 16, 270 * 16)
            painter.restore()
            text.setTop(area.center().y() + 4)
            painter.drawText(text, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, self.placeholder)
            return
        painter.drawText(text, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)

    def _paint_fitted(self, painter: QPainter, area: QRect) -> QRectF:
        assert self._pixmap is not None
        size = self._pixmap.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
        if size.width() > self._pixmap.width():  # never enlarge a small image past 2x
            size = self._pixmap.size().scaled(
                min(area.width(), 2 * self._pixmap.width()),
                min(area.height(), 2 * self._pixmap.height()),
                Qt.AspectRatioMode.KeepAspectRatio,
            )
        x = area.x() + (area.width() - size.width()) // 2
        y = area.y() + (area.height() - size.height()) // 2
        target = QRectF(x, y, size.width(), size.height())
        if self._pixmap.hasAlphaChannel():  # show transparency as painting programs do
            painter.fillRect(target, _checkerboard())
        ratio = self.devicePixelRatioF()
        device = QSize(round(size.width() * ratio), round(size.height() * ratio))
        if device.width() < self._pixmap.width():
            # Shrink once per size, smoothly, rather than at every repaint.
            if self._fitted is None or self._fitted.size() != device:
                self._fitted = self._pixmap.scaled(
                    device, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
                )
            painter.drawPixmap(target, self._fitted, QRectF(self._fitted.rect()))
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(target, self._pixmap, QRectF(self._pixmap.rect()))
        return target

    def _paint_zoomed(self, painter: QPainter, area: QRect) -> QRectF:
        assert self._pixmap is not None
        scale = self._scale()
        centre = area.center()
        # Whole screen pixels, so each image pixel covers the same number of them.
        whole = QRectF(
            round(centre.x() - self._centre.x() * scale), round(centre.y() - self._centre.y() * scale),
            self._pixmap.width() * scale, self._pixmap.height() * scale,
        )
        shown = whole.intersected(QRectF(area))
        if shown.isEmpty():
            return whole
        painter.setClipRect(area)
        if self._pixmap.hasAlphaChannel():
            painter.fillRect(shown, _checkerboard())
        # Only the visible part of the picture is drawn, pixel for pixel (no smoothing).
        source = QRectF(
            (shown.x() - whole.x()) / scale, (shown.y() - whole.y()) / scale,
            shown.width() / scale, shown.height() / scale,
        )
        painter.drawPixmap(shown, self._pixmap, source)
        return whole


class WrappingDelegate(QStyledItemDelegate):
    """Draws a cell's text wrapped at spaces and hyphens, or inside a word too long for a line.

    Qt's own delegate elides a long file name ("cel-spookytr…") in a narrow
    column; an artist needs the whole name, on as many lines as it takes.
    """

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        area = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        text = opt.text
        opt.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
        area = area.adjusted(margin, 0, -margin, 0)
        layout, height = wrapped(text, opt.font, area.width())
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.save()
        painter.setClipRect(area)
        painter.setPen(opt.palette.color(role))
        layout.draw(painter, QPointF(area.x(), area.y() + max(0.0, (area.height() - height) / 2)))
        painter.restore()


def wrapped(text: str, font: QFont, width: int) -> tuple[QTextLayout, float]:
    """*text* laid out in lines of *width* as :class:`WrappingDelegate` draws it, and its height."""
    layout = QTextLayout(text.replace("\n", "\u2028"), font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    layout.beginLayout()
    height = 0.0
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(max(width, 1))
        line.setPosition(QPointF(0, height))
        height += line.height()
    layout.endLayout()
    return layout, height


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
