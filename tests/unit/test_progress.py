"""Progress: the time left in words, and what batch commands show on stderr while they work."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from artistshield.animation.inputs import Input
from artistshield.cli.progress import Progress
from artistshield.progress import Estimate, duration_in_words, time_left_in_words


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (None, ""),
        (0.2, "almost done"),
        (3.2, "about 4 s left"),
        (59.5, "about 1 min left"),
        (61, "about 1 min 10 s left"),
        (125, "about 2 min 10 s left"),
        (601, "about 11 min left"),
        (3661, "about 1 h 2 min left"),
    ],
)
def test_time_left_is_rounded_up_to_what_a_person_reads(seconds: float | None, words: str) -> None:
    assert time_left_in_words(seconds) == words


def test_durations_read_in_tenths_then_seconds_then_minutes() -> None:
    assert duration_in_words(0.42) == "0.4 s"
    assert duration_in_words(12.4) == "12 s"
    assert duration_in_words(150) == "2 min 30 s"
    assert duration_in_words(7200) == "2 h"


def test_the_estimate_waits_a_second_then_scales_the_time_spent() -> None:
    clock = Clock()
    estimate = Estimate(clock=clock)
    clock.now += 0.5
    assert estimate.seconds_left(0.5) is None  # too early to say
    clock.now += 1.5
    assert estimate.seconds_left(0.0) is None  # nothing done yet
    assert estimate.seconds_left(0.25) == pytest.approx(6.0)
    assert estimate.left_in_words(0.25) == "about 6 s left"


def test_verbose_names_each_file_as_it_starts_and_ends_in_order() -> None:
    clock, stream = Clock(), io.StringIO()
    items = [Input(Path("a.png")), Input(Path("notes.txt"), "not a picture"), Input(Path("b.mp4"))]
    progress = Progress(items, verbose=True, verb="checking", done="checked", stream=stream, clock=clock)

    def work():  # the job: b.mp4 takes 2.5 s
        yield "A"
        yield "skipped"
        clock.now += 2.5
        yield "B"

    outcomes = list(progress.track(work()))
    assert outcomes == ["A", "skipped", "B"]
    assert stream.getvalue().splitlines() == [
        "artistshield: checking a.png (1 of 2)",
        "artistshield: checked a.png in 0.0 s",
        "artistshield: checking b.mp4 (2 of 2)",
        "artistshield: checked b.mp4 in 2.5 s",
    ]


def test_without_verbose_and_off_a_terminal_nothing_is_written() -> None:
    stream = io.StringIO()
    progress = Progress([Path("a.png")], verbose=False, verb="marking", done="marked", stream=stream)
    assert not progress.bar  # a StringIO is no terminal
    progress.start(Path("a.png"))
    progress.frames(3, 10)
    progress.end(Path("a.png"))
    assert stream.getvalue() == ""


def test_the_bar_counts_files_and_frames_and_is_wiped_before_other_output(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    clock, stream = Clock(), io.StringIO()
    progress = Progress(
        [Path("a.png"), Path("walk.mp4")], verbose=False, verb="marking", done="marked",
        stream=stream, bar=True, clock=clock,
    )
    progress.start(Path("a.png"))
    clock.now += 2
    progress.end(Path("a.png"))
    progress.start(Path("walk.mp4"))
    clock.now += 0.2  # the bar is redrawn at most every REDRAW seconds
    progress.frames(50, 100)  # half the clip: three quarters of the batch, in 2.2 s
    line = progress.line(200)
    assert line.startswith("[###############.....] 1/2 · walk.mp4 · frame 50/100")
    assert line.endswith("about 1 s left")
    assert len(progress.line(30)) == 30
    drawn = stream.getvalue()
    assert drawn.endswith("\r\x1b[K" + line)  # drawn without a newline, after a wipe
    progress.end(Path("walk.mp4"))
    assert stream.getvalue().endswith("\r\x1b[K")  # wiped: the command's own line comes next


def test_log_lines_wipe_the_bar_first() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        progress = Progress([Path("a.png")], verbose=False, verb="checking", done="checked",
                            stream=stream, bar=True)
        progress.start(Path("a.png"))
        logging.getLogger("artistshield.test").warning("something to say")
        assert stream.getvalue().endswith("\r\x1b[Ksomething to say\n")
        progress.close()
        assert handler.stream is stream
    finally:
        root.removeHandler(handler)
