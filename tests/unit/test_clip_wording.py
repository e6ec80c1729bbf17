"""A clip's verdict, JSON and report say "clip" wherever they would say "image" of a still."""

from __future__ import annotations

import re

from artistshield.check import CheckResult, MarkFinding
from artistshield.report.evidence import Evidence
from artistshield.report.html import render_html
from artistshield.verdict import verdict_body, verdict_line
from artistshield.watermark import Detection

FOUND = Detection(True, 7, 1e-20, 9.0, scale=1.0, rotation=0.0, flipped=False, offset=(0, 0))
MISSED = Detection(found=False, payload=None, p_value=0.4, score=0.3)


def _clip(detection: Detection) -> CheckResult:
    finding = MarkFinding(
        "your key", detection, "W-000003" if detection.found else None,
        frames_checked=12, frames_with_mark=tuple(range(12)) if detection.found else (),
    )
    return CheckResult("repost.mp4", marks=[finding], works_compared=3)


def _text(page: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", page, flags=re.S))


def test_a_marked_clip_is_never_called_an_image() -> None:
    result = _clip(FOUND)
    line = verdict_line(result)
    assert "your mark is in this clip" in line and "an unmarked clip" in line
    assert "image" not in line
    assert "image" not in verdict_body(result)
    assert result.to_json()["watermark"]["in_words"].startswith("the chance that an unmarked clip")
    page = _text(render_html(Evidence(result=result, created="2026-01-01T00:00:00Z", tool="t")))
    assert "invisible mark is in the suspect clip" in page
    assert "found in the clip below" in page
    assert "unmarked image" not in page and "suspect image" not in page
    assert "probability that a clip without" in page


def test_an_unmarked_clip_is_called_a_clip() -> None:
    result = _clip(MISSED)
    assert result.to_json()["marks"][0]["in_words"] == "nothing distinguishes this clip from an unmarked one"
    page = _text(render_html(Evidence(result=result, created="2026-01-01T00:00:00Z", tool="t")))
    assert "does not mean the clip is not theirs" in page


def test_a_still_is_still_an_image() -> None:
    result = CheckResult("s.png", marks=[MarkFinding("your key", FOUND, "W-000001")])
    assert "your mark is in this image" in verdict_line(result)
    assert "an unmarked image" in result.to_json()["watermark"]["in_words"]
