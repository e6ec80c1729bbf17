"""How far a job has got and how long it has left, in words.

One estimate and one wording for the command line's progress bar
(:mod:`artistshield.cli.progress`) and the app's progress bars: the time
left is the time spent so far, scaled by the share of the work still to do.
Nothing is promised until the job has run :data:`SETTLE` seconds and done
something, as the first moments (start-up, a clip's first frames) say
little about the rest.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

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
