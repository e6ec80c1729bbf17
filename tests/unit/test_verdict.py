"""The one verdict: which work a check names, and how the app, the CLI and the reports say it."""

from __future__ import annotations

import json
from pathlib import Path

from artistshield.animation.detect import MAX_FRAMES, checked_frames, sampling_step
from artistshield.check import CheckResult, MarkFinding
from artistshield.identity import Identity
from artistshield.registry import Work, WorkMatch
from artistshield.report.json_report import json_report, write_json_report
from artistshield.verdict import (
    frames_in_words,
    named_match,
    named_work,
    region_shown,
    verdict_body,
    verdict_kind,
    verdict_line,
    verdict_title,
)
from artistshield.watermark import Detection

FOUND = Detection(found=True, payload=7, p_value=1e-20, score=9.0)
MISSED = Detection(found=False, payload=None, p_value=0.4, score=0.3)
TRILLION = "the chance that an unmarked image scores this high is below one in a trillion"


def _work(work_id: str = "W-000001", title: str = "Hills") -> Work:
    return Work(
        work_id=work_id, title=title, file_name="hills.png", registered="2026-01-01T00:00:00Z",
        file_size=1, file_sha256="0" * 64, pixels_sha256="1" * 64, width=64, height=48,
        channels=3, frame_count=1, payload=7, fingerprint_sha256=None,
        thumbnail_sha256="2" * 64, register_seq=1, marked=True,
    )


def _mark(
    work_id: str | None = "W-000001",
    *,
    frames_checked: int | None = None,
    frames_with_mark: tuple[int, ...] | None = None,
) -> MarkFinding:
    return MarkFinding("your key", FOUND, work_id, frames_checked, frames_with_mark)


def _match(work_id: str, *, is_match: bool = True, region: object = None, key_frame: int = 0) -> WorkMatch:
    return WorkMatch(work_id, 0.91, is_match, region, "local", key_frame=key_frame)


# -- which work a check names ------------------------------------------------------


def test_the_mark_names_its_work_before_any_match() -> None:
    result = CheckResult("s.png", marks=[_mark("W-000001")], matches=[_match("W-000002")])
    assert named_work(result) == "W-000001"
    assert named_match(result) is None  # the registry did not compare it with W-000001


def test_a_mark_without_a_work_leaves_the_best_match_named() -> None:
    result = CheckResult("s.png", marks=[_mark(None)], matches=[_match("W-000002")])
    assert named_work(result) == "W-000002"


def test_without_a_mark_the_first_real_match_is_named() -> None:
    near = _match("W-000003", is_match=False)
    result = CheckResult("s.png", marks=[MarkFinding("k", MISSED)], matches=[near, _match("W-000002")])
    assert named_work(result) == "W-000002"
    assert named_match(result) == result.matches[1]


def test_nothing_is_named_without_a_mark_or_a_match() -> None:
    result = CheckResult("s.png", marks=[MarkFinding("k", MISSED)], matches=[_match("W-1", is_match=False)])
    assert named_work(result) is None and named_match(result) is None


def test_the_named_work_is_given_with_the_registry_comparison_even_short_of_a_match() -> None:
    short = _match("W-000001", is_match=False, region=(0, 0, 1, 1))
    result = CheckResult("s.png", marks=[_mark("W-000001")], matches=[short])
    assert named_match(result) is short
    assert not region_shown(short)  # a region is outlined only for a match


def test_a_region_found_in_a_later_key_frame_is_not_outlined_on_the_thumbnail() -> None:
    assert region_shown(_match("W-1", region=(0.1, 0.1, 0.5, 0.5)))
    assert not region_shown(_match("W-1", region=(0.1, 0.1, 0.5, 0.5), key_frame=12))
    assert not region_shown(_match("W-1"))


# -- the words -------------------------------------------------------------------


def test_found_mark_wording() -> None:
    result = CheckResult("s.png", marks=[_mark("W-000001")])
    assert verdict_kind(result) == "mark"
    assert verdict_line(result) == f"your mark is in this image (work W-000001); {TRILLION}"
    assert verdict_title(result) == "Your mark is in this image"
    assert verdict_body(result, work=_work()) == (
        f"Your invisible mark was found, and it names your work “Hills” (W-000001). "
        f"{TRILLION.capitalize()}."
    )
    assert verdict_body(result) == f"Your invisible mark was found. {TRILLION.capitalize()}."
    assert result.verdict == verdict_line(result)  # the JSON and the reports carry the same line
    assert result.to_json()["verdict"] == verdict_line(result)


def test_nothing_found_wording() -> None:
    result = CheckResult("s.png", marks=[MarkFinding("k", MISSED)])
    assert verdict_kind(result) == "none"
    assert verdict_line(result) == "no mark of yours and no registered work found"
    assert verdict_title(result) == "No sign of your work"
    assert verdict_body(result).startswith("Your mark is not in this image and it matches none")


def test_registry_only_wording() -> None:
    result = CheckResult("s.png", marks=[MarkFinding("k", MISSED)], matches=[_match("W-000002")])
    work = _work("W-000002", "Bridge")
    assert verdict_kind(result) == "match"
    assert verdict_line(result) == "no mark found, but it matches your registered work W-000002"
    assert verdict_title(result) == "This matches one of your registered works"
    said = (
        "Your mark was not found, but the picture matches your registered work “Bridge” "
        "(W-000002) with 91% similarity, comparing what it shows (matching details)."
    )
    assert verdict_body(result, work=work) == said
    assert verdict_body(result, work=work, region=True) == (
        said + " It shows only part of your work: the outlined region."
    )


def test_error_wording() -> None:
    result = CheckResult("s.gif", error="s.gif is not an image.")
    assert verdict_kind(result) == "error"
    assert verdict_line(result) == "error: s.gif is not an image."
    assert verdict_title(result, clip=True) == "This clip could not be checked"
    assert verdict_body(result) == "s.gif is not an image."


def test_clip_wording_names_the_frames() -> None:
    every = CheckResult("c.gif", marks=[_mark(frames_checked=6, frames_with_mark=tuple(range(6)))])
    assert verdict_title(every, clip=True) == "Your mark is in this clip"
    assert verdict_body(every).endswith(" It was read in every one of the 6 frames checked.")
    some = CheckResult("c.gif", marks=[_mark(frames_checked=12, frames_with_mark=(0, 1, 2, 3, 6, 8))])
    assert verdict_body(some).endswith(
        " It was read in 6 of the 12 frames checked (frames 1\N{EN DASH}4, 7 and 9)."
    )
    pooled = CheckResult("c.gif", marks=[_mark(frames_checked=6, frames_with_mark=())])
    assert verdict_body(pooled).endswith(
        " No single one of the 6 frames checked carries it strongly enough alone; together they do."
    )
    still = CheckResult("s.png", marks=[_mark()])
    assert "frames" not in verdict_body(still)


def test_frames_in_words() -> None:
    assert frames_in_words([0, 1, 2, 3, 6, 8]) == "1\N{EN DASH}4, 7 and 9"
    assert frames_in_words([4]) == "5"
    assert frames_in_words([]) == "none"
    assert frames_in_words(list(range(0, 40, 2)), most=3) == "1, 3, 5 and 17 more"


# -- the sampling a clip check does -------------------------------------------------------


def test_checked_frames_follow_the_detectors_step() -> None:
    assert list(checked_frames(10)) == list(range(10))
    assert sampling_step(100) == 3 and list(checked_frames(100)) == list(range(0, 100, 3))
    assert len(checked_frames(10_000)) <= MAX_FRAMES
    assert list(checked_frames(0)) == [] and sampling_step(0) == 1


# -- the JSON report ---------------------------------------------------------------------


def test_json_report_carries_the_check_the_tool_and_the_artist(tmp_path: Path, artist: Identity) -> None:
    result = CheckResult("s.png", marks=[_mark("W-000001")])
    out = write_json_report(result, tmp_path / "s-evidence.json", identity=artist)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(json_report(result, identity=artist)))
    assert data["tool"].startswith("ArtistShield ")
    assert data["verdict"] == verdict_line(result)
    assert data["artist"] == {
        "name": "Ada", "artist_id": artist.artist_id, "public_key": artist.public_key.hex(),
    }
    assert "artist" not in json_report(result)
