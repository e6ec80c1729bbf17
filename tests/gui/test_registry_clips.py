"""Register without marking takes clips too: one work, its frame count and key frames shown."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

DATA = Path(__file__).parents[1] / "data"


def two_scene_gif(path: Path) -> Path:
    """Three frames of a pan over the hills, then a cut to three over the mountains."""
    frames = []
    for name in ("painted-hills.png", "painted-mountains.png"):
        picture = Image.open(DATA / name).convert("RGB")
        frames += [picture.crop((8 * i, 60, 8 * i + 256, 252)) for i in range(3)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=80, loop=0)
    return path


def test_registering_a_gif_makes_one_work_with_its_key_frames(qtbot, window, tmp_path) -> None:
    clip = two_scene_gif(tmp_path / "walk.gif")
    view = window.registry_view
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        window.show_view(2)
    with qtbot.waitSignal(view.registered, timeout=60_000) as registered:
        view.register_files([clip])
    ((source, work_id, error),) = registered.args[0]
    assert source == clip
    assert error is None and work_id is not None
    qtbot.waitUntil(lambda: work_id in view.works, timeout=10_000)

    work = view.works[work_id]
    assert work.frame_count == 6
    assert len(work.key_frames) >= 1 and work.key_frames[0] == 0
    view.table.selectRow(0)
    details = " ".join(view.detail.toPlainText().split())
    assert "Frames 6 " in details
    assert f"Key frames {len(work.key_frames)} fingerprinted" in details
    assert "frame 1" in details or "frames 1" in details
