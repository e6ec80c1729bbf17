"""The app's progress bars tell the time left; the clip preview plays at the clip's own rate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from artistshield.animation import clip as clips
from artistshield.gui.clip_view import ClipView
from artistshield.gui.progress import ProgressBar

DATA = Path(__file__).parents[1] / "data"


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_a_job_over_a_second_shows_the_time_left_until_it_ends(qtbot) -> None:
    clock = Clock()
    bar = ProgressBar(clock=clock)
    qtbot.addWidget(bar)
    bar.setRange(0, 100)
    bar.setFormat("frame %v of %m")
    bar.setValue(0)
    clock.now += 0.5
    bar.setValue(10)
    assert bar.text() == "frame 10 of 100"  # under a second: no guess yet
    clock.now += 1.5
    bar.setValue(25)
    assert bar.text() == "frame 25 of 100 · about 6 s left"
    bar.setValue(5)  # a new pass (a clip read again) starts a new estimate
    assert bar.text() == "frame 5 of 100"
    clock.now += 2
    bar.setValue(50)
    assert bar.text() == "frame 50 of 100 · about 2 s left"
    bar.finish()  # cancelled: nothing left to wait for
    assert bar.text() == "frame 50 of 100"
    bar.setRange(0, 0)  # busy, no range: no estimate
    assert bar.text() == ""


def _gif(path: Path, count: int, duration: int) -> Path:
    painting = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))
    frames = [Image.fromarray(painting[100:280, 12 * i : 12 * i + 240]) for i in range(count)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=duration, loop=0)
    return path


def _shown(qtbot, player: ClipView, action, index: int) -> None:
    with qtbot.waitSignal(player.frame_shown, timeout=10_000, check_params_cb=lambda i: i == index):
        action()
    assert player.frame_index == index


def test_the_preview_keeps_the_clips_time_and_skips_frames_shown_late(qtbot, tmp_path: Path) -> None:
    clock = Clock()
    player = ClipView("nothing yet")
    qtbot.addWidget(player)
    player._clock = clock
    player.show()
    clip = clips.open_clip(_gif(tmp_path / "walk.gif", 40, duration=50))  # 20 frames a second
    _shown(qtbot, player, lambda: player.set_clip(clip), 0)
    _shown(qtbot, player, player.play, 1)  # playing goes on from the next frame
    assert player.timer.interval() == 50  # shown for its duration
    clock.now += 0.220  # 220 ms later the clip is at 270 ms: frame 5, for 30 ms more
    _shown(qtbot, player, player._tick, 5)
    assert player.timer.interval() == 30
    clock.now += 1.0  # a second late (a slow decoder): frames are skipped, not slowed
    _shown(qtbot, player, player._tick, 25)
    clock.now += 0.8  # past the end (2 s): it starts again
    _shown(qtbot, player, player._tick, 1)
    player.pause()
    player.shutdown()
    clip.close()
