"""Marking a video chooses its key frames on a thread of its own, in order, as before."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from clip_files import pan, write_video

from artistshield import animation
from artistshield.animation.mark import InOrder

KEY = bytes(range(32))


def test_calls_run_one_at_a_time_in_the_order_given_off_the_callers_thread() -> None:
    seen: list[int] = []
    threads: set[int] = set()

    def note(i: int) -> None:
        seen.append(i)
        threads.add(threading.get_ident())

    with InOrder(most=3) as calls:
        for i in range(50):
            calls.call(note, i)
    assert seen == list(range(50))
    assert len(threads) == 1 and threading.get_ident() not in threads


def test_a_failed_call_raises_in_the_caller() -> None:
    def fail() -> None:
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"), InOrder() as calls:
        calls.call(fail)


def test_the_key_frames_of_a_marked_video_are_those_of_reading_it(tmp_path: Path) -> None:
    frames = pan("painted-hills.png", 10) + pan("painted-bridge.png", 10)
    src = write_video(tmp_path / "two.mp4", frames)
    marked = animation.mark_clip(src, tmp_path / "out", key=KEY, payload=0x1234)
    read = animation.read_key_frames(src)
    assert [k.frame for k in marked.key_frames] == [k.frame for k in read.key_frames]
    assert len(marked.key_frames) >= 2
    assert all(k.marked is not None for k in marked.key_frames)
