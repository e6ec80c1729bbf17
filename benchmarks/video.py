"""Video: survival, false positives, speed and memory of marking and checking clips.

Builds a 10-second 1080p, 30 fps clip from ../shared/corpus art (camera pans
and zooms across the paintings, a still shot, the corpus frames), with a
stereo AAC sine, marks it with ``animation.mark_clip`` (H.264, CRF 18,
preset faster, x264 frame threads; our mask runs on two worker threads) and
checks it with ``animation.detect_clip`` after each attack of the issue.
Peak RSS of marking alone is measured in a child process that marks a 5 s and a 20 s clip.

Reads ``../shared/corpus`` (beside the repository, not part of it) and exits
with one sentence when it is missing.

Run:  python benchmarks/video.py [--quick] [--json PATH]   (--quick skips the 20 s memory run)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from _results import Table, add_json_option, need_corpus, save
from memory import peak_rss_mb
from PIL import Image

from artistshield import animation

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
KEY = bytes.fromhex("5a" * 32)
PAYLOAD = 0x1234_5678_9ABC
FPS = 30
W, H = 1920, 1080


def _art(name: str, width: int) -> Image.Image:
    im = Image.open(CORPUS / name).convert("RGB")
    return im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)


def scenes(seconds: float) -> Iterator[np.ndarray]:
    """Yield 1080p frames: pans, a zoom, a still shot and the corpus frames, in turn."""
    n = round(seconds * FPS)
    pan = _art("painted-mountains.png", 2600)
    bridge = Image.open(CORPUS / "painted-bridge.png").convert("RGB")
    snow = _art("cartoon-snowmountains.png", 2400)
    still = np.asarray(Image.open(CORPUS / "flat-moonlight.png").convert("RGB").resize((W, H)))
    ghosts = [Image.open(p).convert("RGBA") for p in sorted((CORPUS / "frames").glob("*.png"))]
    hills = _art("painted-hills.png", W)
    for i in range(n):
        kind, t = divmod(i, 2 * FPS)
        kind %= 5
        u = t / (2 * FPS)
        if kind == 0:  # pan right across a painting
            x, y = round(u * (pan.width - W)), (pan.height - H) // 3
            yield np.asarray(pan.crop((x, y, x + W, y + H)))
        elif kind == 1:  # slow zoom in
            z = 1.0 + 0.5 * u
            cw, ch = bridge.width / z, bridge.width / z * H / W
            left, top = (bridge.width - cw) / 2, (bridge.height - ch) / 2
            yield np.asarray(bridge.resize((W, H), Image.BILINEAR, box=(left, top, left + cw, top + ch)))
        elif kind == 2:  # diagonal pan across a cartoon
            x, y = round(u * (snow.width - W)), round(u * (snow.height - H))
            yield np.asarray(snow.crop((x, y, x + W, y + H)))
        elif kind == 3:  # a still shot
            yield still
        else:  # the corpus frames over a painting, alternating
            canvas = hills.crop((0, 0, W, H)).copy()
            ghost = ghosts[(t // 6) % len(ghosts)].resize((900, 829))
            canvas.paste(ghost, (500 + 2 * t, 150), ghost)
            yield np.asarray(canvas)


def write_clip(path: Path, frames: Iterator[np.ndarray], seconds: float) -> None:
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = W, H, "yuv420p"
        v.options = {"crf": "14", "preset": "veryfast"}
        a = out.add_stream("aac", rate=48000)
        for i, f in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(f, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            out.mux(v.encode(frame))
        out.mux(v.encode())
        wave = (0.2 * np.sin(2 * np.pi * 330 * np.arange(int(48000 * seconds)) / 48000)).astype(np.float32)
        for s in range(0, len(wave), 1024):
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(np.stack([wave[s : s + 1024]] * 2)),
                                            format="fltp", layout="stereo")
            af.sample_rate, af.pts = 48000, s
            out.mux(a.encode(af))
        out.mux(a.encode())


def reencode(src: Path, dst: Path, *, crf: int = 23, height: int | None = None,
             start: float = 0.0, seconds: float | None = None) -> Path:
    """Re-encode *src* (H.264), optionally scaled to *height* and trimmed."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        h = height or vin.codec_context.height
        w = round(vin.codec_context.width * h / vin.codec_context.height / 2) * 2
        v = out.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        v.options = {"crf": str(crf), "preset": "veryfast"}
        n = 0
        for i, frame in enumerate(inp.decode(vin)):
            t = i / FPS
            if t < start or (seconds is not None and t >= start + seconds):
                continue
            f = frame.reformat(width=w, height=h, format="yuv420p", interpolation="BICUBIC")
            f.pts, f.time_base = n, Fraction(1, FPS)
            n += 1
            out.mux(v.encode(f))
        out.mux(v.encode())
    return dst


def to_gif(src: Path, dst: Path, *, width: int = 480, fps: int = 10) -> Path:
    """Convert to a 480 px wide, 256-colour GIF (octree palette per frame, Floyd-Steinberg)."""
    frames = []
    with av.open(str(src)) as inp:
        for i, frame in enumerate(inp.decode(video=0)):
            if i % (FPS // fps) == 0:
                im = frame.to_image()
                im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)
                frames.append(im.quantize(256, method=Image.Quantize.FASTOCTREE,
                                          dither=Image.Dither.FLOYDSTEINBERG))
    frames[0].save(dst, save_all=True, append_images=frames[1:], duration=1000 // fps, loop=0)
    return dst


def verdict(path: Path) -> tuple[str, float, str]:
    t = time.perf_counter()
    found = animation.detect_clip(path, KEY)
    spent = time.perf_counter() - t
    d = found.detection
    ok = "FOUND, right payload" if d.payload == PAYLOAD else ("found, WRONG payload" if d.found else "not found")
    return ok, spent, f"p={d.p_value:.1e} z={d.score:.1f} frames {found.frames_checked} (step {found.step})"


def child_mark(clip: Path) -> None:
    """Mark *clip* and print the marking's fps, peak RSS and RSS before marking (MB).

    Runs in a child process that only marks, so its peak is the marking's.
    """
    with tempfile.TemporaryDirectory() as tmp:
        base = peak_rss_mb()
        t = time.perf_counter()
        marked = animation.mark_clip(clip, Path(tmp) / "out", key=KEY, payload=PAYLOAD)
        spent = time.perf_counter() - t
        print(f"{marked.frames / spent:.2f} {peak_rss_mb():.0f} {base:.0f} {marked.psnr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", type=Path, help="mark this clip and print fps and peak RSS")
    add_json_option(parser)
    args = parser.parse_args()
    need_corpus("benchmarks/video.py")
    if args.child:
        child_mark(args.child)
        return
    figures: dict[str, float] = {}
    checks: list[float] = []
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        src = d / "clip.mp4"
        write_clip(src, scenes(10), 10)
        t = time.perf_counter()
        marked = animation.mark_clip(src, d / "out", key=KEY, payload=PAYLOAD)
        spent = time.perf_counter() - t
        figures["mark_fps_10s"] = round(marked.frames / spent, 2)
        figures["mark_psnr_db"] = marked.psnr
        rows.append(("mark 10 s 1080p30 (CRF 18, faster)", f"{marked.frames / spent:.1f} fps",
                     f"{spent:.1f} s", f"{marked.frames} frames, PSNR {marked.psnr} dB"))
        m = marked.output
        attacks = {
            "marked, as written": m,
            "H.264 CRF 28": reencode(m, d / "crf28.mp4", crf=28),
            "downscale 720p (CRF 23)": reencode(m, d / "720.mp4", height=720),
            "downscale 480p (CRF 23)": reencode(m, d / "480.mp4", height=480),
            **{f"trim 2 s from {s} s (CRF 23)": reencode(m, d / f"trim{s}.mp4", start=s, seconds=2)
               for s in (0, 3, 6, 8)},
            "GIF 480 px, 256 colours, 10 fps": to_gif(m, d / "clip.gif"),
            "UNMARKED original": src,
            "UNMARKED, CRF 28": reencode(src, d / "u28.mp4", crf=28),
            "UNMARKED, 480p": reencode(src, d / "u480.mp4", height=480),
        }
        for name, path in attacks.items():
            ok, secs, note = verdict(path)
            checks.append(secs)
            figures["checks_right"] = figures.get("checks_right", 0) + (ok == "FOUND, right payload")
            unmarked = name.startswith("UNMARKED")
            figures["marked_checks"] = figures.get("marked_checks", 0) + (not unmarked)
            figures["unmarked_found"] = figures.get("unmarked_found", 0) + (
                unmarked and ok != "not found"
            )
            rows.append((f"check: {name}", ok, f"{secs:.1f} s", note))
    for seconds in (5,) if args.quick else (5, 20):
        with tempfile.TemporaryDirectory() as tmp:
            clip = Path(tmp) / "clip.mp4"
            write_clip(clip, scenes(seconds), seconds)
            out = subprocess.run([sys.executable, __file__, "--child", str(clip)],
                                 capture_output=True, text=True, check=True).stdout.split()
        figures[f"peak_rss_mb_{seconds}s"] = float(out[1])
        rows.append((f"mark {seconds} s clip: peak RSS", f"{out[1]} MB", f"{out[0]} fps",
                     f"RSS before marking {out[2]} MB"))
    figures["check_s_slowest"] = round(max(checks), 2)
    figures["checks"] = len(checks)
    table = Table(
        "A 10-second 1080p30 clip: marking, checks after each attack, memory",
        ["run", "result", "time or rate", "details"],
    )
    for r in rows:
        table.add(*r)
    table.print()
    save("video", tables=[table], figures=figures, path=args.json)

if __name__ == "__main__":
    main()
