"""The app's progress bar: what the view says, and the time left once a job has run a second.

A view sets the bar's range, value and text as before; :class:`ProgressBar`
adds "about 20 s left" (:mod:`artistshield.progress`, the wording the command
line uses too) from how fast the value has moved since the job began.  A job
begins when the bar is reset, goes back or is given a new range, and is
over at the maximum or when the view calls :meth:`ProgressBar.finish`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtWidgets import QProgressBar, QWidget

from artistshield.progress import Estimate


class ProgressBar(QProgressBar):
    """A QProgressBar whose text ends with the time left while a job runs."""

    def __init__(
        self, parent: QWidget | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._estimate: Estimate | None = None
        self._range = (self.minimum(), self.maximum())
        self._last = self.value()
        self.valueChanged.connect(self._moved)
        self.setTextVisible(True)

    def _moved(self, value: int) -> None:
        span = (self.minimum(), self.maximum())
        again = value < self._last or value <= self.minimum()  # a new job, or a new pass of one
        if self._estimate is None or span != self._range or again:
            self._estimate = Estimate(clock=self._clock)
            self._range = span
        self._last = value
        if value >= self.maximum():
            self._estimate = None

    def finish(self) -> None:
        """The job is over (done, cancelled or failed): no more time left to show."""
        self._estimate = None
        self.update()

    @property
    def share(self) -> float:
        low, high = self.minimum(), self.maximum()
        return (self.value() - low) / (high - low) if high > low else 0.0

    def time_left(self) -> str:
        """"about 20 s left", or "" when not known (a job under a second, no range, none running)."""
        if self._estimate is None or self.maximum() <= self.minimum():
            return ""
        return self._estimate.left_in_words(self.share)

    def text(self) -> str:
        shown = super().text()
        left = self.time_left()
        if not left:
            return shown
        return f"{shown} · {left}" if shown else left
