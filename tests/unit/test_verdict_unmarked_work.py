"""A match with a work registered without marking does not say its mark was lost."""

from __future__ import annotations

from artistshield.check import CheckResult, MarkFinding
from artistshield.registry import Work, WorkMatch
from artistshield.verdict import verdict_body
from artistshield.watermark import Detection

MISSED = Detection(found=False, payload=None, p_value=0.4, score=0.3)


def _work(*, marked: bool) -> Work:
    return Work(
        work_id="W-000002", title="Sky", file_name="sky.png", registered="2026-01-01T00:00:00Z",
        file_size=1, file_sha256="0" * 64, pixels_sha256="1" * 64, width=64, height=48,
        channels=3, frame_count=1, payload=7 if marked else None, fingerprint_sha256=None,
        thumbnail_sha256="2" * 64, register_seq=1, marked=marked,
    )


def test_a_work_registered_without_marking_had_no_mark_to_find() -> None:
    result = CheckResult(
        "s.png", marks=[MarkFinding("k", MISSED)],
        matches=[WorkMatch("W-000002", 0.91, True, None, "local")],
    )
    said = verdict_body(result, work=_work(marked=False))
    assert said.startswith(
        "This work was registered without marking, so there is no mark to look for; the "
        "picture matches your registered work “Sky” (W-000002) with 91% similarity"
    )
    assert "not found" not in said and "removed" not in said
    marked = verdict_body(result, work=_work(marked=True))
    assert marked.startswith("Your mark was not found, but the picture matches")
