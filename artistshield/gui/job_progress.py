"""What a view shows while one of its background jobs runs: a bar, and the time left or taken.

A view hands each :class:`~artistshield.gui.workers.Worker` it starts to its
:class:`JobProgress` with what the job does in words.  A job that knows how
far it is reports :class:`Step` items; the bar then counts them and, once it
has run a second, ends with "about 20 s left" (:class:`.progress.ProgressBar`).
A job that cannot know (one call into the registry, a bundle being signed)
shows a busy bar and the seconds it has taken so far.  Nothing appears for a
job done within a second, so quick ones do not flicker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from artistshield.gui.progress import ProgressBar
from artistshield.gui.workers import Worker

#: A job is shown once it has run this long (seconds).
SHOW_AFTER = 1.0


@dataclass(frozen=True)
class Step:
    """A job has done *done* of its *total* items (works, files, frames)."""

    done: int
    total: int


class JobProgress(QWidget):
    """A sentence and a bar for the view's running job; hidden when none runs."""

    def __init__(
        self, parent: QWidget | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.bar = ProgressBar(clock=clock)
        self.bar.setMinimumWidth(200)  # "3 of 12 · about 20 s left" in full
        self.bar.setMaximumWidth(320)
        row.addWidget(self.label)
        row.addWidget(self.bar, 1)
        self._jobs: list[tuple[Worker, str, float]] = []  # running, oldest first
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._tick)
        self.hide()

    def track(self, worker: Worker, doing: str) -> None:
        """Show *worker*'s progress while it runs; *doing* says what it does ("Verifying…")."""
        self._jobs.append((worker, doing, self._clock()))
        worker.signals.progress.connect(self._reported)
        worker.signals.finished.connect(lambda: self._finished(worker))
        self._busy()
        self._timer.start()

    @property
    def running(self) -> bool:
        return bool(self._jobs)

    def _busy(self) -> None:
        self.bar.finish()
        self.bar.setRange(0, 0)  # no fraction known (yet): a busy bar
        self.bar.setFormat("")

    def _reported(self, item: object) -> None:
        if not isinstance(item, Step) or item.total <= 0:
            return
        if (self.bar.minimum(), self.bar.maximum()) != (0, item.total):
            self.bar.setRange(0, item.total)
        self.bar.setValue(min(item.done, item.total))
        self.bar.setFormat(f"{item.done} of {item.total}")
        self._tick()

    def _finished(self, worker: Worker) -> None:
        self._jobs = [job for job in self._jobs if job[0] is not worker]
        if self._jobs:
            self._busy()  # the next job's own steps, if any, come as it reports them
            self._tick()
            return
        self._timer.stop()
        self.bar.finish()
        self.hide()

    def _tick(self) -> None:
        if not self._jobs:
            return
        _, doing, started = self._jobs[-1]
        taken = self._clock() - started
        if taken < SHOW_AFTER:
            return
        if self.bar.maximum() > self.bar.minimum():
            self.label.setText(doing)  # the bar counts and says the time left
        else:
            self.label.setText(f"{doing} {taken:.0f} s so far")
        self.bar.update()
        self.show()

    def text(self) -> str:
        """What the user reads: the sentence and the bar's text."""
        return f"{self.label.text()} {self.bar.text()}".strip()
