"""The one worker class: a QRunnable that runs a core job off the UI thread.

A job is a plain function ``job(report, cancelled) -> result``: it calls
``report(item)`` for each finished item and checks ``cancelled()`` between
items.  Its results come back to the UI thread by signal only; the job never
touches a widget.  Registry jobs run on a pool of one thread so that SQLite
writes are serialised (see STYLE.md).  A job that reports a clip frame by
frame passes its progress through a :class:`Throttle`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

logger = logging.getLogger("artistshield.gui")

Job = Callable[[Callable[[Any], None], Callable[[], bool]], Any]

#: Progress within one file (a clip's frames) reaches the UI at most this often (seconds).
PROGRESS_EVERY = 0.1

_registry_pool: QThreadPool | None = None
#: Workers queued or running: kept alive here until their ``finished`` reaches the UI thread.
_running: set[Worker] = set()


def registry_pool() -> QThreadPool:
    """The single-thread pool every job that touches the registry runs on."""
    global _registry_pool
    if _registry_pool is None:
        _registry_pool = QThreadPool()
        _registry_pool.setMaxThreadCount(1)
        _registry_pool.setObjectName("registry")
    return _registry_pool


def wait_for_all(msecs: int = 30_000) -> bool:
    """Wait for every running job (for shutdown and tests)."""
    done = registry_pool().waitForDone(msecs)
    return QThreadPool.globalInstance().waitForDone(msecs) and done


class WorkerSignals(QObject):
    """Signals of a :class:`Worker`; a QRunnable cannot carry signals itself."""

    progress = Signal(object)  # one item reported by the job
    succeeded = Signal(object)  # the job's return value
    failed = Signal(str, str)  # message for the user, details (traceback)
    finished = Signal()  # always last, after succeeded or failed; also after a cancel


class Worker(QRunnable):
    """Run *job* on a thread pool; cancel with :meth:`cancel`."""

    def __init__(self, job: Job, *, name: str = "job") -> None:
        super().__init__()
        self.job = job
        self.name = name
        self.signals = WorkerSignals()
        self._cancel = threading.Event()
        self.setAutoDelete(False)  # the view keeps a reference while it runs

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        from artistshield.errors import ArtistShieldError

        try:
            result = self.job(self.signals.progress.emit, self._cancel.is_set)
        except ArtistShieldError as exc:
            logger.warning("%s: %s", self.name, exc)
            self.signals.failed.emit(str(exc), traceback.format_exc())
        except Exception as exc:  # report every failure; a worker must not die silently
            logger.exception("%s failed", self.name)
            self.signals.failed.emit(
                f"Something went wrong while running {self.name}: {exc}", traceback.format_exc()
            )
        else:
            self.signals.succeeded.emit(result)
        finally:
            self.signals.finished.emit()

    def start(self, *, registry: bool = False) -> Worker:
        """Queue the job; *registry* jobs run one at a time."""
        _running.add(self)
        self.signals.finished.connect(lambda: _running.discard(self))
        (registry_pool() if registry else QThreadPool.globalInstance()).start(self)
        return self


class Throttle:
    """Say which progress steps to report: the first, the last, and one every *every* seconds.

    A job calls it on its own thread with (done, total) for each frame of a
    clip and reports only when it answers true, so a fast clip does not flood
    the UI thread with signals.
    """

    def __init__(
        self, every: float = PROGRESS_EVERY, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.every = every
        self._clock = clock
        self._last = -math.inf

    def __call__(self, done: int, total: int) -> bool:
        now = self._clock()
        if done in (1, total) or now - self._last >= self.every:
            self._last = now
            return True
        return False
