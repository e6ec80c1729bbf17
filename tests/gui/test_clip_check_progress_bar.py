"""The Check view's bar follows a whole clip check: the mark search, then the registry matching.

The matching of the sampled frames can outlast the search; the bar must keep
moving while it runs, say so, and reach its end.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PIL import Image

from artistshield import identity
from artistshield.register import register_file
from artistshield.registry import Registry

DATA = Path(__file__).parents[1] / "data"


def _walk(path: Path) -> Path:
    """A 24-frame clip: three paintings, each panned across for 8 frames."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=12)
        stream.height, stream.width = 288, 384
        stream.pix_fmt, stream.options = "yuv420p", {"crf": "16", "preset": "ultrafast"}
        for name in ("painted-hills.png", "painted-bridge.png", "painted-mountains.png"):
            painting = np.asarray(Image.open(DATA / name).convert("RGB"))
            for i in range(8):
                frame = np.ascontiguousarray(painting[40 : 40 + 288, 6 * i : 6 * i + 384])
                out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode())
    return path


def test_the_bar_moves_while_frames_are_compared_and_reaches_its_end(
    qtbot, window, tmp_path: Path, monkeypatch
) -> None:
    clip = _walk(tmp_path / "walk.mp4")
    with Registry.open() as registry:
        register_file(registry, clip, identity=identity.load())
    # the frames are compared only once the search has read its last frame, so the
    # matching certainly outlasts it
    searched = threading.Event()
    real_match = Registry.match

    def match_after_the_search(self, pixels, **options):  # type: ignore[no-untyped-def]
        assert searched.wait(60), "the search never ended"
        return real_match(self, pixels, **options)

    monkeypatch.setattr(Registry, "match", match_after_the_search)
    window.show_view(1)
    view = window.check_view
    bar = view.progress
    seen: list[tuple[int, int, str]] = []

    def frame(done: int, total: int) -> None:
        if total and done >= total:
            seen.append((-1, bar.maximum(), "search ended"))
            searched.set()

    view.frame_progress.connect(frame)
    bar.valueChanged.connect(lambda value: seen.append((value, bar.maximum(), bar.format())))
    try:
        with qtbot.waitSignal(view.checked, timeout=120_000) as blocker:
            view.check_path(clip)
    finally:
        searched.set()
    result = blocker.args[0]
    assert result.mark is None and result.matches and result.matches[0].is_match
    ended = next(i for i, step in enumerate(seen) if step[0] == -1)
    before = [value for value, _, _ in seen[:ended]]
    after = [(value, top, words) for value, top, words in seen[ended + 1 :]]
    assert before and max(before) < bar.maximum()  # the search alone is not the whole job
    values = [value for value, _, _ in after]
    assert len(set(values)) >= 2 and values == sorted(values)  # moving while frames are compared
    assert any(words.startswith("comparing frame") for _, _, words in after)
    assert values[-1] == after[-1][1] == 1000  # the end of the bar
    qtbot.waitUntil(lambda: not view.busy.isVisible(), timeout=10_000)
