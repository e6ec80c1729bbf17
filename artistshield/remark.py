"""Marking a batch without registering one work twice: the loop behind ``mark`` and the app.

Each file is looked up in the registry (:func:`artistshield.register.find_registered`)
just before it is marked, not once before the batch, so a file that repeats
one marked earlier in the same batch (the same pixels, or the same picture
saved again) is recognised as well as one registered before.  What happens
to a recognised file is the caller's choice, asked per file: skip it, mark
it again as a new version of the work it repeats, or stop the batch there
(the app stops to ask the artist, then carries on with the rest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from artistshield.animation.inputs import gather
from artistshield.mark import MarkOutcome
from artistshield.register import KnownWork, find_registered

if TYPE_CHECKING:
    from artistshield.identity import Identity
    from artistshield.registry import Registry

#: What to do with a file the registry holds already.
Choice = Literal["skip", "again", "stop"]
SKIP: Choice = "skip"
AGAIN: Choice = "again"
STOP: Choice = "stop"


def mark_new(
    files: Iterable[Path], *, registry: Registry, identity: Identity, keys: Sequence[bytes],
    mark: Callable[[list[Path]], Iterable[MarkOutcome]], decide: Callable[[KnownWork], Choice],
    skipped_because: Callable[[KnownWork], str] | None = None,
) -> Iterator[tuple[MarkOutcome, KnownWork | None]]:
    """Mark *files* one by one through *mark*, asking *decide* about each one registered already.

    Yields each outcome with the work the file was found to be (None: a new
    one).  A file *decide* skips yields an outcome with ``skipped`` set
    (*skipped_because* words it); one marked ``again`` is recorded as a
    version of the work it repeats; ``stop`` ends the batch before that file, as
    does a *mark* that gives nothing (cancelled).
    """
    because = skipped_because or KnownWork.in_words
    for item in gather(files):
        if not item.taken:  # as mark_files says it
            if item.empty:
                yield MarkOutcome(source=item.path, error=f"{item.skipped}."), None
            else:
                yield MarkOutcome(source=item.path, skipped=item.skipped), None
            continue
        try:
            known = find_registered(registry, item.path, keys=keys)
        except Exception:  # unreadable: marking it says what is wrong
            known = None
        choice = decide(known) if known is not None else AGAIN
        if choice == STOP:
            return
        if known is not None and choice == SKIP:
            yield MarkOutcome(
                source=item.path, work_id=known.work.work_id, skipped=because(known)
            ), known
            continue
        marked = False
        for outcome in mark([item.path]):
            marked = True
            if known is not None and outcome.work_id is not None:
                registry.add_version(outcome.work_id, known.work.work_id, identity)
            yield outcome, known
        if not marked:  # *mark* gives nothing only when it was cancelled
            return
