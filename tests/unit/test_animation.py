"""Clips: animated images, videos and frame folders keep what the artist made and carry the mark."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from artistshield import animation, watermark
from artistshield.animation import frames as anim
from artistshield.watermark.pooled import detect_pooled

DATA = Path(__file__).resolve().parents[1] / "data"
KEY = bytes(range(32))
PAYLOAD = 0xA5A5_1234_5678


def art(width: int = 256, height: int = 192, *, count: int = 5) -> list[np.ndarray]:
    """Frames panning across a painting, as a camera does."""
    img = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))
    return [np.ascontiguousarray(img[40 : 40 + height, 6 * i : 6 * i + width]) for i in range(count)]


def with_alpha(frames: list[np.ndarray]) -> list[np.ndarray]:
    out = []
    for f in frames:
        alpha = np.full(f.shape[:2], 255, np.uint8)
        alpha[:, :24] = 0  # a transparent band
        out.append(np.dstack([f, alpha]))
    return out


def jpeg(pixels: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def write(path: Path, frames: list[np.ndarray] | list[Image.Image], **options: object) -> None:
    images = [f if isinstance(f, Image.Image) else Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], **options)


def check_marked(path: Path) -> None:
    marked = anim.read_animation(path)
    rgb = marked.frames[0]
    assert watermark.detect(rgb, KEY).payload == PAYLOAD  # a single frame
    found = animation.detect_clip(path, KEY)
    assert found.detection.payload == PAYLOAD
    assert found.frames_with_mark == list(range(marked.frame_count))


def test_gif_keeps_timing_loop_disposal_and_transparency(tmp_path: Path) -> None:
    src = tmp_path / "turn.gif"
    frames = with_alpha(art())
    write(src, anim.gif_frames(frames), duration=[80, 120, 80, 200, 60], loop=3,
          disposal=[2, 2, 1, 2, 2], transparency=255, optimize=False)
    assert animation.is_clip(src)
    out = animation.mark_clip(src, tmp_path / "out", key=KEY, payload=PAYLOAD)
    before, after = anim.read_animation(src), anim.read_animation(out.output)
    assert after.frame_count == before.frame_count == out.frames == 5
    assert after.durations == before.durations == [80, 120, 80, 200, 60]
    assert after.loop == 3 and after.disposal == before.disposal
    assert after.has_alpha
    for a, b in zip(before.frames, after.frames, strict=True):
        assert np.array_equal(a[..., 3] == 0, b[..., 3] == 0)
    check_marked(out.output)


def test_apng_keeps_timing_loop_and_alpha(tmp_path: Path) -> None:
    src = tmp_path / "walk.png"
    frames = with_alpha(art())
    write(src, frames, duration=[40, 40, 100, 40, 40], loop=0)
    out = animation.mark_clip(src, tmp_path / "out", key=KEY, payload=PAYLOAD)
    after = anim.read_animation(out.output)
    assert after.format == "PNG" and after.frame_count == 5
    assert after.durations == [40, 40, 100, 40, 40] and after.loop == 0
    for a, b in zip(frames, after.frames, strict=True):
        assert np.array_equal(a[..., 3], b[..., 3])  # alpha bit for bit
    check_marked(out.output)


def test_animated_webp_keeps_timing_and_loop(tmp_path: Path) -> None:
    src = tmp_path / "loop.webp"
    write(src, art(), duration=[50, 70, 50, 70, 50], loop=2, lossless=True)
    out = animation.mark_clip(src, tmp_path / "out", key=KEY, payload=PAYLOAD)
    after = anim.read_animation(out.output)
    assert after.frame_count == 5 and after.durations == [50, 70, 50, 70, 50] and after.loop == 2
    check_marked(out.output)


def make_video(path: Path, frames: list[np.ndarray], *, fps: int = 24, audio: bool = True) -> None:
    """Write an H.264 clip of *frames* with a stereo AAC sine, as long as the video."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.height, video.width = frames[0].shape[:2]
        video.pix_fmt, video.options = "yuv420p", {"crf": "12", "preset": "ultrafast"}
        sound = out.add_stream("aac", rate=44100) if audio else None
        for i, f in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(f, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        if sound is not None:
            t = np.arange(44100 * len(frames) // fps) / 44100
            wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for start in range(0, len(wave), 1024):
                chunk = np.ascontiguousarray(np.stack([wave[start : start + 1024]] * 2))
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
                frame.sample_rate, frame.pts = 44100, start
                out.mux(sound.encode(frame))
            out.mux(sound.encode())


def audio_packets(path: Path) -> list[tuple[bytes, int | None]]:
    with av.open(str(path)) as c:
        return [(bytes(p), p.pts) for p in c.demux(audio=0) if p.size]


def video_facts(path: Path) -> tuple[int, Fraction | None, tuple[int, int]]:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        count = sum(1 for _ in c.decode(v))
        return count, v.average_rate, (v.codec_context.width, v.codec_context.height)


def test_video_copies_the_audio_and_keeps_frames_and_rate(tmp_path: Path) -> None:
    src = tmp_path / "scene.mp4"
    make_video(src, art(320, 240, count=24))
    out = animation.mark_clip(src, tmp_path / "out", key=KEY, payload=PAYLOAD, crf=18)
    assert out.output.suffix == ".mp4" and out.frames == 24
    assert video_facts(out.output) == video_facts(src) == (24, Fraction(24), (320, 240))
    assert audio_packets(out.output) == audio_packets(src)  # copied, not re-encoded
    found = animation.detect_clip(out.output, KEY)
    assert found.detection.payload == PAYLOAD and found.frames_checked == 24
    assert not animation.detect_clip(src, KEY).detection.found  # the unmarked clip


def test_cancel_mid_video_leaves_no_output(tmp_path: Path) -> None:
    src = tmp_path / "scene.mp4"
    make_video(src, art(320, 240, count=24), audio=False)
    asked = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 10

    out_dir = tmp_path / "out"
    with pytest.raises(animation.Cancelled):
        animation.mark_clip(src, out_dir, key=KEY, payload=PAYLOAD, cancelled=cancelled)
    assert list(out_dir.iterdir()) == []


def test_frame_folder_keeps_names_and_sixteen_bits(tmp_path: Path) -> None:
    src = tmp_path / "walk"
    src.mkdir()
    for i, f in enumerate(art(count=4)):
        Image.fromarray(f).save(src / f"walk_{i + 1:04d}.png")
    wide = art(count=1)[0].astype(np.uint16) * 257
    (src / "walk_0005.png").write_bytes(b"")  # replaced below with a 16-bit frame
    import artistshield.imageio as imageio

    imageio.save(imageio.Artwork(wide, "PNG", "RGB"), src / "walk_0005.png", exists="replace")
    assert animation.is_clip(src)
    out = animation.mark_clip(src, tmp_path / "out", key=KEY, payload=PAYLOAD)
    assert out.output == tmp_path / "out" / "walk" and out.frames == 5
    assert sorted(p.name for p in out.output.iterdir()) == sorted(p.name for p in src.iterdir())
    assert imageio.load(out.output / "walk_0005.png").pixels.dtype == np.uint16
    assert animation.detect_clip(out.output, KEY).detection.payload == PAYLOAD


def test_pooling_finds_a_clip_whose_frames_are_each_too_weak() -> None:
    rng = np.random.default_rng(7)
    frames = [
        np.clip(watermark.embed(f, KEY, PAYLOAD, strength=0.3) + rng.normal(0, 16, f.shape), 0, 255)
        .astype(np.uint8)
        for f in art(384, 256, count=24)
    ]
    assert not any(watermark.detect(f, KEY).found for f in frames)
    pooled = detect_pooled(frames, KEY)
    assert pooled.detection.found and pooled.detection.payload == PAYLOAD
    assert pooled.detection.p_value <= watermark.THRESHOLD
    assert len(pooled.frames_with_mark) >= 12


def flat_frames(count: int = 12, side: int = 360) -> list[np.ndarray]:
    """Flat vector art moving: flat colours with sharp outlines on white, as a cartoon GIF has."""
    frames = []
    for t in range(count):
        image = Image.new("RGB", (side, side), (255, 255, 255))
        draw = ImageDraw.Draw(image)
        draw.rectangle([8, 8, side - 8, side - 8], outline=(0, 110, 0), width=16)
        draw.rectangle([50 + 3 * t, 50, 140 + 3 * t, 140], fill=(0, 255, 255), outline=(0, 90, 0), width=4)
        draw.ellipse([190, 50 + 3 * t, 300, 155 + 3 * t], fill=(140, 255, 0), outline=(0, 90, 0), width=4)
        draw.polygon([(100 - 2 * t, 190), (50 - 2 * t, 280), (150 - 2 * t, 280)], fill=(255, 255, 0), outline=(30, 140, 0))
        frames.append(np.asarray(image))
    return frames


def test_a_clip_of_flat_art_is_read_along_its_smoothest_direction() -> None:
    # its mark sits on the outlines, which the whitening smears into the
    # residual: pooled from the whitened residual alone, this clip scored
    # sync z 4.5 after JPEG 75 and was not found
    marked = [watermark.embed(f, KEY, PAYLOAD) for f in flat_frames()]
    pooled = detect_pooled([jpeg(f, 75) for f in marked], KEY)
    assert pooled.detection.found and pooled.detection.payload == PAYLOAD
    assert len(pooled.frames_with_mark) >= 6


def test_an_unmarked_clip_is_not_found() -> None:
    rng = np.random.default_rng(8)
    frames = [np.clip(f + rng.normal(0, 4, f.shape), 0, 255).astype(np.uint8) for f in art(count=12)]
    pooled = detect_pooled(frames, KEY)
    assert not pooled.detection.found and pooled.frames_with_mark == []


def test_a_still_is_not_a_clip(tmp_path: Path) -> None:
    assert not animation.is_clip(DATA / "painted-hills.png")
    assert not animation.is_clip(DATA)  # names that are not one numbered sequence
    assert animation.is_clip(DATA / "frames")


def test_large_video_frames_get_a_zoomed_tile_that_survives_a_quarter_size_copy() -> None:
    from artistshield.animation.mark import LumaMarker
    from artistshield.watermark.pattern import zoom_for

    assert [zoom_for(s) for s in [(480, 854), (720, 1280), (1080, 1920), (2160, 3840)]] == [1, 1, 2, 4]
    painting = Image.open(DATA / "painted-hills.png").convert("RGB").resize((1920, 1080), Image.LANCZOS)
    rgb = np.asarray(painting).astype(np.float32)
    y = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    delta = LumaMarker(KEY, 0xABCDEF, strength=1.0)(y)
    marked = np.clip(np.rint(rgb + delta[..., None]), 0, 255).astype(np.uint8)
    # a GIF-sized copy: a quarter of the size, where unzoomed 2x2 chips would be half a pixel
    small = np.asarray(Image.fromarray(marked).resize((480, 270), Image.LANCZOS))
    found = watermark.detect(small, KEY)
    assert found.found and found.payload == 0xABCDEF
    assert found.scale == pytest.approx(0.5, rel=0.01)  # half of the zoomed tile's size


def test_a_still_shot_that_wobbles_by_a_grey_level_keeps_one_mark() -> None:
    from artistshield.animation.mark import LumaMarker

    painting = Image.open(DATA / "painted-hills.png").convert("L").resize((640, 360))
    y = np.asarray(painting).astype(np.float32)
    marker = LumaMarker(KEY, 0xABCDEF, strength=1.0)
    first = marker(y)
    wobble = y.copy()
    wobble[100:104, 200:210] += 1.0  # what an H.264 still shot does from frame to frame
    assert marker(wobble) is first
    moved = y.copy()
    moved[100:140, 200:260] = y[120:160, 230:290]  # a small figure that moved
    changed = marker(moved)
    assert changed is not first and not np.array_equal(changed, first)
    # compared with the frame the mark was made for, so a slow fade cannot creep away
    fade = [moved + step for step in (1.0, 2.0, 3.0)]
    assert marker(fade[0]) is changed and marker(fade[1]) is changed
    assert marker(fade[2]) is not changed
