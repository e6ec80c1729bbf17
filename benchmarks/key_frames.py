"""Key frames: does one frame of a marked clip, found online, find the registered work?

Builds the 10-second 1080p30 clip of ``benchmarks/video.py`` (a pan, a zoom,
a diagonal pan over a cartoon, a still shot, figures moving over a
painting), marks it and registers it twice: with a fingerprint per key frame
(as ``artistshield mark`` does now) and, for comparison, with its first
frame's fingerprint only (as before key frames).  Every 10th frame of the
marked clip is then matched against each registry as is and as a stranger
reposts it (scaled to 720p, JPEG quality 75).  Four corpus pictures not in
the clip check that nothing else matches.  Also times the key-frame choice
per frame and the registration.

Reads ``../shared/corpus`` (beside the repository, not part of it) and exits
with one sentence when it is missing.

Run:  python benchmarks/key_frames.py [--json PATH]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import Table, add_json_option, need_corpus, save
from video import CORPUS, FPS, KEY, PAYLOAD, scenes, write_clip

from artistshield import animation
from artistshield.animation import keyframes

SECONDS = 10.0
KINDS = ["pan", "zoom", "cartoon pan", "still shot", "moving figures"]
UNRELATED = [
    "cartoon-halloween-outro.png",
    "cel-portrait-alpha.png",
    "cel-spookytree-alpha.png",
    "flat-futureprototype.png",
]


def reposted(pixels: np.ndarray) -> np.ndarray:
    image = Image.fromarray(pixels).resize((1280, 720), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=75)
    return np.asarray(Image.open(out).convert("RGB"))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_json_option(parser)
    args = parser.parse_args()
    need_corpus("benchmarks/key_frames.py")
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ARTISTSHIELD_HOME"] = tmp
        from artistshield import identity
        from artistshield.registry import Registry

        identity._SCRYPT = {"n": 2**4, "r": 8, "p": 1}  # the identity is not what is timed
        artist = identity.create("Bench", "pw")
        src = Path(tmp) / "clip.mp4"
        write_clip(src, scenes(SECONDS), SECONDS)

        spent = {"offer": 0.0}
        offer = keyframes.KeyFrameSelector.offer

        def timed_offer(self: keyframes.KeyFrameSelector, *args: object) -> bool:
            t = time.perf_counter()
            try:
                return offer(self, *args)  # type: ignore[arg-type]
            finally:
                spent["offer"] += time.perf_counter() - t

        keyframes.KeyFrameSelector.offer = timed_offer  # type: ignore[method-assign]
        t = time.perf_counter()
        marked = animation.mark_clip(src, Path(tmp) / "out", key=KEY, payload=PAYLOAD)
        mark_time = time.perf_counter() - t
        keyframes.KeyFrameSelector.offer = offer  # type: ignore[method-assign]

        rows = []
        chosen = [k.frame for k in marked.key_frames]
        rows.append(
            ("key frames chosen", f"{len(chosen)} of {marked.frames}", ", ".join(map(str, chosen)))
        )
        rows.append(
            (
                "mark clip (incl. choice)",
                f"{marked.frames / mark_time:.1f} fps",
                f"{mark_time:.1f} s",
            )
        )
        per = 1000 * spent["offer"] / marked.frames
        rows.append(("choosing, per frame", f"{per:.2f} ms", f"{spent['offer']:.2f} s in all"))

        with (
            Registry.open(Path(tmp) / "keys.sqlite3") as keyed,
            Registry.open(Path(tmp) / "first.sqlite3") as first,
        ):
            pictures = animation.pictures_of(marked.key_frames)
            t = time.perf_counter()
            work = keyed.add_work(
                marked.first_frame,
                file_path=marked.output,
                frame_count=marked.frames,
                key_frames=pictures,
                payload=PAYLOAD,
                identity=artist,
            )
            register_time = time.perf_counter() - t
            rows.append(
                (
                    "register (fingerprints)",
                    f"{register_time:.1f} s",
                    f"{len(pictures)} fingerprints, {len(work.key_frames)} key frames",
                )
            )
            first.add_work(
                marked.first_frame,
                file_path=marked.output,
                frame_count=marked.frames,
                payload=PAYLOAD,
                identity=artist,
            )
            with av.open(str(marked.output)) as clip:
                frames = [
                    (i, f.to_ndarray(format="rgb24"))
                    for i, f in enumerate(clip.decode(video=0))
                    if i % 10 == 5
                ]
            for label, registry in (("key frames", keyed), ("first frame only", first)):
                for as_is in (True, False):
                    found = dict.fromkeys(KINDS, 0)
                    total = dict.fromkeys(KINDS, 0)
                    t = time.perf_counter()
                    for i, pixels in frames:
                        kind = KINDS[(i // (2 * FPS)) % len(KINDS)]
                        total[kind] += 1
                        query = pixels if as_is else reposted(pixels)
                        best = registry.match(query, limit=1)
                        found[kind] += bool(best and best[0].is_match)
                    each = (time.perf_counter() - t) / len(frames)
                    result = ", ".join(f"{k} {found[k]}/{total[k]}" for k in KINDS)
                    kind = f"{label}, {'as is' if as_is else '720p JPEG'}"
                    figures[f"found: {kind}"] = f"{sum(found.values())}/{len(frames)}"
                    rows.append(
                        (
                            f"match: {label}, {'as is' if as_is else '720p JPEG'}",
                            f"{sum(found.values())}/{len(frames)} found",
                            f"{result}; {each:.2f} s each",
                        )
                    )
            false = 0
            for name in UNRELATED:
                pixels = np.asarray(Image.open(CORPUS / name).convert("RGB"))
                best = keyed.match(pixels, limit=1)
                false += bool(best and best[0].is_match)
            rows.append(("match: unrelated corpus art", f"{false}/{len(UNRELATED)} matched", ""))
            figures["unrelated matched"] = f"{false}/{len(UNRELATED)}"
            figures["key_frames"] = len(chosen)
            figures["choosing_ms_per_frame"] = round(per, 2)
    table = Table(
        "Key frames of a 10-second 1080p30 clip, and one frame of it found again",
        ["measure", "result", "details"],
    )
    for row in rows:
        table.add(*row)
    table.print()
    save("key_frames", tables=[table], figures=figures, path=args.json)


if __name__ == "__main__":
    main()
