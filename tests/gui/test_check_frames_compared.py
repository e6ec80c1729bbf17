"""The Check view's details say how many of a clip's frames the registry compared."""

from __future__ import annotations

from artistshield.check import CheckResult, FramesCompared
from artistshield.gui.check_panels import findings_html
from artistshield.registry import WorkMatch


def test_the_details_say_how_many_frames_were_compared() -> None:
    match = WorkMatch("W-000001", 0.98, True, None, "pdq")
    stopped = CheckResult(
        "walk.mp4", matches=[match], frames_compared=FramesCompared(1, 8, stopped_early=True)
    )
    assert "The registry compared 1 of the 8 frames sampled" in findings_html(stopped)
    assert "the mark names a work those frames already match" in findings_html(stopped)
    still = CheckResult("walk.png", matches=[match])
    assert "frames sampled" not in findings_html(still)
