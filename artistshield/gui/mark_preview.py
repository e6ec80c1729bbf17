"""The Mark view's preview: a file as it is, as marked, or where the mark goes.

A still is rendered once per file in all three modes on a worker, at full
size, so the toggles switch at once and the zoom (fit, 100%, 200%) shows the
marked copy pixel for pixel; "Side by side" puts the original beside it at
the same zoom and place.  Until the render is done the preview says so
instead of showing the file chosen before.  A clip goes to a
:class:`ClipView`, which decodes only the frames shown: "Marked" reads the
marked copy once it exists and marks each frame shown until then;
"Difference" draws each frame's heat map, explained by a legend.  The frame
shown stays when the mode changes or the clip is marked.  Zoomed in, a
clip's frames are decoded at full size; side by side, the original's frame
of the same number is decoded beside each frame shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QSize
from PySide6.QtGui import QImage, QLinearGradient, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from artistshield.gui import images
from artistshield.gui.clip_view import SIDE as CLIP_SIDE
from artistshield.gui.clip_view import ClipView, Look, close_later
from artistshield.gui.widgets import PictureView
from artistshield.gui.workers import Worker

if TYPE_CHECKING:
    import numpy as np

    from artistshield.animation.clip import Clip
    from artistshield.mark import MarkOutcome

MODES = (
    ("Original", "Your file as it is"),
    ("Marked", "What the marked copy looks like"),
    ("Difference", "Where the mark went, amplified as a heat map (brighter = stronger)"),
)
#: The zoom levels offered: None fits the view, 1.0 is 100% (one to one).
ZOOMS = (("Fit", None), ("100%", 1.0), ("200%", 2.0))
#: Stills are previewed at full size up to this side (4K and a little more); larger ones
#: are shrunk to it, so the three renderings of one file stay within a few hundred MB.
_SIDE = 6000
#: Says what the preview is doing instead of showing the file chosen before.
RENDERING = "Rendering preview…"
#: Clip readers kept open, so going back to a clip does not open it again.
_OPEN_READERS = 4


@dataclass(frozen=True)
class PreviewItem:
    """What to preview: a file, how it was marked if it was, and how it would be."""

    path: Path
    clip: bool
    outcome: MarkOutcome | None
    key: bytes
    strength: float

    @property
    def payload(self) -> int:
        return self.outcome.payload if self.outcome is not None and self.outcome.payload is not None else 0

    @property
    def output(self) -> Path | None:
        """The marked copy, once it exists."""
        out = self.outcome.output if self.outcome is not None else None
        return out if out is not None and out.exists() else None


class MarkPreview(QWidget):
    """Original / Marked / Difference toggles, zoom and side by side over a picture or clip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        toggles = QHBoxLayout()
        self.mode = QButtonGroup(self)
        for i, (name, tip) in enumerate(MODES):
            button = QPushButton(name)
            button.setCheckable(True)
            button.setToolTip(tip)
            button.setChecked(name == "Marked")
            self.mode.addButton(button, i)
            toggles.addWidget(button)
        self.mode.idToggled.connect(self._toggled)
        self.beside_button = QPushButton("Side by side")
        self.beside_button.setCheckable(True)
        self.beside_button.setToolTip(
            "Show the original beside the marked copy, at the same zoom, place and frame"
        )
        self.beside_button.toggled.connect(self._beside_toggled)
        toggles.addWidget(self.beside_button)
        toggles.addStretch()
        layout.addLayout(toggles)

        pictures = QHBoxLayout()
        self.beside = PictureView()
        self.beside.caption = "Original"
        self.beside.hide()
        pictures.addWidget(self.beside, 1)
        self.player = ClipView("Select a file to preview it.\nDrop images, clips or folders here to start.")
        pictures.addWidget(self.player, 1)
        layout.addLayout(pictures, 1)
        # a clip's frame controls go under both pictures, so side by side they stay level
        layout.addWidget(self.player.controls)
        self.beside.moved.connect(self.player.picture.set_centre)
        self.player.picture.moved.connect(self.beside.set_centre)
        self.player.frame_shown.connect(self._clip_frame_shown)

        zooms = QHBoxLayout()
        zooms.addWidget(QLabel("Zoom:"))
        self.zoom = QButtonGroup(self)
        for i, (name, _) in enumerate(ZOOMS):
            button = QPushButton(name)
            button.setCheckable(True)
            button.setChecked(i == 0)
            button.setToolTip(
                "Fit the picture to the view" if i == 0 else
                f"Show every pixel {name.rstrip('%')}% large, to look for grain (drag to pan)"
            )
            self.zoom.addButton(button, i)
            zooms.addWidget(button)
        self.zoom.idToggled.connect(self._zoom_toggled)
        self.size_label = QLabel()
        self.size_label.setEnabled(False)  # a quiet fact, not a control
        zooms.addWidget(self.size_label, 1)
        layout.addLayout(zooms)

        self.legend = HeatLegend()
        self.legend.hide()
        layout.addWidget(self.legend)
        self.images: dict[str, QImage] = {}  # a still, by mode
        self._item: PreviewItem | None = None
        self._worker: Worker | None = None
        self._generation = 0  # the still render whose result is wanted
        self._readers: dict[Path, Clip] = {}  # newest last
        self._beside_reader: Clip | None = None  # the original, for a clip side by side
        self._beside_worker: Worker | None = None
        self._beside_wanted: int | None = None  # the original's frame to show beside, once decoded
        self._beside_shown = -1
        self._controls()

    @property
    def item(self) -> PreviewItem | None:
        """What is previewed (or being rendered for the preview)."""
        return self._item

    def mode_name(self) -> str:
        button = self.mode.checkedButton()
        return button.text() if button is not None else "Marked"

    def zoom_factor(self) -> float | None:
        """Screen pixels per image pixel of the zoom chosen (None: fit)."""
        return ZOOMS[max(self.zoom.checkedId(), 0)][1]

    def show_item(self, item: PreviewItem) -> None:
        """Preview *item*, staying on the frame shown if it is the clip already shown."""
        same = self._item is not None and self._item.path == item.path
        self._item = item
        self._generation += 1
        if not same:
            self._forget_beside_clip()
            if item.clip:
                self.beside.set_image(None)  # not the file shown before
        if item.clip:
            self.images = {}
            self._controls()
            self._show_clip(item, keep_frame=same)
        else:
            self._controls()
            self._render_still(item)

    def clear(self) -> None:
        self._item = None
        self._generation += 1
        self.images.clear()
        self.player.placeholder = "Select a file to preview it."
        self.player.set_image(None)
        self.beside.set_image(None)
        self._forget_beside_clip()
        for reader in self._readers.values():
            close_later(reader)
        self._readers.clear()

    def shutdown(self) -> None:
        self.player.shutdown()
        self.clear()
        if self._worker is not None:
            self._worker.cancel()

    def _toggled(self, _id: int, checked: bool) -> None:
        if checked:  # the button switched off is told too
            self._mode_changed()

    def _mode_changed(self) -> None:
        self.legend.setVisible(self.mode_name() == "Difference")
        if self._item is not None and self._item.clip:
            self._show_clip(self._item, keep_frame=True)
        else:
            self._show_still()

    # -- zoom and side by side ---------------------------------------------------

    def _clip_side(self) -> int:
        """The square a clip's frames are decoded to fit: the view's, or full size when zoomed."""
        return CLIP_SIDE if self.zoom_factor() is None else _SIDE

    def _controls(self) -> None:
        """Zoom and side by side, for a still or a clip alike."""
        self.beside.setVisible(self.beside_button.isChecked())
        for picture in (self.player.picture, self.beside):
            picture.set_zoom(self.zoom_factor())
        self.player.set_side(self._clip_side())
        if self._item is not None and self._item.clip:
            self.size_label.clear()

    def _zoom_toggled(self, _id: int, checked: bool) -> None:
        if not checked:
            return
        self._controls()
        if self._item is not None and self._item.clip and self.beside_button.isChecked():
            self._beside_shown = -1  # decoded again at the new size
            self._want_beside(self.player.frame_index)

    def _beside_toggled(self, on: bool) -> None:
        if on and self.mode_name() == "Original":
            self.mode.button(1).setChecked(True)  # the original is beside it already
        self._controls()
        if self._item is not None and self._item.clip:
            self._show_clip(self._item, keep_frame=True)
            if on:
                self._want_beside(self.player.frame_index)
            else:
                self.beside.set_image(None)
        else:
            self._show_still()

    def _show_still(self) -> None:
        """Show the rendered still (both sides), or that it is still rendering."""
        if self._item is not None and self._item.clip:
            return
        mode = self.mode_name()
        beside = self.beside_button.isChecked()
        self.player.picture.caption = mode if beside else ""
        if self._item is not None and not self.images:
            self.player.set_image(None)  # and let go of a clip shown before
            self.player.picture.set_busy(RENDERING)
            if beside:
                self.beside.set_busy(RENDERING)
            return
        self.player.set_image(self.images.get(mode))
        self.beside.set_image(self.images.get("Original") if beside else None)
        self.beside.set_centre(self.player.picture.centre)

    # -- stills ------------------------------------------------------------------

    def _render_still(self, item: PreviewItem) -> None:
        def job(report: Any, cancelled: Any) -> tuple[int, dict[str, QImage], str]:
            from artistshield import imageio, watermark

            original = imageio.load(item.path).rgb8()
            if item.output is not None:
                marked = imageio.load(item.output).rgb8()
            else:
                marked = watermark.embed(original, item.key, item.payload, strength=item.strength)
            delta = watermark.mark_delta(original, item.key, item.payload, strength=item.strength)
            h, w = original.shape[:2]
            shown = images.fit(original, _SIDE)
            size = f"{w} \N{MULTIPLICATION SIGN} {h} px"
            if shown.shape[:2] != original.shape[:2]:
                size += f", preview shrunk to {100 * shown.shape[1] / w:.0f}%"
            return generation, {
                "Original": images.to_qimage(shown),
                "Marked": images.to_qimage(images.fit(marked, _SIDE)),
                "Difference": images.to_qimage(images.fit(images.heat_map(original, delta), _SIDE)),
            }, size

        generation = self._generation
        if self._worker is not None:
            self._worker.cancel()  # its result would be dropped anyway
        self.images = {}
        self.size_label.clear()
        self._show_still()  # says it is rendering, rather than show the file chosen before
        self._worker = Worker(job, name="preview")
        self._worker.signals.succeeded.connect(self._still_ready)
        self._worker.signals.failed.connect(partial(self._still_failed, generation))
        self._worker.start()

    def _still_ready(self, result: tuple[int, dict[str, QImage], str]) -> None:
        generation, rendered, size = result
        if generation != self._generation:
            return  # another file, or another strength, was chosen meanwhile
        self.images = rendered
        self.size_label.setText(size)
        self._show_still()

    def _still_failed(self, generation: int, message: str, details: str) -> None:
        if generation != self._generation:
            return
        self.images = {}
        for picture in (self.player.picture, self.beside):
            picture.set_image(None)
            picture.placeholder = f"No preview: {message}"
        self.player.set_image(None)

    # -- clips ---------------------------------------------------------------------

    def _show_clip(self, item: PreviewItem, *, keep_frame: bool) -> None:
        mode, source = self.mode_name(), item.path
        look: Look | None = None
        if mode == "Marked":
            if item.output is not None:
                source = item.output
            else:
                look = partial(_marked_look, key=item.key, payload=item.payload, strength=item.strength)
        elif mode == "Difference":
            look = partial(_difference_look, key=item.key, payload=item.payload, strength=item.strength)
        self.player.picture.caption = mode if self.beside_button.isChecked() else ""
        self.player.set_clip(self._reader(source), look, keep_frame=keep_frame)

    def _clip_frame_shown(self, index: int) -> None:
        if self._item is not None and self._item.clip and self.beside_button.isChecked():
            self._want_beside(index)

    def _want_beside(self, index: int) -> None:
        """Show the original's frame *index* beside the clip (decoded off the UI thread)."""
        if index < 0 or index == self._beside_shown:
            return
        self._beside_wanted = index
        if self._beside_worker is not None or self._item is None:
            return  # the one decoding now asks for the frame wanted when it is done
        from artistshield.animation.clip import open_clip  # NumPy and PyAV: not at start-up

        item, side, generation = self._item, self._clip_side(), self._generation
        if self._beside_reader is None:
            self._beside_reader = open_clip(item.path)  # its own: the player's may be busy
        reader = self._beside_reader

        def job(report: Any, cancelled: Any) -> tuple[int, int, QImage, str]:
            frame = reader.frame(min(index, reader.timing().frame_count - 1))
            h, w = frame.shape[:2]
            return generation, index, images.fit_frame(frame, side), f"{w} \N{MULTIPLICATION SIGN} {h} px"

        self._beside_wanted = None
        self._beside_worker = Worker(job, name="showing the original frame")
        self._beside_worker.signals.succeeded.connect(self._beside_decoded)
        self._beside_worker.signals.finished.connect(self._beside_done)
        self._beside_worker.start()

    def _beside_decoded(self, result: tuple[int, int, QImage, str]) -> None:
        generation, index, image, size = result
        if generation != self._generation or not self.beside_button.isChecked():
            return
        self._beside_shown = index
        self.beside.set_image(image)
        self.beside.set_centre(self.player.picture.centre)
        self.size_label.setText(size)

    def _beside_done(self) -> None:
        self._beside_worker = None
        if self._beside_wanted is not None:
            self._want_beside(self._beside_wanted)

    def _forget_beside_clip(self) -> None:
        """Let go of the original clip shown beside (another file is shown now)."""
        if self._beside_reader is not None:
            close_later(self._beside_reader)
            self._beside_reader = None
        self._beside_wanted = None
        self._beside_shown = -1

    def _reader(self, path: Path) -> Clip:
        """An open frame reader for *path*; the least recently used ones are closed."""
        from artistshield.animation.clip import open_clip  # NumPy and PyAV: not at start-up

        reader = self._readers.pop(path, None) or open_clip(path)
        self._readers[path] = reader
        while len(self._readers) > _OPEN_READERS:
            close_later(self._readers.pop(next(iter(self._readers))))
        return reader


def _marked_look(index: int, pixels: np.ndarray, *, key: bytes, payload: int, strength: float) -> np.ndarray:
    """A frame as marking would change it (before the clip is marked)."""
    from artistshield import watermark

    return watermark.embed(pixels, key, payload, strength=strength)


def _difference_look(index: int, pixels: np.ndarray, *, key: bytes, payload: int, strength: float) -> np.ndarray:
    """Where the mark goes in a frame, as a heat map."""
    from artistshield import watermark

    return images.heat_map(pixels, watermark.mark_delta(pixels, key, payload, strength=strength))


class HeatLegend(QWidget):
    """What the Difference view's colours mean: a bar from no change to the strongest change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 2, 0, 2)
        self.low = QLabel("No change")
        self.bar = _HeatBar()
        self.high = QLabel("Strongest change")
        for widget in (self.low, self.bar, self.high):
            row.addWidget(widget)
        row.addStretch()
        self.setToolTip(
            "The picture is dimmed to grey and the mark's change to each pixel drawn over it, "
            "from dark red where it is weak through yellow to white where it is strongest in "
            "this picture. The change is amplified to be seen: the mark itself is invisible."
        )


class _HeatBar(QWidget):
    """The heat map's colour ramp, as :func:`artistshield.gui.images.heat_map` draws it."""

    def __init__(self) -> None:
        super().__init__()
        self.setFixedHeight(14)
        self.setMinimumWidth(90)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(140, 14)

    def paintEvent(self, event: QPaintEvent) -> None:
        from PySide6.QtGui import QColor

        painter = QPainter(self)
        ramp = QLinearGradient(QPointF(0, 0), QPointF(self.width(), 0))
        grey = QColor(60, 60, 60)  # a mid-grey pixel, dimmed as the heat map dims it
        ramp.setColorAt(0.0, grey)
        ramp.setColorAt(1 / 3, QColor(255, 0, 0))
        ramp.setColorAt(2 / 3, QColor(255, 255, 0))
        ramp.setColorAt(1.0, QColor(255, 255, 255))
        painter.fillRect(self.rect(), ramp)
        painter.setPen(self.palette().mid().color())
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
