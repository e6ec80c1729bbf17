"""Clips in the app: marking and checking a GIF or a frame folder, cancelling mid-clip, the frame preview."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from mark_steps import add as _add
from PIL import Image
from PySide6.QtGui import QImage

from artistshield import animation, watermark
from artistshield.animation import clip as clips
from artistshield.animation import frames as anim
from artistshield.gui import images
from artistshield.gui.check_view import verdict_kind
from artistshield.gui.clip_view import ClipView
from artistshield.gui.mark_view import COL_FILE, COL_STATUS, COL_SURVIVES, FrameProgress
from artistshield.registry import Registry

DATA = Path(__file__).parents[1] / "data"


def pan(count: int, *, width: int = 240, height: int = 180, step: int = 12) -> list[np.ndarray]:
    """Frames panning across a painting, each one different."""
    painting = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))
    return [np.ascontiguousarray(painting[100 : 100 + height, step * i : step * i + width]) for i in range(count)]


def make_gif(path: Path, count: int, *, duration: int = 80) -> Path:
    images = anim.gif_frames(pan(count))
    images[0].save(path, save_all=True, append_images=images[1:], duration=duration, loop=0, optimize=False)
    return path


def make_folder(path: Path, count: int) -> Path:
    path.mkdir()
    for i, frame in enumerate(pan(count)):
        Image.fromarray(frame).save(path / f"walk_{i + 1:04d}.png")
    return path


def make_video(path: Path, count: int) -> Path:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.height, stream.width = 180, 240
        stream.pix_fmt, stream.options = "yuv420p", {"crf": "16", "preset": "ultrafast"}
        for frame in pan(count):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode())
    return path


def _status(view, row: int) -> str:
    return view.table.item(row, COL_STATUS).text()


def _row_of(view, name: str) -> int:
    return next(r for r in range(view.table.rowCount()) if view.table.item(r, COL_FILE).text().startswith(name))


def test_mark_a_gif_a_frame_folder_and_a_video(qtbot, window, drop, tmp_path: Path) -> None:
    view = window.mark_view
    art = tmp_path / "art"
    art.mkdir()
    gif = make_gif(art / "pan.gif", 5)
    folder = make_folder(art / "walk", 3)
    video = make_video(art / "scene.mp4", 4)
    seen: list[FrameProgress] = []
    view.frame_progress.connect(seen.append)
    _add(qtbot, drop, view, [folder, gif, video])  # the dropped frame folder stays one clip
    assert view.output_folder() == tmp_path / "art-marked"  # beside the clip, as for a file
    assert view.table.rowCount() == 3
    gif_row, folder_row = _row_of(view, "pan.gif"), _row_of(view, "walk")
    video_row = _row_of(view, "scene.mp4")
    assert "GIF animation, 5 frames" in view.table.item(gif_row, COL_FILE).text()
    assert "frame folder, 3 frames" in view.table.item(folder_row, COL_FILE).text()
    assert "video, 4 frames" in view.table.item(video_row, COL_FILE).text()
    assert not view.table.item(folder_row, COL_FILE).icon().isNull()  # the first frame as thumbnail
    view.platform_combo.setCurrentText("Pixiv")  # animations kept as frames: each clip passes
    with qtbot.waitSignal(view.batch_finished, timeout=120_000):
        view.start_button.click()
        # the three pan the same painting from the same first frame: one picture, so the
        # second is caught as a repeat within the batch; marked again, as is the third
        qtbot.waitUntil(lambda: view.remark_dialog is not None, timeout=120_000)
        view.remark_dialog.again_button.click()

    for row, frames in ((gif_row, 5), (folder_row, 3), (video_row, 4)):
        survives = view.table.item(row, COL_SURVIVES)  # tested on frames across each clip
        assert survives.text() == "Pass (Pixiv)"
        assert f"Tested on {frames} frames across the clip" in survives.toolTip()
    assert _status(view, gif_row).startswith("Marked → pan.gif (5 frames)"), _status(view, gif_row)
    assert _status(view, folder_row).startswith("Marked → walk (3 frames)"), _status(view, folder_row)
    assert _status(view, video_row).startswith("Marked → scene.mp4 (4 frames)"), _status(view, video_row)
    assert view.status.text() == "Marked 3 of 3 files."
    # every frame of each clip was reported, in order, ending on the last
    by_clip = {p.name: [(s.done, s.total) for s in seen if s.source.name == p.name] for p in (gif, folder)}
    assert by_clip["pan.gif"][0] == (1, 5) and by_clip["pan.gif"][-1] == (5, 5)
    assert by_clip["walk"][0] == (1, 3) and by_clip["walk"][-1] == (3, 3)
    assert [s.done for s in seen if s.source.name == "scene.mp4"][-1] == 4
    out = view.output_folder()
    assert sorted(p.name for p in out.iterdir()) == ["pan.gif", "scene.mp4", "walk"]
    assert sorted(p.name for p in (out / "walk").iterdir()) == [f"walk_{i:04d}.png" for i in (1, 2, 3)]
    with Registry.open() as registry:
        works = registry.works()
    payloads = {w.payload for w in works}
    assert len(works) == 3 and all(w.marked for w in works)
    ident = view.session.identity
    assert animation.detect_clip(out / "pan.gif", ident.watermark_key).detection.payload in payloads
    assert view.outcomes[gif.absolute()].payload in payloads
    view.table.selectRow(gif_row)  # "Marked" now steps through the marked copy itself
    qtbot.waitUntil(lambda: view.preview.clip is not None and view.preview.clip.path == out / "pan.gif")
    qtbot.waitUntil(lambda: view.preview.frame_index == 0, timeout=10_000)


def test_cancel_mid_clip_leaves_no_output(qtbot, window, drop, tmp_path: Path, monkeypatch) -> None:
    view = window.mark_view
    view.preview_mode.button(0).setChecked(True)  # the preview shows originals: no marking there
    art = tmp_path / "art"
    art.mkdir()
    gif = make_gif(art / "long.gif", 12)
    folder = make_folder(art / "walk", 12)
    # Hold the third frame until Cancel has been pressed, so the cancel lands mid-clip.
    gate, calls, real = threading.Event(), [], watermark.embed

    def held_embed(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            gate.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(watermark, "embed", held_embed)
    for clip in (gif, folder):
        view.clear()
        calls.clear()
        gate.clear()
        _add(qtbot, drop, view, [clip])
        try:
            with qtbot.waitSignal(view.batch_finished, timeout=60_000):
                view.start_button.click()
                qtbot.waitUntil(lambda: _status(view, 0).startswith("Marking… frame"), timeout=30_000)
                assert "frame" in view.progress.text()
                view.cancel_button.click()
                assert "stops at the next frame" in view.status.text()
                gate.set()
        finally:
            gate.set()
        assert _status(view, 0).startswith("Cancelled at frame"), _status(view, 0)
        assert _status(view, 0).endswith("of 12 — nothing written")
        assert len(calls) < 12
        out = view.output_folder()
        assert not out.exists() or list(out.iterdir()) == []  # no clip, no .part left behind
        assert view.status.text() == "Marked 0 of 1 file; cancelled."
        assert view.progress.text() == "0 of 1 file · cancelled"
    with Registry.open() as registry:
        assert registry.works() == []


def _shown(qtbot, player: ClipView, action, index: int) -> None:
    with qtbot.waitSignal(player.frame_shown, timeout=10_000, check_params_cb=lambda i: i == index):
        action()
    assert player.frame_index == index


def test_frame_preview_steps_through_frames(qtbot, tmp_path: Path, monkeypatch) -> None:
    gif = make_gif(tmp_path / "pan.gif", 40, duration=50)
    expected = anim.read_animation(gif).frames
    requested: list[int] = []
    real = clips.AnimatedClip._read_frame

    def counted(self, index):
        requested.append(index)
        return real(self, index)

    monkeypatch.setattr(clips.AnimatedClip, "_read_frame", counted)
    player = ClipView("nothing yet")
    qtbot.addWidget(player)
    player.show()
    clip = clips.open_clip(gif)
    _shown(qtbot, player, lambda: player.set_clip(clip), 0)
    assert player.controls.isVisible() and player.frame_count == 40
    assert player.frame_label.text() == "Frame 1 of 40 · 0.00 s · 50 ms"

    def showing(pixels: np.ndarray) -> bool:
        rgb32 = QImage.Format.Format_RGB32
        return player.picture.image().convertToFormat(rgb32) == images.to_qimage(pixels).convertToFormat(rgb32)

    assert showing(expected[0]) and not showing(expected[1])
    _shown(qtbot, player, player.next_button.click, 1)
    assert showing(expected[1])
    assert player.frame_label.text().startswith("Frame 2 of 40 · 0.05 s")
    _shown(qtbot, player, player.previous_button.click, 0)  # from the cache
    _shown(qtbot, player, lambda: player.slider.setValue(30), 30)
    assert showing(expected[30])
    assert player.frame_label.text() == "Frame 31 of 40 · 1.50 s · 50 ms"
    assert sorted(set(requested)) == [0, 1, 30]  # only the frames shown were decoded
    _shown(qtbot, player, player.previous_button.click, 29)
    # playing moves on by itself, and wraps around at the end
    with qtbot.waitSignal(player.frame_shown, timeout=10_000, check_params_cb=lambda i: i == 2):
        player.play_button.click()
    assert player.playing
    player.play_button.click()
    assert not player.playing
    player.set_image(None)  # a still hides the frame controls
    assert not player.controls.isVisible()
    clip.close()


def test_frame_preview_of_a_video_decodes_only_what_is_shown(qtbot, tmp_path: Path) -> None:
    import av

    path = tmp_path / "scene.mp4"
    frames = pan(60, width=128, height=96, step=4)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.height, stream.width = 96, 128
        stream.pix_fmt, stream.options = "yuv420p", {"crf": "18", "preset": "ultrafast", "g": "12"}
        for f in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
        out.mux(stream.encode())
    with av.open(str(path)) as src:
        decoded = [f.to_ndarray(format="rgb24") for f in src.decode(video=0)]
    player = ClipView()
    qtbot.addWidget(player)
    player.show()
    clip = clips.open_clip(path)
    _shown(qtbot, player, lambda: player.set_clip(clip), 0)
    assert player.frame_count == 60
    for index in (45, 46, 12, 59):
        _shown(qtbot, player, lambda index=index: player.slider.setValue(index), index)
        assert np.array_equal(clip.frame(index), decoded[index])
    assert player.frame_label.text().startswith("Frame 60 of 60 · 2.46 s · 42 ms")
    clip.close()


def test_mark_view_previews_a_clip_frame_by_frame(qtbot, window, drop, tmp_path: Path) -> None:
    view = window.mark_view
    gif = make_gif(tmp_path / "pan.gif", 4)
    _add(qtbot, drop, view, [gif])
    preview = view.preview
    qtbot.waitUntil(lambda: preview.frame_index == 0, timeout=20_000)
    assert preview.controls.isVisible() and preview.frame_count == 4 and preview.has_image()
    _shown(qtbot, preview, preview.next_button.click, 1)
    for button in view.preview_mode.buttons():  # each mode keeps the frame shown
        with qtbot.waitSignal(preview.frame_shown, timeout=20_000, check_params_cb=lambda i: i == 1):
            button.click()


def test_check_a_marked_gif_names_its_frames(qtbot, window, drop, tmp_path: Path) -> None:
    mark = window.mark_view
    art = tmp_path / "art"
    art.mkdir()
    _add(qtbot, drop, mark, [make_gif(art / "pan.gif", 6)])
    with qtbot.waitSignal(mark.batch_finished, timeout=120_000):
        mark.start_button.click()
    window.show_view(1)
    view = window.check_view
    progress: list[tuple[int, int]] = []
    view.frame_progress.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(view.checked, timeout=60_000) as blocker:
        view.check_path(mark.output_folder() / "pan.gif")
    result = blocker.args[0]
    assert verdict_kind(result) == "mark"
    assert result.mark.work_id == "W-000001"
    assert result.mark.frames_checked == 6
    assert progress[0] == (1, 6) and progress[-1] == (6, 6)
    marked = result.mark.frames_with_mark
    assert marked
    assert view.verdict_title.text() == "Your mark is in this clip"
    if len(marked) == 6:
        assert "It was read in every one of the 6 frames checked." in view.verdict_body.text()
        assert "Frames: 6 checked; the mark was read in every one." in view.findings.toPlainText()
    else:
        assert f"It was read in {len(marked)} of the 6 frames checked" in view.verdict_body.text()
        assert f"Frames: 6 checked; the mark was read in {len(marked)} of them: frame" in view.findings.toPlainText()
    assert "Suspect clip" in view.suspect_caption.text()
    player = view.suspect_view
    qtbot.waitUntil(lambda: player.frame_index == 0, timeout=20_000)
    assert player.controls.isVisible() and player.frame_count == 6
    for index in range(6):  # each frame says whether the mark was read in it
        if index:
            _shown(qtbot, player, player.next_button.click, index)
        said = player.frame_label.text()
        assert ("mark read" in said) == (index in marked) and said.startswith(f"Frame {index + 1} of 6"), said
    # an unmarked clip: no mark, and nothing said about its frames
    with qtbot.waitSignal(view.checked, timeout=60_000) as blocker:
        view.check_path(art / "pan.gif")
    assert verdict_kind(blocker.args[0]) in ("none", "match")


@pytest.mark.parametrize("kind", ["folder", "gif"])
def test_cancel_a_clip_check(qtbot, window, tmp_path: Path, monkeypatch, kind: str) -> None:
    from artistshield.watermark import pooled

    clip = make_folder(tmp_path / "walk", 8) if kind == "folder" else make_gif(tmp_path / "pan.gif", 8)
    window.show_view(1)
    view = window.check_view
    gate, calls, real = threading.Event(), [], pooled.Pool.add

    def held_add(self, frame):
        calls.append(1)
        if len(calls) == 2:
            gate.wait(30)
        return real(self, frame)

    monkeypatch.setattr(pooled.Pool, "add", held_add)
    try:
        with qtbot.waitSignal(view.cancelled, timeout=60_000):
            with qtbot.waitSignal(view.frame_progress, timeout=30_000):
                view.check_path(clip)
            assert view.busy.isVisible()
            assert "frame" in view.progress.text()
            assert "Suspect clip" in view.suspect_caption.text()  # shown while it is checked
            assert view.suspect_view.clip is not None
            view.cancel_button.click()
            gate.set()
    finally:
        gate.set()
    assert view.verdict_title.text() == "Check cancelled"
    assert len(calls) < 8
    assert not view.busy.isVisible() and view.open_button.isEnabled()


def test_frames_in_words() -> None:
    assert clips.frames_in_words([0, 1, 2, 3, 6, 8]) == "1\N{EN DASH}4, 7 and 9"
    assert clips.frames_in_words([4]) == "5"
    assert clips.frames_in_words([0, 1]) == "1 and 2"
    assert clips.frames_in_words(list(range(0, 40, 2)), most=3) == "1, 3, 5 and 17 more"


def test_findings_name_the_frames_that_carried_the_mark() -> None:
    from artistshield.check import CheckResult, MarkFinding
    from artistshield.gui.check_view import findings_html

    found = watermark.Detection(found=True, payload=7, p_value=1e-20, score=9.0)

    def said(marked: tuple[int, ...]) -> str:
        finding = MarkFinding("your key", found, None, frames_checked=8, frames_with_mark=marked)
        html = findings_html(CheckResult(input="clip.gif", marks=[finding]))
        return html.replace("<b>", "").replace("</b>", "")

    assert "Frames: 8 checked; the mark was read in 5 of them: frames 1\N{EN DASH}3, 6 and 8." in said((0, 1, 2, 5, 7))
    assert "Frames: 8 checked; the mark was read in every one." in said(tuple(range(8)))
    assert "no single frame carries it alone, together they do" in said(())

