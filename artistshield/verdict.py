"""What a check found, in words: the one verdict the app, the command line and the reports share.

A :class:`~artistshield.check.CheckResult` comes down to one of four kinds
(:func:`verdict_kind`): the artist's mark was read, a registered work matched
although the mark was not read, nothing of the artist's was found, or the file
could not be checked.  :func:`named_work` is the one rule for which registered
work a check points to (the work the mark names, else the best registry
match), and :func:`named_match` / :func:`region_shown` say which part of it
the suspect shows.

The words are made here only: :func:`verdict_line` is the one-line verdict
the command line prints and the JSON and the reports carry;
:func:`verdict_title` and :func:`verdict_body` are the same verdict as the
app's card says it, with :func:`frames_sentence` for a clip; the smaller
helpers say a p-value, a registry match's method, a copy's geometry and a
list of frames the way a person reads them.

This module reads results and imports nothing of the jobs at run time, so
:mod:`artistshield.check` can use it to serialise its own results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from artistshield.animation.clip import frames_in_words

if TYPE_CHECKING:
    from artistshield.check import CheckResult, MarkFinding
    from artistshield.registry import Work, WorkMatch
    from artistshield.watermark import Detection

#: The four verdict kinds, and the app's title for each (said of an image; a clip says "clip").
TITLES = {
    "mark": "Your mark is in this image",
    "match": "This matches one of your registered works",
    "none": "No sign of your work",
    "error": "This image could not be checked",
}


def verdict_kind(result: CheckResult) -> str:
    """Which of :data:`TITLES` the check of *result* comes to."""
    if result.error:
        return "error"
    if result.mark is not None:
        return "mark"
    if any(m.is_match for m in result.matches):
        return "match"
    return "none"


def named_work(result: CheckResult) -> str | None:
    """The registered work a check points to: the one its mark names, else its best match."""
    mark = result.mark
    if mark is not None and mark.work_id:
        return mark.work_id
    return next((m.work_id for m in result.matches if m.is_match), None)


def named_match(result: CheckResult) -> WorkMatch | None:
    """The registry's comparison with the work :func:`named_work` names, if it made one.

    It may fall short of a match (``is_match``) when the mark named the work.
    """
    work_id = named_work(result)
    if work_id is None:
        return None
    return next((m for m in result.matches if m.work_id == work_id), None)


def region_shown(match: WorkMatch) -> bool:
    """Whether *match*'s region can be outlined on the work's thumbnail (its first frame).

    The region lies in the key frame that matched; for a clip matched through
    a later key frame it would outline the wrong picture.
    """
    return match.is_match and match.region is not None and not match.key_frame


def verdict_line(result: CheckResult) -> str:
    """The verdict in one line, as the command line prints it: "your mark is in this image…"."""
    if result.error:
        return f"error: {result.error}"
    mark = result.mark
    matched = [m for m in result.matches if m.is_match]
    if mark is not None:
        where = ""
        if mark.work_id:
            when = f", registered {mark.registered}" if mark.registered else ""
            where = f" (work {mark.work_id}{when})"
        thing = "image" if mark.frames_checked is None else "clip"
        line = f"your mark is in this {thing}{where}{_frames_of(mark)}; "
        line += p_value_in_words(mark.detection.p_value, True)
    elif matched:
        line = f"no mark found, but it matches your registered work {matched[0].work_id}"
        if matched[0].work is not None:
            line += f" (registered {matched[0].work.registered})"
    else:
        line = "no mark of yours and no registered work found"
    if result.made_with_ai:
        line += "; made with generative AI according to " + ", ".join(result.made_with_ai)
    if result.names_artist:  # evidence of imitation no mark gives: it leads
        line = f"the prompt that made this image names you (“{result.names_artist[0].quote}”); " + line
    return line


def verdict_title(result: CheckResult, *, clip: bool = False) -> str:
    """The verdict's title, as the app's card shows it; *clip* says "clip" for "image"."""
    title = TITLES[verdict_kind(result)]
    return title.replace("image", "clip") if clip else title


def verdict_body(result: CheckResult, *, work: Work | None = None, region: bool = False) -> str:
    """The verdict explained in a few sentences, as the app's card shows it.

    *work* is the registered work :func:`named_work` names, to call it by its
    title; *region* says that the part of it the suspect shows is outlined.
    """
    named_you = "".join(
        f"The prompt that made this image names you ({hit.source}): “{hit.quote}”. "
        for hit in result.names_artist
    )
    return named_you + _verdict_body(result, work=work, region=region)


def _verdict_body(result: CheckResult, *, work: Work | None, region: bool) -> str:
    kind = verdict_kind(result)
    named = f"“{work.title}” ({work.work_id})" if work is not None else ""
    if kind == "mark" and result.mark is not None:
        body = (
            f"Your invisible mark was found, and it names your work {named}. "
            if named else "Your invisible mark was found. "
        ) + p_value_in_words(result.mark.detection.p_value, True).capitalize() + "."
        return body + frames_sentence(result.mark)
    if kind == "match":
        best = next(m for m in result.matches if m.is_match)
        body = (
            f"Your mark was not found (it may have been removed or destroyed), but the picture "
            f"matches your registered work {named} with {best.similarity:.0%} similarity."
        )
        if region:
            body += " It shows only part of your work: the outlined region."
        return body
    if kind == "error":
        return result.error or ""
    return (
        "Your mark is not in this image and it matches none of your registered works. "
        "If it is your work, it was not marked or registered with this identity."
    )


def frames_sentence(finding: MarkFinding) -> str:
    """For a clip, a sentence on the frames the mark was read in (empty for a still)."""
    if finding.frames_checked is None:
        return ""
    marked = finding.frames_with_mark or ()
    if not marked:
        return (
            f" No single one of the {finding.frames_checked} frames checked carries it strongly "
            "enough alone; together they do."
        )
    if len(marked) == finding.frames_checked:
        return f" It was read in every one of the {len(marked)} frames checked."
    return (
        f" It was read in {len(marked)} of the {finding.frames_checked} frames checked "
        f"(frame{'s' * (len(marked) != 1)} {frames_in_words(marked)})."
    )


def p_value_in_words(p: float, found: bool) -> str:
    """Say what a p-value means for a person who has never seen one."""
    if found:
        if p < 1e-12:
            return "the chance that an unmarked image scores this high is below one in a trillion"
        if p <= 1e-6:
            return "the chance that an unmarked image scores this high is below one in a million"
    if p >= 0.01:
        return "nothing distinguishes this image from an unmarked one"
    return (
        f"a weak trace (chance {p:.1g} for an unmarked image), too weak to call it your mark"
    )


MATCH_METHODS = {
    "pdq": "the whole picture",
    "local": "matching details",
    "structure": "the shapes of a plain crop",
}
"""How a registry match was found, in words (``Match.method``)."""


def method_in_words(method: str | None) -> str:
    """Say how a registry match was found: "matching details"."""
    return MATCH_METHODS.get(method or "", method or "unknown")


def transform_in_words(detection: Detection, *, offset: bool = False) -> list[str]:
    """Say what the engine found was done to the copy: ["scaled to 50%", "mirrored"]...

    With *offset*, a crop offset is mentioned too.
    """
    words = []
    if detection.scale is not None and abs(detection.scale - 1) > 0.01:
        words.append(f"scaled to {detection.scale:.0%}")
    if detection.rotation is not None and abs(detection.rotation) >= 0.05:
        words.append(f"rotated by {detection.rotation:.1f}°")
    if detection.flipped:
        words.append("mirrored")
    if offset and detection.offset is not None and any(detection.offset):
        words.append(f"cropped or shifted (offset {detection.offset})")
    return words


def _frames_of(mark: MarkFinding) -> str:
    """For a clip: ", in frames 1\N{EN DASH}4 and 9 of the 12 checked"; nothing for a still."""
    if mark.frames_with_mark is None:
        return ""
    marked = mark.frames_with_mark
    return (
        f", in frame{'s' * (len(marked) != 1)} {frames_in_words(marked)}"
        f" of the {mark.frames_checked} checked"
    )
