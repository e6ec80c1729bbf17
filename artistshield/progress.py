"""How far a job has got and how long it has left, in words.

One estimate and one wording for the command line's progress bar
(:mod:`artistshield.cli.progress`) and the app's progress bars: the time
left is the time spent so far, scaled by the share of the work still to do.
Nothing is promised until the job has run :data:`SETTLE` seconds and done
something, as the first moments (start-up, a clip's first frames) say
little about the rest.

A clip's check is two jobs side by side, the mark search over its frames and
the registry matching of a few of them; :class:`ClipCheckProgress` makes them
one share and one line of words, so a bar does not stop at its end while the
matching goes on.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

#: Seconds a job runs before its time left is estimated.
SETTLE = 1.0


class Estimate:
    """The time left of one job, from the share of it done; started when made."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.started = clock()

    @property
    def elapsed(self) -> float:
        return self._clock() - self.started

    def seconds_left(self, share: float) -> float | None:
        """Seconds left when *share* (0..1) of the job is done; None while unknown."""
        elapsed = self.elapsed
        if share <= 0 or elapsed < SETTLE:
            return None
        share = min(share, 1.0)
        return elapsed * (1.0 - share) / share

    def left_in_words(self, share: float) -> str:
        """"about 20 s left", or "" while unknown."""
        return time_left_in_words(self.seconds_left(share))


def time_left_in_words(seconds: float | None) -> str:
    """Say how long is left: "about 5 s left", "about 2 min 30 s left", "about 1 h 5 min left".

    Rounded up, to whole seconds under a minute, to 10 s under 10 minutes, to
    whole minutes beyond; "" when *seconds* is None (not known yet).
    """
    if seconds is None or not math.isfinite(seconds):
        return ""
    if seconds < 0.5:
        return "almost done"
    return f"about {duration_in_words(seconds, rounded=True)} left"


def duration_in_words(seconds: float, *, rounded: bool = False) -> str:
    """Say a duration: "0.4 s", "12 s", "2 min 30 s", "1 h 5 min".

    With *rounded*, as :func:`time_left_in_words` rounds it (up); without,
    tenths of a second under ten seconds.
    """
    if not rounded:
        if seconds < 10:
            return f"{seconds:.1f} s"
        whole = round(seconds) if seconds < 600 else round(seconds / 60) * 60
    elif seconds < 60:
        whole = math.ceil(seconds)
    elif seconds < 600:
        whole = math.ceil(seconds / 10) * 10
    else:
        whole = math.ceil(seconds / 60) * 60
    if whole < 60:
        return f"{whole} s"
    hours, rest = divmod(int(whole), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min {secs} s" if secs else f"{minutes} min"


#: The share of a clip check's work that is the registry matching of its sampled
#: frames, the rest being the mark search: an unmarked 10-second 1080p clip spends
#: about 4 s of CPU time searching its 43 frames and about 2 s matching 8 (of a
#: registry of two works; more works, more time, which the estimate then learns).
MATCHING_SHARE = 0.3


@dataclass(frozen=True)
class CheckStep:
    """How far a clip check has got: its share done (0..1) and what it is doing, in words."""

    share: float
    words: str
    #: The mark search's frame reached and frames in the clip (0: unknown).
    frame: tuple[int, int] = (0, 0)
    #: The registry matching's frames done and frames to compare.
    compared: tuple[int, int] = (0, 0)


class ClipCheckProgress:
    """One progress for a clip check: the mark search, and the registry matching beside it.

    Give :meth:`searched` as :func:`artistshield.check.check_file`'s
    ``progress`` and :meth:`compared` as its ``compared``; *tell* gets a
    :class:`CheckStep` each time either moves (from either thread, one call
    at a time).  The search is told per key, from its first frame again:
    *keys* is how many it searches, so the share never goes back.  Without
    *matching* (no registry) the search is the whole job.
    """

    def __init__(
        self, tell: Callable[[CheckStep], None], *, keys: int = 1, matching: bool = True
    ) -> None:
        self._tell = tell
        self._keys = max(keys, 1)
        self._matching = matching
        self._lock = threading.Lock()
        self._pass = 0  # keys searched to the end
        self._frame = (0, 0)
        self._compared = (0, 0)
        self._share = 0.0

    def searched(self, done: int, total: int) -> None:
        """The mark search reached frame *done* of *total* (0: not known)."""
        with self._lock:
            if done < self._frame[0]:  # the next key's search starts again
                self._pass = min(self._pass + 1, self._keys - 1)
            self._frame = (done, total)
            self._moved()

    def compared(self, done: int, total: int) -> None:
        """The registry matching is through *done* of the *total* frames it compares."""
        with self._lock:
            self._compared = (done, total)
            self._moved()

    @property
    def step(self) -> CheckStep:
        with self._lock:
            return self._step()

    def _search_share(self) -> float:
        done, total = self._frame
        part = min(done / total, 1.0) if total else 0.0
        return min((self._pass + part) / self._keys, 1.0)

    def _step(self) -> CheckStep:
        search = self._search_share()
        done, total = self._compared
        matched = min(done / total, 1.0) if total else 0.0
        if self._matching:
            share = (1.0 - MATCHING_SHARE) * search + MATCHING_SHARE * matched
        else:
            share = search
        self._share = max(self._share, share)  # the two parts never take it back
        frame, of = self._frame
        if self._matching and search >= 1.0 and not total:
            words = "comparing frames with your registry"
        elif self._matching and search >= 1.0 and done < total:
            words = f"comparing frame {done + 1} of {total} with your registry"
        elif frame:
            words = f"frame {frame} of {of}" if of else f"frame {frame}"
        else:
            words = "starting"
        return CheckStep(self._share, words, self._frame, self._compared)

    def _moved(self) -> None:
        self._tell(self._step())
