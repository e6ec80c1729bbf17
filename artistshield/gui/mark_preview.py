"""The Mark view's preview: a file as it is, as marked, or where the mark goes.

A still is rendered once per file in all three modes on a worker, so the
toggles switch at once.  A clip goes to a :class:`ClipView`, which decodes
only the frames shown: "Marked" reads the marked copy once it exists and
marks each frame shown until then; "Difference" draws each frame's heat map.
The frame shown stays when the mode changes or the clip is marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from artistshield.animation.clip import open_clip
from artistshield.gui import images
from artistshield.gui.clip_view import ClipView, Look, close_later
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
#: Stills are rendered to fit this square.
_SIDE = 1400
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
    """Original / Marked / Difference toggles over a picture that steps through clips."""

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
        toggles.addStretch()
        layout.addLayout(toggles)
        self.player = ClipView("Select a file to preview it.\nDrop images, clips or folders here to start.")
        layout.addWidget(self.player)
        self.images: dict[str, QImage] = {}  # a still, by mode
        self._item: PreviewItem | None = None
        self._worker: Worker | None = None
        self._readers: dict[Path, Clip] = {}  # newest last

    def mode_name(self) -> str:
        button = self.mode.checkedButton()
        return button.text() if button is not None else "Marked"

    def show_item(self, item: PreviewItem) -> None:
        """Preview *item*, staying on the frame shown if it is the clip already shown."""
        same = self._item is not None and self._item.path == item.path
        self._item = item
        if item.clip:
            self._show_clip(item, keep_frame=same)
        else:
            self._render_still(item)

    def clear(self) -> None:
        self._item = None
        self.images.clear()
        self.player.set_image(None)
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
        if self._item is not None and self._item.clip:
            self._show_clip(self._item, keep_frame=True)
        else:
            self.player.set_image(self.images.get(self.mode_name()))

    # -- stills ------------------------------------------------------------------

    def _render_still(self, item: PreviewItem) -> None:
        def job(report: Any, cancelled: Any) -> tuple[Path, dict[str, QImage]]:
            from artistshield import imageio, watermark

            original = imageio.load(item.path).rgb8()
            if item.output is not None:
                marked = imageio.load(item.output).rgb8()
            else:
                marked = watermark.embed(original, item.key, item.payload, strength=item.strength)
            delta = watermark.mark_delta(original, item.key, item.payload, strength=item.strength)
            return item.path, {
                "Original": images.to_qimage(images.fit(original, _SIDE)),
                "Marked": images.to_qimage(images.fit(marked, _SIDE)),
                "Difference": images.to_qimage(images.fit(images.heat_map(original, delta), _SIDE)),
            }

        self._worker = Worker(job, name="preview")
        self._worker.signals.succeeded.connect(self._still_ready)
        self._worker.signals.failed.connect(self._still_failed)
        self._worker.start()

    def _still_ready(self, result: tuple[Path, dict[str, QImage]]) -> None:
        path, rendered = result
        if self._item is None or self._item.path != path:
            return  # another file was chosen meanwhile
        self.images = rendered
        self.player.set_image(self.images.get(self.mode_name()))

    def _still_failed(self, message: str, details: str) -> None:
        self.images = {}
        self.player.placeholder = f"No preview: {message}"
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
        self.player.set_clip(self._reader(source), look, keep_frame=keep_frame)

    def _reader(self, path: Path) -> Clip:
        """An open frame reader for *path*; the least recently used ones are closed."""
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
