"""The Check view's job: check one suspect off the UI thread, with what the view shows of it.

The job runs :func:`artistshield.check.check_file` and gathers, on the same
worker thread, the pictures the view puts side by side: the suspect (or, for
a clip, the frames the check read), and the registered work the check names
(:func:`artistshield.verdict.named_work`) with the part of it the suspect
shows.  It never touches a widget; the view gets a :class:`Checked`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QImage

from artistshield.gui import images
from artistshield.gui.workers import Job, Throttle

if TYPE_CHECKING:
    from collections.abc import Callable

    from artistshield.check import CheckResult
    from artistshield.registry import Work

#: What the job reports first when the suspect is a clip, so the view shows it while it is checked.
CLIP = "clip"


@dataclass(frozen=True)
class Checked:
    """A finished check, with the pictures to show beside its verdict."""

    result: CheckResult
    clip: bool = False
    suspect: QImage | None = None  # a still, fitted for display
    checked: set[int] | None = None  # a clip's frames the mark was looked for in
    work: Work | None = None  # the registered work the check names
    thumb: QImage | None = None  # that work's thumbnail
    region: Any = None  # the part of the work the suspect shows, to outline


def check_job(
    path: Path, *, keys: dict[str, bytes], names: list[str], image: QImage | None = None
) -> Job:
    """The job checking *path*; a pasted *image* is saved to *path* first.

    It reports :data:`CLIP` for a clip, then now and then a
    :class:`artistshield.progress.CheckStep` (the share of the whole check
    done, the mark search's frames and the registry matching's), and
    returns a :class:`Checked`, or ``None`` when it was cancelled.
    """

    def job(report: Callable[[Any], None], cancelled: Callable[[], bool]) -> Checked | None:
        from artistshield import check
        from artistshield.animation import Cancelled
        from artistshield.registry import Registry
        from artistshield.verdict import named_match, named_work, region_shown

        if image is not None:
            from artistshield.fileio import make_folder, publish, staged

            make_folder(path.parent, private=True)
            with staged(path, private=True) as part:  # complete before it has its name
                # PySide6's stub types the format as bytes; at run time it takes a str
                if not image.save(str(part), "PNG"):  # type: ignore[call-overload]
                    raise OSError(f"Cannot save the pasted image to {path}")
                publish(part, path)
        from artistshield.progress import CheckStep, ClipCheckProgress

        due = Throttle()

        told = [(0, 0)]  # the search's frame last seen

        def tell(step: CheckStep) -> None:
            # now and then, and the first and last frame of the search and of the matching
            moved, told[0] = step.frame != told[0], step.frame
            if due(*(step.frame if moved else step.compared)):
                report(step)

        from artistshield.animation.clip import is_clip  # engine modules load in the worker

        clip = image is None and is_clip(path)
        if clip:
            report(CLIP)
        with Registry.open() as registry:
            job = ClipCheckProgress(tell, keys=len(keys))
            try:
                result = check.check_file(
                    path, keys=keys, names=names, registry=registry, progress=job.searched,
                    compared=job.compared, cancelled=cancelled,
                )
            except Cancelled:
                return None
            work_id = named_work(result)
            match = named_match(result)
            thumb = QImage.fromData(registry.thumbnail(work_id)) if work_id else None
            work = registry.work(work_id) if work_id else None
        region = match.region if match is not None and region_shown(match) else None
        if clip:
            read = [m.frames_checked for m in result.marks if m.frames_checked is not None]
            checked = None if result.error else _checked_frames(path, max(read, default=None))
            return Checked(result, clip=True, checked=checked, work=work, thumb=thumb, region=region)
        return Checked(result, suspect=_suspect(path), work=work, thumb=thumb, region=region)

    return job


def _suspect(path: Path) -> QImage | None:
    """The still at *path*, fitted for display; ``None`` when it cannot be read."""
    from artistshield import imageio

    try:
        return images.to_qimage(images.fit(imageio.load(path).rgb8(), 1200))
    except Exception:  # the verdict already says why it cannot be read
        return None


def _checked_frames(path: Path, read: int | None = None) -> set[int]:
    """The frames of a clip that the check read: it samples long clips evenly, and stops
    once the mark is certain (after *read* frames, the most any key read)."""
    from artistshield.animation.clip import open_clip
    from artistshield.animation.detect import checked_frames

    reader = open_clip(path)
    try:
        count = reader.timing().frame_count
    finally:
        reader.close()
    return set(list(checked_frames(count))[:read])
