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
app's card says it, with :func:`frames_sentence` for a clip, and
:func:`ai_findings` the card's full sentences on what says a generative model
made the image; :func:`consent_in_words` what the suspect says about AI
training (the app's consent panel, the command line and the reports); the
smaller helpers say a p-value, a registry match's method,
a copy's geometry (:func:`geometry_in_words`: "cropped to the middle 80%",
with the numbers behind it in :func:`geometry_numbers`) and a list of frames
the way a person reads them.

This module reads results and imports nothing of the jobs at run time, so
:mod:`artistshield.check` can use it to serialise its own results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from artistshield.provenance.credentials import GENERATIVE_SOURCE_TYPES
from artistshield.provenance.metadata import looks_like_settings

if TYPE_CHECKING:
    from artistshield.check import CheckResult, FramesCompared, MarkFinding
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
        line += p_value_in_words(mark.detection.p_value, True, thing=thing)
    elif matched:
        line = f"no mark found, but it matches your registered work {matched[0].work_id}"
        if matched[0].work is not None:
            line += f" (registered {matched[0].work.registered})"
    elif result.works_compared:
        count = result.works_compared
        line = (
            f"no mark of yours found, and none of your {count} registered "
            f"work{'s' * (count != 1)} matches"
        )
        near = max(result.matches, key=lambda m: m.similarity, default=None)
        if near is not None and near.similarity >= 0.05:
            line += f" (the closest, {near.work_id}, is {near.similarity:.0%} similar)"
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
    geometry = copy_sentence(result, work=work)
    if kind == "mark" and result.mark is not None:
        body = (
            f"Your invisible mark was found, and it names your work {named}. "
            if named else "Your invisible mark was found. "
        ) + p_value_in_words(
            result.mark.detection.p_value, True, thing=thing_checked(result)
        ).capitalize() + "."
        return body + geometry + frames_sentence(result.mark)
    if kind == "match":
        best = next(m for m in result.matches if m.is_match)
        body = _unread_mark(best, work, named)
        if region and (best.region is None or crop_in_words(best.region) is not None):
            body += " It shows only part of your work: the outlined region."
        return body + geometry
    if kind == "error":
        return result.error or ""
    return what_was_compared(result)


def what_was_compared(result: CheckResult) -> str:
    """For a check that found nothing of the artist's: what it compared, and what that means.

    It says only what is true: the keys the mark was searched for with, how
    many registered works the picture was compared with and how close the
    nearest came (and when that work was registered without a mark, that
    only its fingerprint could find a copy).
    """
    thing = thing_checked(result)
    said = f"Your mark is not in this {thing} and it matches none of your registered works."
    keys = [m.key_label for m in result.marks]
    if keys:
        said += f" The mark was searched for with {_listed(keys)}."
    if result.works_compared is None:
        return said + " No registry was used, so it was compared with none of your works."
    if result.works_compared == 0:
        return said + " Your registry holds no works yet, so there was nothing to compare it with."
    count = result.works_compared
    said += (
        f" It was compared with {'the fingerprint of your one registered work' if count == 1 else f'the fingerprints of your {count} registered works'}"
    )
    near = max(result.matches, key=lambda m: m.similarity, default=None)
    if near is None or near.similarity < 0.05:
        said += "; none came close."
    else:
        title = f"“{near.work.title}” ({near.work_id})" if near.work is not None else near.work_id
        said += (
            f"; the closest, {title}, is {near.similarity:.0%} similar, short of the 50% "
            "a match needs."
        )
        if near.work is not None and not near.work.marked:
            said += (
                " That work was registered without a mark, so only its fingerprint can find "
                "a copy of it."
            )
    return said + (
        f" If this {thing} is your work, it was changed too much to be recognised, or it is "
        "not in this identity's registry."
    )


def thing_checked(result: CheckResult) -> str:
    """What was checked, in the words every verdict and report uses: "clip" or "image"."""
    clip = any(m.frames_checked is not None for m in result.marks)
    return "clip" if clip or result.frames_compared is not None or result.match_frames else "image"


def _listed(keys: list[str]) -> str:
    named = [k if k.startswith("your") else f"the key {k}" for k in dict.fromkeys(keys)]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def _unread_mark(best: WorkMatch, work: Work | None, named: str) -> str:
    """A matched copy with no mark: say so truly.

    A work registered without marking never had a mark, so "not found" would
    wrongly suggest that someone removed it.
    """
    matched = (
        f"matches your registered work {named or best.work_id} with {best.similarity:.0%} "
        f"similarity, comparing what it shows ({method_in_words(best.method)})."
    )
    if work is not None and not work.marked:
        return (
            "This work was registered without marking, so there is no mark to look for; "
            "the picture " + matched
        )
    return "Your mark was not found, but the picture " + matched


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


def frames_compared_in_words(frames: FramesCompared) -> str:
    """How many of a suspect clip's sampled frames were compared with the registry, in words."""
    said = (
        f"The registry compared {frames.compared} of the {frames.sampled} frames sampled "
        "from the suspect clip"
    )
    if frames.stopped_early:
        return said + (
            "; it stopped there because the mark names a work those frames already match, "
            "so the rest could only confirm it."
        )
    if frames.compared < frames.sampled:
        return said + "; the others were too like a frame compared to find anything new."
    return said + "."


def p_value_in_words(p: float, found: bool, *, thing: str = "image") -> str:
    """Say what a p-value means for a person who has never seen one.

    *thing* is what was checked, "image" or "clip" (:func:`thing_checked`).
    """
    if found:
        if p < 1e-12:
            return f"the chance that an unmarked {thing} scores this high is below one in a trillion"
        if p <= 1e-6:
            return f"the chance that an unmarked {thing} scores this high is below one in a million"
    if p >= 0.01:
        return f"nothing distinguishes this {thing} from an unmarked one"
    return (
        f"a weak trace (chance {p:.1g} for an unmarked {thing}), too weak to call it your mark"
    )


MATCH_METHODS = {
    "pdq": "the whole picture",
    "local": "matching details",
    "structure": "the shapes of a plain crop",
    "shading": "the shading of a picture with no drawn detail",
}
"""How a registry match was found, in words (``Match.method``)."""


def method_in_words(method: str | None) -> str:
    """Say how a registry match was found: "matching details"."""
    return MATCH_METHODS.get(method or "", method or "unknown")


#: Sides within this fraction of the original's edge count as not cropped; sizes this close, as equal.
EDGE = 0.03


def transform_in_words(detection: Detection, *, offset: bool = False) -> list[str]:
    """Say what the mark shows was done to the copy: ["scaled to 50% of the original size", "mirrored"].

    *offset* is accepted for older callers and ignored: the mark's tile offset
    repeats, so it never says where a copy was cropped (see :func:`geometry_in_words`).
    """
    return geometry_in_words(detection)


def geometry_in_words(
    detection: Detection | None = None,
    *,
    region: Any = None,
    work_size: tuple[int, int] | None = None,
    suspect_size: tuple[int, int] | None = None,
) -> list[str]:
    """Say what was done to the copy, in words: ["cropped to the middle 80%", "scaled to 67% ..."].

    *detection* is the mark's reading (its scale, rotation and mirroring);
    *region* the part of the work the registry matched (``x0, y0, x1, y1``
    as fractions of its sides), which places a crop.  Without a region, the
    sizes (*work_size* and *suspect_size*, width and height) and the mark's
    scale still tell how much of the work a crop kept, though not where;
    without the mark, the region and the sizes give the scale.  The mark's
    tile offset says nothing of a crop (the tile repeats): it stays in
    :func:`geometry_numbers`.
    """
    found = detection is not None and detection.found
    scale = detection.scale if found and detection is not None else None
    words = []
    if region is not None:
        crop = crop_in_words(region)
        if crop:
            words.append(crop)
        if scale is None and work_size and suspect_size:
            x0, _, x1, _ = (float(v) for v in region)
            if x1 > x0:
                scale = suspect_size[0] / ((x1 - x0) * work_size[0])
    elif scale and work_size and suspect_size:
        kept = (suspect_size[0] / scale / work_size[0], suspect_size[1] / scale / work_size[1])
        if min(kept) < 1 - EDGE:
            words.append(_crop_size(min(kept[0], 1.0), min(kept[1], 1.0)))
    if scale is not None and abs(scale - 1) > 0.01:
        words.append(f"scaled to {scale:.0%} of the original size")
    if found and detection is not None:
        if detection.rotation is not None and abs(detection.rotation) >= 0.05:
            words.append(f"rotated by {abs(detection.rotation):.{0 if abs(detection.rotation) >= 5 else 1}f}°")
        if detection.flipped:
            words.append("mirrored")
    return words


def crop_in_words(region: Any) -> str | None:
    """Say which part of the work a copy showing *region* kept: "cropped to the middle 80%"."""
    x0, y0, x1, y1 = (float(v) for v in region)
    w, h = x1 - x0, y1 - y0
    cut_x, cut_y = w < 1 - EDGE, h < 1 - EDGE
    if not (cut_x or cut_y):
        return None
    across = _side(x0, 1 - x1, ("left", "middle", "right"))
    down = _side(y0, 1 - y1, ("top", "middle", "bottom"))
    if not cut_y:
        return f"cropped to the {across} {w:.0%} of its width"
    if not cut_x:
        return f"cropped to the {down} {h:.0%} of its height"
    where = "-".join(p for p in (down, across) if p != "middle") or "middle"
    if abs(w - h) < EDGE:
        return f"cropped to the {where} {w:.0%}"
    return f"cropped to the {where} part, {w:.0%} of the width and {h:.0%} of the height"


def _side(before: float, after: float, words: tuple[str, str, str]) -> str:
    """Which side a crop kept along one axis, from the margins cut before and after it."""
    if abs(before - after) < EDGE:
        return words[1]
    return words[0] if before < after else words[2]


def _crop_size(w: float, h: float) -> str:
    if abs(w - h) < EDGE:
        return f"cropped to {w:.0%} of the original's width and height"
    return f"cropped to {w:.0%} of the original's width and {h:.0%} of its height"


def geometry_numbers(detection: Detection | None = None, *, region: Any = None) -> list[str]:
    """The numbers behind :func:`geometry_in_words`, for the technical details."""
    numbers = []
    if detection is not None and detection.found:
        if detection.scale is not None:
            numbers.append(f"scale {detection.scale:.3f}")
        if detection.rotation is not None:
            numbers.append(f"rotation {detection.rotation:.2f}°")
        if detection.flipped is not None:
            numbers.append(f"mirrored {'yes' if detection.flipped else 'no'}")
        if detection.offset is not None:
            numbers.append(f"tile offset {tuple(detection.offset)}")
    if region is not None:
        x0, y0, x1, y1 = (float(v) for v in region)
        numbers.append(f"region x {x0:.3f}\N{EN DASH}{x1:.3f}, y {y0:.3f}\N{EN DASH}{y1:.3f} of the work")
    return numbers


def copy_geometry(result: CheckResult, *, work: Work | None = None) -> list[str]:
    """:func:`geometry_in_words` for the copy a check found: its mark, and its match's region."""
    mark = result.mark
    match = named_match(result)
    region = match.region if match is not None and region_shown(match) else None
    if work is None and match is not None:
        work = match.work
    work_size = (work.width, work.height) if work is not None else None
    return geometry_in_words(
        mark.detection if mark is not None else None,
        region=region, work_size=work_size, suspect_size=result.size,
    )


def copy_sentence(result: CheckResult, *, work: Work | None = None) -> str:
    """" Compared with your original, the copy was cropped to the middle 80%." (or nothing)."""
    words = copy_geometry(result, work=work)
    if not words:
        return ""
    said = ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]
    return f" Compared with your original, the copy was {said}."


def ai_findings(result: CheckResult) -> list[str]:
    """What says a generative model made the image, in full sentences, for the verdict card.

    Stable Diffusion's public marks, Content Credentials that declare an AI
    source, and the generation settings a generator left in the metadata
    (quoted whole).  The artist's name in those settings is said first by
    :func:`verdict_body`.
    """
    said: list[str] = []
    sd = result.stable_diffusion
    if sd is not None and sd.found:
        said += sd.findings()
    c2pa = result.c2pa
    if c2pa is not None and c2pa.generative_ai:
        by = f" by {c2pa.generator}" if c2pa.generator else ""
        said.append(
            f"Its Content Credentials declare it was made{by} with generative AI "
            f"({', '.join(c2pa.source_types)}); signature {c2pa.signature}."
        )
    meta = result.metadata
    if meta is not None:
        for value, where in _fields(meta, "digital_source_type"):
            short = value.rsplit("/", 1)[-1]
            if short in GENERATIVE_SOURCE_TYPES:
                said.append(f"Its {where} metadata says it was made with generative AI ({short}).")
        settings = _fields(meta, "generation_parameters") + [
            (value, where)
            for value, where in _fields(meta, "user_comment") + _fields(meta, "description")
            if looks_like_settings(value)
        ]
        for value, where in settings:
            said.append(
                f"Its metadata ({where}) holds the settings an AI image generator made it "
                f"with: “{value}”"
            )
    return said


def consent_in_words(result: CheckResult) -> list[str]:
    """What *result*'s suspect says about AI training, plain sentences, most important first.

    Its own signals (IPTC data mining, training and mining entries in its
    Content Credentials), each with where it was found and whether a valid
    signature covers it; and, when the mark names a registered work whose
    copy stated consent but this one states none, what the original said.
    """
    from artistshield.provenance import signals

    if result.c2pa is None and result.metadata is None:
        return ["Not read: this check did not look at the file's metadata or credentials."]
    found = signals.gather(result.c2pa, result.metadata)
    lines: list[str] = []
    recorded = result.recorded_consent
    if result.credentials_stripped and recorded is not None:
        lines.append(
            f"This copy's credentials were removed; the original said: {recorded.statement} "
            f"(recorded for work {recorded.work_id} in your registry"
            + (", with its signed Content Credentials)." if recorded.manifest else ").")
        )
    if not found.signals:
        if not lines:
            lines.append("This copy says nothing about AI training or data mining.")
        return lines
    lines.append(
        "This copy says: not for AI training." if found.refuses_training
        else "This copy does not refuse AI training."
    )
    for signal in found.signals:
        about = signal.to_json()
        name = "IPTC data mining" if signal.kind == "data_mining" else signal.kind
        how = (
            "covered by a valid signature" if signal.signed
            else "not signed: anyone could have written or removed it"
        )
        lines.append(f"{name} ({signal.source}): {about['meaning']}; {how}.")
    if any(s.signed for s in found.signals):
        lines.append(f"Content Credentials signature: {found.signature}.")
    if recorded is not None and not result.credentials_stripped:
        lines.append(f"Your registry recorded for work {recorded.work_id}: {recorded.statement}.")
    return lines


def says_about_consent(result: CheckResult) -> bool:
    """Whether the suspect, or the registry for the work its mark names, says anything on consent."""
    if result.c2pa is None and result.metadata is None:
        return False
    from artistshield.provenance import signals

    return result.credentials_stripped or bool(signals.gather(result.c2pa, result.metadata).signals)


def _fields(meta: Any, name: str) -> list[tuple[str, str]]:
    return list(dict.fromkeys((value, where) for field, value, where in meta.fields if field == name))


def _frames_of(mark: MarkFinding) -> str:
    """For a clip: ", in frames 1\N{EN DASH}4 and 9 (5 of the 12 frames checked)"; nothing
    for a still.  The frames are named by their number in the clip."""
    if mark.frames_with_mark is None:
        return ""
    marked = mark.frames_with_mark
    checked = mark.frames_checked or len(marked)
    share = (
        "the one frame checked" if checked == 1
        else f"every one of the {checked} frames checked" if len(marked) >= checked
        else f"{len(marked)} of the {checked} frames checked"
    )
    return f", in frame{'s' * (len(marked) != 1)} {frames_in_words(marked)} ({share})"


def frames_in_words(indexes: list[int] | tuple[int, ...], *, most: int = 12) -> str:
    """:func:`artistshield.animation.clip.frames_in_words`, for the views."""
    # Imported here: the clip reader loads NumPy and PyAV, which the app's
    # window does not need before the first check.
    from artistshield.animation.clip import frames_in_words

    return frames_in_words(indexes, most=most)
