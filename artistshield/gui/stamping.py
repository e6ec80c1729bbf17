"""Stamping in the background: registered works get their trusted time when the app is online.

When the settings name a time-stamp authority and "stamp when online" is
on, :class:`StampingJob` looks for works no stamp covers yet when the
identity is unlocked, after each marking batch, and every few minutes.  It
never holds anything up: the registry is read and written on the registry
thread (:func:`artistshield.registry.timestamp.prepare` and
:func:`~artistshield.registry.timestamp.record`), the authority is asked on
another (:func:`~artistshield.registry.timestamp.ask`), and an authority
that cannot be reached is simply asked again later.  Nothing is sent
anywhere unless the artist typed the authority's address.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from artistshield.gui.workers import Worker

if TYPE_CHECKING:
    from artistshield.gui.session import Session
    from artistshield.identity import Identity
    from artistshield.registry.timestamp import Stamp, StampRequest

logger = logging.getLogger("artistshield.gui")

#: How often to look for works waiting for a stamp (ms), and the network's patience (s).
EVERY_MS = 10 * 60 * 1000
TIMEOUT = 20.0


@dataclass(frozen=True)
class StampState:
    """Which registered works a valid stamp covers, and which wait for one."""

    stamped: dict[str, Stamp]
    waiting: tuple[str, ...]

    def in_words(self) -> str:
        if not self.stamped and not self.waiting:
            return "No works registered yet."
        text = f"{len(self.stamped)} of {len(self.stamped) + len(self.waiting)} works stamped"
        if self.stamped:
            latest = max(self.stamped.values(), key=lambda s: s.time)
            text += f" (latest: registered no later than {latest.date}, by {latest.tsa})"
        if self.waiting:
            text += f"; {len(self.waiting)} waiting for a stamp"
        return text + "."


def stamp_state() -> StampState:
    """The stamps of the registry in the data folder (read-only; run it off the UI thread)."""
    from artistshield.paths import data_dir
    from artistshield.registry import Registry, timestamp
    from artistshield.registry.store import FILE_NAME

    if not (data_dir() / FILE_NAME).exists():
        return StampState({}, ())
    with Registry.open() as registry:
        works = timestamp.stamped_works(registry.log())
    stamped = {work: stamp for work, stamp in works.items() if stamp is not None}
    return StampState(stamped, tuple(w for w, s in works.items() if s is None))


def _settings() -> tuple[str | None, list[Any]] | None:
    """The authority to ask and its extra certificates, or None when stamping is off."""
    from artistshield.errors import ArtistShieldError
    from artistshield.gui.session import settings
    from artistshield.gui.settings_dialog import stamp_when_online
    from artistshield.registry import timestamp

    if not stamp_when_online(settings()):
        return None
    try:
        url, certs = timestamp.configured()
        return url, timestamp.load_certificates(certs) if certs is not None else []
    except ArtistShieldError as exc:
        logger.warning("Not stamping: %s", exc)
        return None


class StampingJob(QObject):
    """Stamps works that wait for a trusted time, in the background, when online."""

    stamped = Signal(object)  # the new Stamp
    state_changed = Signal(object)  # a StampState
    skipped = Signal(str)  # why this round took no stamp (unreachable, nothing waiting...)
    started = Signal(object, str)  # a Worker of a round, and what it does in words

    def __init__(self, session: Session, parent: QObject | None = None, *, every_ms: int = EVERY_MS) -> None:
        super().__init__(parent)
        self.session = session
        self.state: StampState | None = None
        self._busy = False
        self._again = False
        self.timer = QTimer(self)
        self.timer.setInterval(every_ms)
        self.timer.timeout.connect(self.try_now)
        session.identity_changed.connect(self.try_now)

    def start(self) -> None:
        """Look now, then every few minutes."""
        self.timer.start()
        self.try_now()

    def stop(self) -> None:
        self.timer.stop()

    @property
    def busy(self) -> bool:
        return self._busy

    def try_now(self) -> None:
        """Stamp what waits, if stamping is on, the identity unlocked and the TSA answers."""
        if self._busy:
            self._again = True  # something changed while a round ran: look once more after
            return
        identity = self.session.identity
        chosen = _settings()
        if identity is None or chosen is None or not chosen[0]:
            self.skipped.emit("stamping is off, no authority is set, or the identity is locked")
            return
        url, certificates = chosen
        assert url is not None
        self._busy = True
        self._run(lambda report, cancelled: _prepare(url), self._ask, registry=True,
                  after=(identity, certificates), doing="Looking for works to stamp…")

    def _run(self, job: Any, then: Any, *, registry: bool, after: Any, doing: str) -> None:
        worker = Worker(job, name="stamping your registry")
        self.started.emit(worker, doing)
        worker.signals.succeeded.connect(lambda result: then(result, after))
        worker.signals.failed.connect(lambda message, details: self._end(message))
        worker.start(registry=registry)

    def _ask(self, request: StampRequest | None, after: Any) -> None:
        if request is None:
            self._end("every registered work is stamped already")
            return
        from artistshield.registry import timestamp

        self._run(
            lambda report, cancelled: timestamp.ask(request, TIMEOUT),
            lambda reply, after: self._record(request, reply, after),
            registry=False, after=after, doing="Asking the time-stamp authority…",
        )

    def _record(self, request: StampRequest, reply: bytes, after: Any) -> None:
        identity, certificates = after
        self._run(
            lambda report, cancelled: _record(identity, request, reply, certificates),
            self._recorded, registry=True, after=None, doing="Recording the stamp…",
        )

    def _recorded(self, found: tuple[Stamp, StampState], after: Any) -> None:
        stamp, state = found
        self.state = state
        self.stamped.emit(stamp)
        self.state_changed.emit(state)
        self._end(None)

    def _end(self, why: str | None) -> None:
        self._busy = False
        if why is not None:
            logger.info("No stamp taken: %s", why)
            self.skipped.emit(why)
        if self._again:
            self._again = False
            self.try_now()

    def refresh_state(self) -> None:
        """Read which works are stamped (off the UI thread); :attr:`state_changed` tells."""
        worker = Worker(lambda report, cancelled: stamp_state(), name="reading your stamps")
        worker.signals.succeeded.connect(self._state_read)
        worker.start(registry=True)

    def _state_read(self, state: StampState) -> None:
        self.state = state
        self.state_changed.emit(state)


def _prepare(url: str) -> StampRequest | None:
    from artistshield.paths import data_dir
    from artistshield.registry import Registry, timestamp
    from artistshield.registry.store import FILE_NAME

    if not (data_dir() / FILE_NAME).exists():
        return None
    with Registry.open() as registry:
        return timestamp.prepare(registry, tsa_url=url)


def _record(
    identity: Identity, request: StampRequest, reply: bytes, certificates: list[Any]
) -> tuple[Stamp, StampState]:
    from artistshield.registry import Registry, timestamp

    with Registry.open() as registry:
        stamp = timestamp.record(registry, identity, request, reply, certificates)
    return stamp, stamp_state()
