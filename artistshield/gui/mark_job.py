"""The Mark view's jobs: list the files dropped, and mark a batch, off the UI thread.

:func:`listing_job` expands folders and reads each file's thumbnail (a clip's
first frame and frame count); :func:`marking_job` first finds the files the
registry holds already (:func:`artistshield.register.find_registered`) and
stops there if there are any, so the view can ask before marking them again;
then it marks, registers and platform-tests the batch through
:func:`artistshield.remark.mark_new`, the loop the command line runs, which
looks each file up again just before marking it, so a file that repeats one
marked earlier in the batch is caught too.  Such a file gets the choice made
for the batch, or stops the job so that the view can ask.  The job reports
each clip's frames as a :class:`FrameProgress`, each file recognised as a
:class:`Recognised` and each file done.  Neither job touches a widget.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QImage

from artistshield.gui import images
from artistshield.gui.job_progress import Step
from artistshield.gui.workers import Job, Throttle

if TYPE_CHECKING:
    from collections.abc import Callable

    from artistshield.gui.mark_options import Chosen
    from artistshield.identity import Identity
    from artistshield.mark import MarkOutcome
    from artistshield.platforms import Survival
    from artistshield.register import KnownWork
    from artistshield.registry import Registry
    from artistshield.remark import Choice


@dataclass(frozen=True)
class FrameProgress:
    """A clip being marked has reached frame *done* of *total* (0: unknown)."""

    source: Path
    done: int
    total: int


def listing_job(paths: list[Path]) -> Job:
    """The job reporting ``(path, thumbnail, frames)`` for each file in *paths* and their folders,
    then a :class:`Step` counting the files read.

    *frames* is a clip's frame count (0 when unreadable), None for a still.
    """

    def job(report: Callable[[Any], None], cancelled: Callable[[], bool]) -> None:
        from artistshield.animation.clip import is_clip  # the engine loads in the worker
        from artistshield.mark import expand_inputs

        found = expand_inputs(paths)
        for done, path in enumerate(found, 1):
            if cancelled():
                return
            if is_clip(path):
                report((path, *_clip_thumbnail(path)))
            else:
                report((path, images.thumbnail(str(path), 64), None))
            report(Step(done, len(found)))

    return job


@dataclass(frozen=True)
class LookedUp:
    """A file of the batch was looked up in the registry: *known* if registered already."""

    source: Path
    known: KnownWork | None


@dataclass(frozen=True)
class Recognised:
    """While marking, *source* was found registered already (perhaps earlier in the batch),
    and *choice* (``skip`` or ``again``) was made for it."""

    source: Path
    known: KnownWork
    choice: Choice


def marking_job(
    paths: list[Path], *, out: Path, identity: Identity, chosen: Chosen,
    versions: dict[Path, str] | None = None, look_up: bool = True, choice: Choice | None = None,
) -> Job:
    """The job marking *paths* into *out*; it reports ``(MarkOutcome, survival)`` per file.

    *survival* is how the mark fared on the platform chosen (None: none chosen).
    With *look_up*, each file is first looked up in the registry (reported as
    :class:`LookedUp`); if any is registered already, nothing is marked and the
    job returns them, ``{path: KnownWork}``, for the artist to decide.  A path in
    *versions* is marked again as a new version.  While marking, a file found
    registered (one that repeats a file marked earlier in the batch) gets
    *choice* (``skip`` or ``again``), reported as :class:`Recognised`; with no
    *choice* made yet, the job stops before it and returns it the same way.
    """
    versions = dict(versions or {})

    def job(report: Callable[[Any], None], cancelled: Callable[[], bool]) -> dict[Path, KnownWork]:
        from artistshield import mark
        from artistshield.provenance import signing
        from artistshield.provenance.consent import from_settings
        from artistshield.registry import Registry
        from artistshield.remark import AGAIN, STOP, mark_new
        from artistshield.union.membership import checking_keys, marking_key

        due = Throttle()

        def frame_progress(source: Path, done: int, total: int) -> None:
            if due(done, total):
                report(FrameProgress(source, done, total))

        key, member = marking_key(identity)
        consent = from_settings(identity.name)
        stopped: dict[Path, KnownWork] = {}

        def decide(known: KnownWork) -> Choice:
            made = AGAIN if known.source in versions else choice
            if made is None or made == STOP:
                stopped[known.source] = known
                return STOP
            report(Recognised(known.source, known, made))
            return made

        with Registry.open() as registry:
            if look_up and registry.has_works():
                known = _look_up(registry, paths, identity, report, cancelled)
                if known or cancelled():
                    return known
            marking = partial(
                mark.mark_files, out_dir=out, key=key, strength=chosen.strength,
                format=chosen.format, quality=chosen.quality, registry=registry, identity=identity,
                cancelled=cancelled, frame_progress=frame_progress, member=member,
                consent=consent, signer=signing.from_settings(identity, consent),
            )
            keys = list(checking_keys(identity, "own").values())
            for outcome, _ in mark_new(
                paths, registry=registry, identity=identity, keys=keys, mark=marking,
                decide=decide,
            ):
                if outcome.skipped is not None:
                    continue  # reported as Recognised
                survival = None
                if chosen.platform and outcome.ok and outcome.output is not None:
                    survival = _survival(outcome, key, chosen)
                report((outcome, survival))
        return stopped

    return job


def _look_up(
    registry: Registry, paths: list[Path], identity: Identity,
    report: Callable[[Any], None], cancelled: Callable[[], bool],
) -> dict[Path, KnownWork]:
    """The files of *paths* registered already; a file that cannot be read counts as new
    (marking it says what is wrong)."""
    from artistshield.register import find_registered
    from artistshield.union.membership import checking_keys

    keys = list(checking_keys(identity, "own").values())
    known: dict[Path, KnownWork] = {}
    for path in paths:
        if cancelled():
            break
        found: KnownWork | None
        try:
            found = find_registered(registry, path, keys=keys)
        except Exception:
            found = None
        if found is not None:
            known[path] = found
        report(LookedUp(path, found))
    return known


def _clip_thumbnail(path: Path) -> tuple[QImage, int]:
    """A clip's first frame as a 64-pixel thumbnail and its frame count (0 if unreadable)."""
    from artistshield.animation.clip import open_clip

    reader = open_clip(path)
    try:
        count = reader.timing().frame_count
        return images.to_qimage(images.fit(reader.frame(0), 64)), count
    except Exception:  # the row still appears; marking it will say what is wrong
        return QImage(), 0
    finally:
        reader.close()


def _survival(outcome: MarkOutcome, key: bytes, chosen: Chosen) -> Survival:
    """Test *outcome*'s marked copy on the chosen platform (frames across a clip)."""
    from artistshield import imageio, platforms

    assert outcome.output is not None and chosen.platform is not None
    payload, strength = outcome.payload or 0, chosen.strength
    if outcome.frames:
        return platforms.clip_survival(
            outcome.source, outcome.output, key, chosen.platform, payload=payload, strength=strength
        )
    return platforms.still_survival(
        imageio.load(outcome.source).rgb8(), imageio.load(outcome.output).rgb8(), key,
        chosen.platform, payload=payload, strength=strength,
    )
