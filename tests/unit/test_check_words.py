"""What a check says in words: a copy's geometry, what was compared, AI findings in full."""

from __future__ import annotations

from artistshield.check import CheckResult, MarkFinding
from artistshield.provenance.metadata import Metadata
from artistshield.registry import Work, WorkMatch
from artistshield.report.evidence import Evidence
from artistshield.report.html import render_html
from artistshield.verdict import (
    ai_findings,
    crop_in_words,
    geometry_in_words,
    geometry_numbers,
    verdict_body,
)
from artistshield.watermark import Detection

MISSED = Detection(found=False, payload=None, p_value=0.4, score=0.3)
SETTINGS = (
    "parameters: a castle at dusk, in the style of Ada Lovelace\nNegative prompt: blurry\n"
    "Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234567890, Size: 1024x1024, "
    "Model hash: 31e35c80fc, Model: sd_xl_base_1.0_0.9vae, Version: v1.6.0"
)


def _found(scale: float = 1.0, offset: tuple[int, int] = (0, 0), **more) -> Detection:
    return Detection(True, 7, 1e-20, 9.0, scale=scale, rotation=0.0, flipped=False, offset=offset, **more)


def _work(*, marked: bool = True) -> Work:
    return Work(
        work_id="W-000005", title="Gradient", file_name="gradient.png",
        registered="2026-01-01T00:00:00Z", file_size=1, file_sha256="0" * 64,
        pixels_sha256="1" * 64, width=1000, height=800, channels=3, frame_count=1,
        payload=7 if marked else None, fingerprint_sha256=None, thumbnail_sha256="2" * 64,
        register_seq=1, marked=marked,
    )


# -- a copy's geometry, in words -------------------------------------------------


def test_a_centred_crop_is_said_in_words_not_as_an_offset() -> None:
    words = geometry_in_words(_found(offset=(64, 0)), region=(0.1, 0.1, 0.9, 0.9))
    assert words == ["cropped to the middle 80%"]
    assert not any("offset" in w for w in words)
    assert "tile offset (64, 0)" in geometry_numbers(_found(offset=(64, 0)))


def test_a_scale_is_said_against_the_original() -> None:
    assert geometry_in_words(_found(scale=2 / 3)) == ["scaled to 67% of the original size"]
    # without the mark, the region and the sizes give it
    assert geometry_in_words(
        None, region=(0.1, 0.1, 0.9, 0.9), work_size=(1000, 800), suspect_size=(400, 320)
    ) == ["cropped to the middle 80%", "scaled to 50% of the original size"]


def test_a_crop_without_a_region_says_how_much_was_kept() -> None:
    words = geometry_in_words(_found(offset=(32, 0)), work_size=(1280, 960), suspect_size=(1024, 768))
    assert words == ["cropped to 80% of the original's width and height"]


def test_crops_name_the_part_kept() -> None:
    assert crop_in_words((0, 0, 0.5, 0.5)) == "cropped to the top-left 50%"
    assert crop_in_words((0, 0.2, 1, 0.8)) == "cropped to the middle 60% of its height"
    assert crop_in_words((0.5, 0, 1, 0.6)) == (
        "cropped to the top-right part, 50% of the width and 60% of the height"
    )
    assert crop_in_words((0, 0, 1, 0.99)) is None


def test_rotation_and_mirroring_are_said() -> None:
    turned = Detection(True, 7, 1e-20, 9.0, scale=1.0, rotation=-90.0, flipped=True, offset=(0, 0))
    assert geometry_in_words(turned) == ["rotated by 90°", "mirrored"]


def test_the_verdict_card_says_the_geometry() -> None:
    match = WorkMatch("W-000005", 0.9, True, (0.1, 0.1, 0.9, 0.9), "local", work=_work())
    result = CheckResult(
        "s.png", marks=[MarkFinding("your key", _found(scale=0.5), "W-000005")], matches=[match],
        size=(400, 320),
    )
    body = verdict_body(result, work=_work())
    assert "the copy was cropped to the middle 80% and scaled to 50% of the original size." in body
    assert "offset" not in body and "payload" not in body


# -- what a check that found nothing compared ------------------------------------


def test_nothing_found_says_what_was_compared() -> None:
    near = WorkMatch("W-000005", 0.41, False, None, "local", work=_work(marked=False))
    result = CheckResult(
        "s.jpg", marks=[MarkFinding("your key", MISSED)], matches=[near], works_compared=12,
    )
    body = verdict_body(result)
    assert "searched for with your key" in body
    assert "the fingerprints of your 12 registered works" in body
    assert "the closest, “Gradient” (W-000005), is 41% similar" in body
    assert "registered without a mark, so only its fingerprint can find a copy" in body
    assert "was not marked or registered with this identity" not in body
    assert result.verdict == (
        "no mark of yours found, and none of your 12 registered works matches "
        "(the closest, W-000005, is 41% similar)"
    )


def test_nothing_found_without_a_registry_says_so() -> None:
    result = CheckResult("s.jpg", marks=[MarkFinding("key-file", MISSED)])
    assert "No registry was used" in verdict_body(result)
    empty = CheckResult("s.jpg", marks=[MarkFinding("your key", MISSED)], works_compared=0)
    assert "holds no works yet" in verdict_body(empty)


# -- AI findings, in full ------------------------------------------------------------


def _ai_result() -> CheckResult:
    meta = Metadata((("generation_parameters", SETTINGS, "PNG text"),))
    return CheckResult("ai.png", marks=[MarkFinding("your key", MISSED)], metadata=meta)


def test_ai_settings_are_quoted_whole() -> None:
    (said,) = ai_findings(_ai_result())
    assert SETTINGS in said and "AI image generator" in said


def test_the_html_report_shows_metadata_in_full() -> None:
    page = render_html(Evidence(result=_ai_result(), created="2026-01-01T00:00:00Z", tool="t"))
    assert "Model: sd_xl_base_1.0_0.9vae, Version: v1.6.0" in page
    assert "…" not in page
    summary = page.split("<h2>Summary</h2>")[1].split("<h2>")[0]
    assert "in the style of Ada Lovelace" in summary  # up front, not only at the end


def test_a_whole_picture_match_is_not_called_a_part() -> None:
    whole = WorkMatch("W-000005", 0.8, True, (0.0, 0.0, 1.0, 1.0), "structure", work=_work())
    result = CheckResult("s.jpg", marks=[MarkFinding("your key", MISSED)], matches=[whole])
    assert "only part" not in verdict_body(result, work=_work(), region=True)
