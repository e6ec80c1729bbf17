"""What a batch command (mark, check, registry add) shows while it works.

With ``-v`` each file is named on stderr as it starts and as it ends, with
the time it took; a file that failed or was skipped is said to have, not to
be done.  On a terminal, stderr also carries one progress bar: the
files done, the file under way (a clip's frames) and the time left
(:mod:`artistshield.progress`).  The bar is drawn only when stderr is a
terminal, redrawn at most every :data:`REDRAW` seconds, and wiped before
anything else is written, the command's own lines on stdout included (a
command says so with :meth:`Progress.end`, before printing a file's result),
so it never breaks a line of output.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO, TypeVar, cast

from artistshield.animation.inputs import Input
from artistshield.progress import CheckStep, Estimate, duration_in_words

#: The bar is redrawn at most this often (seconds).
REDRAW = 0.1
_WIDTH = 20
_WIPE = "\r\x1b[K"

T = TypeVar("T")

#: How a file ended, for :meth:`Progress.end`.
DONE, FAILED, SKIPPED = "done", "failed", "skipped"


class Progress:
    """Progress of one batch over *items*, shown on *stream* (stderr by default).

    *verb* is what is done to each file ("marking"), *done* how its end is
    told ("marked").  *bar* defaults to whether *stream* is a terminal.
    """

    def __init__(
        self,
        items: Iterable[Input | Path],
        *,
        verbose: bool,
        verb: str,
        done: str,
        stream: TextIO | None = None,
        bar: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.items = [item if isinstance(item, Input) else Input(Path(item)) for item in items]
        self.verbose, self.verb, self.done_word = verbose, verb, done
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.bar = bool(isatty()) if bar is None else bar
        self._clock = clock
        self._estimate = Estimate(clock=clock)
        self._total = sum(item.taken for item in self.items)
        self._finished = 0  # files taken and ended
        self._current: Path | None = None
        self._started = 0.0
        self._frames = (0, 0)
        self._step: CheckStep | None = None  # a clip check's whole job, not just its frames
        self._drawn = False
        self._last_draw = -float("inf")
        self._logging: list[tuple[logging.StreamHandler[TextIO], TextIO]] = []
        if self.bar:
            self._guard_logging()

    def track(
        self, outcomes: Iterable[T], *, ended: Callable[[T], str] | None = None
    ) -> Iterator[T]:
        """Yield *outcomes*, one per item in order, telling each file's start and end.

        *ended* says how an outcome ended: :data:`DONE`, :data:`FAILED` or
        :data:`SKIPPED` (every outcome is done without it).  The body of the
        caller's loop runs between a file's end and the next file's start,
        with the bar wiped.
        """
        items = iter(self.items)
        results = iter(outcomes)
        try:
            while True:
                item = next(items, None)
                if item is not None:
                    self.start(item)
                try:
                    outcome = next(results)
                except StopIteration:
                    return
                if item is not None:
                    self.end(item, ended=DONE if ended is None else ended(outcome))
                yield outcome
        finally:
            self.close()

    def start(self, item: Input | Path) -> None:
        """*item* is starting (a file skipped is not said to start)."""
        item = item if isinstance(item, Input) else Input(Path(item))
        if not item.taken:
            return
        self._current, self._started, self._frames = item.path, self._clock(), (0, 0)
        self._step = None
        if self.verbose:
            self._say(f"artistshield: {self.verb} {item.path} ({self._finished + 1} of {self._total})")
        self._draw(force=True)

    def end(self, item: Input | Path, how: str = "", *, ended: str = "done") -> None:
        """*item* has ended (*ended*: done, failed or skipped); *how* is said after its time."""
        item = item if isinstance(item, Input) else Input(Path(item))
        if not item.taken:
            self._wipe()
            return
        self._finished += 1
        spent = self._clock() - self._started if self._current == item.path else 0.0
        self._current = None
        self._wipe()
        if self.verbose:
            tail = f": {how}" if how else ""
            took = duration_in_words(spent)
            if ended == FAILED:
                said = f"{self.verb} {item.path} failed after {took}"
            elif ended == SKIPPED:
                said = f"skipped {item.path} after {took}"
            else:
                said = f"{self.done_word} {item.path} in {took}"
            self._say(f"artistshield: {said}{tail}")

    def frames(self, done: int, total: int) -> None:
        """A progress callback for the file under way: *done* frames of *total* (0: unknown)."""
        self._frames = (done, total)
        self._draw()

    def check_step(self, step: CheckStep) -> None:
        """A progress callback for a clip check under way, its matching included
        (:class:`artistshield.progress.ClipCheckProgress`)."""
        self._step = step
        self._draw()

    def file_frames(self, source: Path, done: int, total: int) -> None:
        """As :meth:`frames`, for callbacks that name the file (``mark_files``)."""
        self.frames(done, total)

    def close(self) -> None:
        """Wipe the bar and give logging its stream back."""
        self._wipe()
        for handler, stream in self._logging:
            handler.setStream(stream)
        self._logging = []

    @property
    def share(self) -> float:
        """The share of the batch done, the file under way counted by its frames."""
        if not self._total:
            return 0.0
        done, total = self._frames
        part = min(done / total, 1.0) if total and self._current is not None else 0.0
        if self._step is not None and self._current is not None:
            part = self._step.share
        return (self._finished + part) / self._total

    def line(self, width: int) -> str:
        """The bar as drawn, at most *width* characters."""
        share = self.share
        filled = round(share * _WIDTH)
        parts = [f"[{'#' * filled}{'.' * (_WIDTH - filled)}] {self._finished}/{self._total}"]
        if self._current is not None:
            done, total = self._frames
            parts.append(self._current.name)
            if self._step is not None:
                parts.append(self._step.words)
            elif done:
                parts.append(f"frame {done}/{total}" if total else f"frame {done}")
        left = self._estimate.left_in_words(share)
        if left:
            parts.append(left)
        text = " · ".join(parts)
        return text if len(text) <= width else text[: max(width - 1, 0)] + "…"

    def _draw(self, *, force: bool = False) -> None:
        if not self.bar:
            return
        now = self._clock()
        if not force and now - self._last_draw < REDRAW:
            return
        self._last_draw = now
        width = shutil.get_terminal_size((80, 24)).columns - 1
        self.stream.write(_WIPE + self.line(width))
        self.stream.flush()
        self._drawn = True

    def _wipe(self) -> None:
        if self._drawn:
            self.stream.write(_WIPE)
            self.stream.flush()
            self._drawn = False

    def _say(self, text: str) -> None:
        self._wipe()
        print(text, file=self.stream, flush=True)

    def _guard_logging(self) -> None:
        """Log lines on the bar's stream wipe the bar first."""
        guarded = _Guarded(self)
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is self.stream:
                old = handler.setStream(cast(TextIO, guarded)) or self.stream
                self._logging.append((handler, old))


class _Guarded:
    """A stream that wipes *progress*'s bar before anything is written to it."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    def write(self, text: str) -> int:
        self._progress._wipe()
        return self._progress.stream.write(text)

    def flush(self) -> None:
        self._progress.stream.flush()
