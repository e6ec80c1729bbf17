"""The frame preview: step through a clip or play it, decoding only the frames shown.

:class:`ClipView` shows a still (:meth:`ClipView.set_image`) or a clip
(:meth:`ClipView.set_clip`) with play/pause, previous/next, a slider and the
frame's number and time.  Frames are decoded off the UI thread by one
:class:`~artistshield.gui.workers.Worker` at a time: a request made while one
runs replaces any request still waiting, so dragging the slider decodes the
frame under it, not every frame passed.  Decoded frames, already shrunk for
the screen, stay in a small cache; while playing, the next frame is decoded
during the current one's duration.  A long video is therefore never held in
memory, and the window never waits for a decoder.

Playing keeps the clip's own time: each tick shows the frame due at the
time since play began (:meth:`Timing.index_at`), and the next tick is set
for when the following frame starts, so a frame decoded late is shown
late and the ones it delayed are skipped rather than slowing the clip down.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QImage
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from artistshield.gui import images
from artistshield.gui.resources import icon
from artistshield.gui.widgets import PictureView
from artistshield.gui.workers import Worker

if TYPE_CHECKING:
    import numpy as np

    from artistshield.animation.clip import Clip, Timing

#: What the preview shows of a frame: (index, pixels) -> pixels, run on the worker.
Look = Callable[[int, "np.ndarray"], "np.ndarray"]
#: Frames are shrunk to fit this square before they are cached and shown (to fit the view).
SIDE = 1000
#: The cache holds at most this many frames and this many bytes.
_CACHE_FRAMES = 96
_CACHE_BYTES = 160 * 2**20
_MARK_FOUND = "#1e8e3e"


def close_later(clip: Clip) -> None:
    """Close *clip* on the thread pool, once a frame being decoded from it is done."""
    Worker(lambda report, cancelled: clip.close(), name="closing a clip").start()


class ClipView(QWidget):
    """A picture with frame controls, shown when the picture is a clip."""

    frame_shown = Signal(int)  # the index (from 0) of the frame now on screen
    failed = Signal(str)

    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.picture = PictureView(placeholder)
        layout.addWidget(self.picture, 1)

        self.controls = QWidget()
        row = QHBoxLayout(self.controls)
        row.setContentsMargins(0, 0, 0, 0)
        self.previous_button = self._button("previous-frame", "Previous frame", self.previous_frame)
        self.play_button = self._button("play", "Play the clip (again to pause)", self.toggle_play)
        self.next_button = self._button("next-frame", "Next frame", self.next_frame)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Drag to any frame")
        self.slider.setRange(0, 0)
        self.slider.setMinimumWidth(60)  # a slider, not a lone handle, in a narrow pane
        self.slider.valueChanged.connect(self._slider_moved)
        self.frame_label = QLabel()
        self.frame_label.setTextFormat(Qt.TextFormat.RichText)
        self.frame_label.setMinimumWidth(150)
        self.frame_label.setWordWrap(True)  # in a narrow pane it takes two lines, not a cut
        for w in (self.previous_button, self.play_button, self.next_button):
            row.addWidget(w)
        row.addWidget(self.slider, 1)
        row.addWidget(self.frame_label)
        layout.addWidget(self.controls)
        self.controls.hide()

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._tick)
        self._clip: Clip | None = None
        self._look: Look | None = None
        self._timing: Timing | None = None
        self._generation = 0
        self._cache: OrderedDict[int, QImage] = OrderedDict()
        self._worker: Worker | None = None
        self._worker_generation = 0
        self._wanted: int | None = None  # the frame to show when it is decoded
        self._index = -1  # the frame on screen
        self._playing = False
        self._marked: frozenset[int] | None = None
        self._checked: frozenset[int] | None = None
        self._clock: Callable[[], float] = time.monotonic
        self.side = SIDE  # frames are shrunk to fit this square (larger when zoomed in)
        self._origin = 0.0  # when, on the clock, the clip's time 0 was (while playing)

    def _button(self, name: str, tip: str, slot: Callable[[], None]) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(name))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    # -- what is shown ---------------------------------------------------------

    @property
    def placeholder(self) -> str:
        return self.picture.placeholder

    @placeholder.setter
    def placeholder(self, text: str) -> None:
        self.picture.placeholder = text

    def set_image(self, image: QImage | None, region: tuple[float, float, float, float] | None = None) -> None:
        """Show a still: the frame controls go away."""
        self._forget_clip()
        self.picture.set_image(image, region)

    def has_image(self) -> bool:
        return self.picture.has_image()

    def set_clip(
        self, clip: Clip, look: Look | None = None, *, keep_frame: bool = False,
        marked: frozenset[int] | set[int] | None = None, checked: frozenset[int] | set[int] | None = None,
    ) -> None:
        """Show *clip*'s frames through *look*; *keep_frame* stays on the frame shown.

        *marked* and *checked* (frame indexes) let the label say whether a
        frame carried the mark when a check read it.
        """
        index = self._target() if keep_frame and self._clip is not None else 0
        playing = self._playing and keep_frame
        timing = self._timing if clip is self._clip else None
        self._forget_clip()
        self._clip, self._look, self._timing = clip, look, timing
        self._marked = None if marked is None else frozenset(marked)
        self._checked = None if checked is None else frozenset(checked)
        if timing is not None:
            self._set_range(timing)
        self.controls.show()
        self.show_frame(index)
        if playing:
            self.play()

    def set_side(self, side: int) -> None:
        """Shrink frames to fit *side* from now on (a zoom to 100% wants them at full size)."""
        if side == self.side:
            return
        self.side = side
        if self._clip is None:
            return
        index = self._target()
        self._generation += 1  # a frame being decoded at the old size is dropped
        self._cache.clear()
        self.show_frame(index)

    def set_marked_frames(self, marked: set[int] | frozenset[int], checked: set[int] | frozenset[int]) -> None:
        self._marked, self._checked = frozenset(marked), frozenset(checked)
        self._update_label()

    def _forget_clip(self) -> None:
        self.pause()
        self._generation += 1
        self._clip = None
        self._look = None
        self._timing = None
        self._cache.clear()
        self._wanted = None
        self._index = -1
        self._marked = self._checked = None
        self.controls.hide()

    @property
    def clip(self) -> Clip | None:
        return self._clip

    @property
    def frame_index(self) -> int:
        """The frame on screen (from 0), -1 before the first arrives."""
        return self._index

    @property
    def frame_count(self) -> int:
        return self._timing.frame_count if self._timing is not None else 0

    @property
    def playing(self) -> bool:
        return self._playing

    # -- moving through the clip ---------------------------------------------------

    def show_frame(self, index: int) -> None:
        """Show frame *index* (from 0) as soon as it is decoded."""
        if self._clip is None:
            return
        if self._timing is not None:
            index = min(max(index, 0), self._timing.frame_count - 1)
        if index in self._cache:
            self._display(index)
        else:
            self._wanted = index
            self._request()

    def next_frame(self) -> None:
        self.pause()
        self.show_frame(self._target() + 1)

    def previous_frame(self) -> None:
        self.pause()
        self.show_frame(self._target() - 1)

    def _target(self) -> int:
        return self._wanted if self._wanted is not None else max(self._index, 0)

    def toggle_play(self) -> None:
        if self._playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        if self._clip is None or self._playing:
            return
        self._playing = True
        self.play_button.setIcon(icon("pause"))
        self.play_button.setToolTip("Pause")
        timing = self._timing
        if timing is not None and self._index >= 0:  # go on from the frame after this one
            following = (self._index + 1) % timing.frame_count
            self._origin = self._clock() - timing.start_ms(following) / 1000.0
            self.show_frame(following)
        else:
            self._origin = self._clock()
            self._tick()

    def pause(self) -> None:
        self._playing = False
        self.timer.stop()
        self.play_button.setIcon(icon("play"))
        self.play_button.setToolTip("Play the clip (again to pause)")

    def _tick(self) -> None:
        """Time for the next frame: the one due at the clip's time, which loops."""
        if not self._playing:
            return
        timing = self._timing
        if timing is None or self._index < 0:
            self.show_frame(0)
            return
        self.show_frame(timing.index_at(self._clip_ms(timing)))

    def _clip_ms(self, timing: Timing) -> float:
        """Where in the clip (ms) playing has reached; past the end it starts again."""
        last = timing.frame_count - 1
        length = timing.start_ms(last) + timing.duration_ms(last)
        elapsed = (self._clock() - self._origin) * 1000.0
        if length > 0 and elapsed >= length:
            laps = elapsed // length
            self._origin += laps * length / 1000.0
            elapsed -= laps * length
        return max(elapsed, 0.0)

    def _slider_moved(self, value: int) -> None:
        if value != self._index:
            self.show_frame(value)

    # -- decoding ----------------------------------------------------------------

    def _request(self) -> None:
        """Decode the wanted frame, or while playing the one after the shown one."""
        if self._worker is not None or self._clip is None:
            return
        index = self._wanted
        if index is None and self._playing and self._timing is not None:
            index = (self._index + 1) % self._timing.frame_count
            if index in self._cache:
                return
        if index is None:
            return
        clip, look, generation, side = self._clip, self._look, self._generation, self.side

        def job(report: Any, cancelled: Any) -> tuple[int, int, QImage, Timing]:
            timing = clip.timing()
            at = min(index, timing.frame_count - 1)
            pixels = clip.frame(at)
            if look is not None:
                pixels = look(at, pixels)
            return generation, at, images.fit_frame(pixels, side), timing

        self._worker_generation = generation
        self._worker = Worker(job, name="showing a frame")
        self._worker.signals.succeeded.connect(self._decoded)
        self._worker.signals.failed.connect(self._decode_failed)
        self._worker.signals.finished.connect(self._decode_done)
        self._worker.start()

    def _decoded(self, result: tuple[int, int, QImage, Timing]) -> None:
        generation, index, image, timing = result
        if generation != self._generation:
            return
        if self._timing is None:
            self._timing = timing
            self._set_range(timing)
        self._cache[index] = image
        self._cache.move_to_end(index)
        self._trim_cache()
        if self._wanted is not None and min(self._wanted, timing.frame_count - 1) == index:
            self._display(index)

    def _decode_failed(self, message: str, details: str) -> None:
        if self._worker_generation != self._generation:
            return
        self.pause()
        self._wanted = None
        self.picture.placeholder = f"No preview: {message}"
        self.picture.set_image(None)
        self.failed.emit(message)

    def _decode_done(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None and self._clip is not None:
            self._request()

    def _trim_cache(self) -> None:
        total = sum(image.sizeInBytes() for image in self._cache.values())
        while len(self._cache) > 1 and (len(self._cache) > _CACHE_FRAMES or total > _CACHE_BYTES):
            oldest = next(iter(self._cache))
            if oldest == self._index:
                self._cache.move_to_end(oldest)
                continue
            total -= self._cache.pop(oldest).sizeInBytes()

    def _display(self, index: int) -> None:
        if self._wanted == index:
            self._wanted = None
        self._index = index
        self._cache.move_to_end(index)
        self.picture.set_image(self._cache[index])
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        self._update_label()
        self.frame_shown.emit(index)
        if self._playing and self._timing is not None:
            timing = self._timing
            now = self._clip_ms(timing)
            ends = timing.start_ms(index) + timing.duration_ms(index)
            wrapped = now + 1 < timing.start_ms(index)  # shown after the clip started again
            self.timer.start(1 if wrapped else max(1, round(ends - now)))
            self._request()  # the next frame, while this one is on screen

    def _set_range(self, timing: Timing) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(timing.frame_count - 1, 0))
        self.slider.setPageStep(max(1, timing.frame_count // 10))
        self.slider.blockSignals(False)
        self.play_button.setEnabled(timing.frame_count > 1)
        if timing.assumed_rate:
            self.frame_label.setToolTip(
                f"A frame folder has no timing of its own: it plays at {timing.fps:g} frames a second."
            )
        else:
            self.frame_label.setToolTip("The frame's number, when it is shown and for how long")

    def _update_label(self) -> None:
        timing = self._timing
        if timing is None or self._index < 0:
            self.frame_label.setText("")
            return
        i = self._index
        text = (
            f"Frame {i + 1} of {timing.frame_count} · {timing.start_ms(i) / 1000:.2f} s"
            f" · {timing.duration_ms(i):.0f} ms"
        )
        if self._checked is not None and self._marked is not None:
            if i in self._marked:
                text += f" · <span style='color:{_MARK_FOUND}'>mark read</span>"
            elif i in self._checked:
                text += " · no mark read in this frame"
            else:
                text += " · not checked"
        self.frame_label.setText(text)

    # -- lifetime ------------------------------------------------------------------

    def hideEvent(self, event: QHideEvent) -> None:
        self.pause()
        super().hideEvent(event)

    def shutdown(self) -> None:
        self._forget_clip()
        if self._worker is not None:
            self._worker.cancel()
