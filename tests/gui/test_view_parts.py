"""Small parts the views share: progress throttling."""

from __future__ import annotations

from artistshield.gui.workers import Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_throttle_lets_through_the_first_the_last_and_one_per_interval() -> None:
    clock = Clock()
    due = Throttle(0.1, clock=clock)
    assert due(1, 50)  # the first frame, always
    clock.now += 0.01
    assert not due(2, 50)  # too soon
    clock.now += 0.01
    assert not due(3, 50)
    clock.now += 0.1
    assert due(4, 50)  # an interval later
    clock.now += 0.01
    assert due(50, 50)  # the last frame, always
    assert Throttle(0.1, clock=clock)(7, 0)  # a fresh throttle reports its first call

