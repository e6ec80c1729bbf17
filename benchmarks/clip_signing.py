"""What consent metadata and signed Content Credentials add to a marked 1080p MP4.

A marked clip is signed once it is written: c2pa copies the file with its
manifest inserted and hashes every byte outside it, so the cost grows with
the file, not with the frames.  For short 1920x1080 H.264 clips (24 fps, CRF
18 as marked clips are written) made from a painted test picture drifting a
pixel a frame, with fresh grain in every frame so the bit rate is that of
real footage, the median time of adding the
consent XMP box and of signing the finished file
(:meth:`~artistshield.provenance.signing.ContentSigner.sign_file`), each on
a fresh copy, in a throw-away data folder.  A frame folder's frames are
signed one by one as they are written, like stills: the second table is
the time added to each 1920x1080 PNG frame by the consent XMP/EXIF and by
signing its encoded bytes (:meth:`~artistshield.provenance.signing.ContentSigner.sign`).
Prints the tables and saves JSON.

    python benchmarks/clip_signing.py [--runs 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # before numpy loads

import av  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]

from _results import Table, add_json_option, save  # noqa: E402

from artistshield import identity, imageio  # noqa: E402
from artistshield.imageio.artwork import Artwork  # noqa: E402
from artistshield.provenance.consent import Consent, add_to_clip  # noqa: E402
from artistshield.provenance.signing import ContentSigner  # noqa: E402

PICTURE = ROOT / "tests" / "data" / "painted-hills.png"
SECONDS = (2, 8)
FPS = 24
PAYLOAD = 0x1234_5678_9ABC


def write_clip(path: Path, seconds: int) -> Path:
    """A 1920x1080 H.264 clip (CRF 18) of the test picture drifting, with grain."""
    picture = np.asarray(Image.open(PICTURE).convert("RGB").resize((1920, 1080)), np.int16)
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.height, stream.width = 1080, 1920
        stream.pix_fmt, stream.options = "yuv420p", {"crf": "18", "preset": "veryfast"}
        for i in range(seconds * FPS):
            grain = rng.integers(-4, 5, picture.shape, dtype=np.int16)
            pixels = np.clip(np.roll(picture, i, axis=1) + grain, 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def _timed(source: Path, folder: Path, runs: int, action: str, signer: ContentSigner) -> float:
    times = []
    for run in range(runs + 1):  # the first is a warm-up: imports, the certificate chain
        copy = shutil.copyfile(source, folder / f"{action}-{run}{source.suffix}")
        start = time.perf_counter()
        if action == "xmp":
            add_to_clip(copy, Consent(creator=signer.identity.name))
        else:
            signer.sign_file(copy, payload=PAYLOAD, title="benchmark")
        if run:
            times.append((time.perf_counter() - start) * 1000)
        copy.unlink()
    return statistics.median(times)


def _per_frame(runs: int, signer: ContentSigner) -> tuple[float, float, float]:
    """Frame KiB, and median ms to add the consent metadata and to sign one 1080p PNG frame.

    Encoding the few hundred bytes of metadata with the frame costs nothing
    measurable beside its pixels, so the merge of XMP and EXIF is what is timed.
    """
    picture = np.asarray(Image.open(PICTURE).convert("RGB").resize((1920, 1080)))
    frame = Artwork(picture, "PNG", "RGB")
    consent = Consent(creator=signer.identity.name)
    data = imageio.encode(consent.apply(frame), "frame.png")
    dressed, signed = [], []
    for run in range(runs + 1):  # the first is a warm-up
        start = time.perf_counter()
        consent.apply(frame)
        middle = time.perf_counter()
        signer.sign(data, "PNG", payload=PAYLOAD, title="benchmark")
        if run:
            dressed.append(middle - start)
            signed.append(time.perf_counter() - middle)
    xmp, sign = (statistics.median(t) * 1000 for t in (dressed, signed))
    return len(data) / 1024, xmp, sign


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    add_json_option(parser)
    args = parser.parse_args()

    table = Table(
        f"Consent XMP and C2PA signing of a marked 1920x1080 MP4, median of {args.runs} runs",
        ["clip", "frames", "MiB", "XMP box ms", "c2pa sign ms", "sign ms per MiB"],
    )
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as home:
        os.environ["ARTISTSHIELD_HOME"] = home
        signer = ContentSigner(identity.create("Benchmark Artist", None))
        for seconds in SECONDS:
            clip = write_clip(Path(home) / f"clip-{seconds}s.mp4", seconds)
            mib = clip.stat().st_size / 2**20
            xmp = _timed(clip, Path(home), args.runs, "xmp", signer)
            sign = _timed(clip, Path(home), args.runs, "sign", signer)
            table.add(
                f"{seconds} s", seconds * FPS, f"{mib:.1f}", f"{xmp:.1f}", f"{sign:.0f}",
                f"{sign / mib:.0f}",
            )
            figures[f"sign_ms_{seconds}s"] = round(sign, 1)
            figures[f"mib_{seconds}s"] = round(mib, 2)
        frames = Table(
            f"Consent XMP/EXIF and C2PA signing per 1920x1080 PNG frame of a frame folder, "
            f"median of {args.runs} runs",
            ["frame KiB", "XMP+EXIF ms", "c2pa sign ms", "added per frame ms"],
        )
        kib, xmp, sign = _per_frame(args.runs, signer)
        frames.add(f"{kib:.0f}", f"{xmp:.1f}", f"{sign:.1f}", f"{xmp + sign:.1f}")
        figures["frame_added_ms"] = round(xmp + sign, 1)
    table.print()
    frames.print()
    save(
        "clip_signing",
        tables=[table, frames],
        figures=figures,
        notes=["Each stage on a fresh copy of the clip; the copy itself is not timed."],
        path=args.json,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
