"""Robustness, quality and speed of the watermark, against invisible-watermark.

Marks every image of ../shared/corpus with each of three keys and payloads
(``--keys``; one key's layout can tip a borderline image), puts the
marked image (flattened over white, as a platform would) through every attack
of the engine issue and counts how often the exact payload is read back.  The
same is done, side by side, for invisible-watermark's dwtDct and dwtDctSvd
when that package is installed.  False positives: every unmarked image through
every attack under every key, and every marked image checked with a wrong key.

Timings are per megapixel on one core (threads pinned to one before numpy
loads).  Reads ``../shared/corpus`` (beside the repository, not part of it)
and exits with one sentence when it is missing.

Run:  python benchmarks/robustness.py [--quick] [--keys N] [--json PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import Table, add_json_option, need_corpus, save  # noqa: E402
from attacks import ATTACKS, STRICT_TARGET_EXCEPTIONS  # noqa: E402

from artistshield import watermark  # noqa: E402
from artistshield.mark import psnr  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
KEY = bytes.fromhex("5a" * 16 + "c3" * 16)
WRONG_KEY = bytes.fromhex("a5" * 32)
PAYLOAD = 0x5EC12E7A11CE


def secrets(count: int) -> list[tuple[bytes, int]]:
    """(key, payload) pairs: the fixed one, then ones derived from a counter.

    One key's layout makes a borderline image pass or fail, so the rates pool
    several keys: with ten images a single key moves a rate by 0.1.
    """
    pairs = [(KEY, PAYLOAD)]
    for k in range(1, count):
        digest = hashlib.sha256(b"ArtistShield robustness key %d" % k).digest()
        pairs.append((digest, int.from_bytes(hashlib.sha256(digest).digest()[:6], "big")))
    return pairs
IW_BYTES = b"ArSh"


def _label(stem: str, k: int) -> str:
    """An image's name under the k-th key: the stem for the first, "stem@k" after."""
    return stem if k == 0 else f"{stem}@{k}"


def corpus() -> list[tuple[str, np.ndarray]]:
    need_corpus("benchmarks/robustness.py")
    files = sorted(CORPUS.glob("*.png")) + sorted((CORPUS / "frames").glob("*.png"))
    return [(f.stem, np.asarray(Image.open(f).convert("RGBA"))) for f in files]


def flatten(pixels: np.ndarray) -> np.ndarray:
    alpha = pixels[..., 3:].astype(np.float64) / 255.0
    return np.rint(pixels[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)


class InvisibleWatermark:
    """invisible-watermark's methods, if installed (BGR arrays, 32-bit payload)."""

    def __init__(self, method: str) -> None:
        from imwatermark import WatermarkDecoder, WatermarkEncoder

        self.method = method
        self.encoder = WatermarkEncoder()
        self.encoder.set_watermark("bytes", IW_BYTES)
        self.decoder = WatermarkDecoder("bytes", 32)

    def embed(self, rgb: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(self.encoder.encode(rgb[..., ::-1].copy(), self.method)[..., ::-1])

    def found(self, rgb: np.ndarray) -> bool:
        try:
            return self.decoder.decode(rgb[..., ::-1].copy(), self.method) == IW_BYTES
        except Exception:  # it raises on images too small for its blocks
            return False


def peak_memory_4k() -> float:
    """Peak RSS (MB) of a fresh process that marks one 4096x2160 frame."""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
        "from memory import peak_rss_mb\n"
        "import numpy as np\n"
        "from artistshield import watermark\n"
        "rng = np.random.default_rng(0)\n"
        "img = np.clip(rng.normal(128, 40, (2160, 4096, 3)), 0, 255).astype(np.uint8)\n"
        f"watermark.embed(img, {KEY!r}, 1)\n"
        "print(peak_rss_mb())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the false-positive sweep")
    parser.add_argument("--keys", type=int, default=3, help="watermark keys pooled (default 3)")
    add_json_option(parser)
    args = parser.parse_args()
    keys = secrets(args.keys)

    images = corpus()
    engines: dict[str, object] = {"ArtistShield": None}
    try:
        for method in ("dwtDct", "dwtDctSvd"):
            engines[f"iw-{method}"] = InvisibleWatermark(method)
    except ImportError:
        print("(invisible-watermark not installed: its columns are left out)")

    # label (see _label) -> marked pixels
    marked: dict[str, dict[str, np.ndarray]] = {name: {} for name in engines}
    secret: dict[str, tuple[bytes, int]] = {}
    psnrs: dict[str, list[float]] = {name: [] for name in engines}
    embed_s: dict[str, float] = dict.fromkeys(engines, 0.0)
    detect_s: dict[str, float] = dict.fromkeys(engines, 0.0)
    megapixels = 0.0
    unmarked_s = 0.0
    unmarkable = []
    for stem, rgba in images:
        mp = rgba.shape[0] * rgba.shape[1] / 1e6
        for name, engine in engines.items():
            for k, (key, payload) in enumerate(keys if engine is None else keys[:1]):
                label = _label(stem, k)
                t = time.process_time()
                if engine is None:
                    out = flatten(watermark.embed(rgba, key, payload))
                else:
                    out = engine.embed(flatten(rgba))  # type: ignore[attr-defined]
                embed_s[name] += time.process_time() - t
                if engine is None and np.array_equal(out, flatten(rgba)):
                    unmarkable.append(stem)
                    break
                psnrs[name].append(psnr(flatten(rgba), out))
                marked[name][label] = out
                secret[label] = (key, payload)
                t = time.process_time()
                ok = watermark.detect(out, key).payload == payload if engine is None else engine.found(out)  # type: ignore[attr-defined]
                detect_s[name] += time.process_time() - t
                assert ok or engine is not None, f"{label}: unattacked mark not read"
                if engine is None:  # an unmarked image costs the whole search
                    unmarked = flatten(rgba)
                    t = time.process_time()
                    watermark.detect(unmarked, key)
                    unmarked_s += time.process_time() - t
        megapixels += mp

    names = list(engines)
    notes = [f"Corpus: {len(images)} images from ../shared/corpus."]
    if unmarkable:
        notes.append("Left out, nothing visible to mark (fully or almost fully transparent): "
                     f"{', '.join(unmarkable)}.")
    counted = len(marked["ArtistShield"])
    table = Table(
        f"Detection rate with the exact payload, over {counted} marked images "
        f"({counted // len(keys)} images x {len(keys)} keys; other engines: one mark each)",
        ["attack", *names, "target"],
    )
    means = dict.fromkeys(names, 0.0)
    failures: dict[str, list[str]] = {}
    for attack_name, attack in ATTACKS.items():
        row = []
        for name, engine in engines.items():
            hits = 0
            for label, out in marked[name].items():
                attacked = attack(out)
                if engine is None:
                    key, payload = secret[label]
                    ok = watermark.detect(attacked, key).payload == payload
                    if not ok:
                        failures.setdefault(attack_name, []).append(label)
                else:
                    ok = engine.found(attacked)  # type: ignore[attr-defined]
                hits += ok
            rate = hits / max(len(marked[name]), 1)
            means[name] += rate / len(ATTACKS)
            row.append(f"{rate:.2f}")
        target = STRICT_TARGET_EXCEPTIONS.get(attack_name, 0.95)
        table.add(attack_name, *row, "report" if target is None else f">= {target:.2f}")
        print(f"{attack_name}: {' '.join(row)}", flush=True)
    runs = {n: len(keys) if engines[n] is None else 1 for n in names}  # marks made per image
    blank = [""] * (len(names) - 1)
    table.add("mean over attacks", *(f"{means[n]:.2f}" for n in names), "")
    table.add("PSNR median (dB)", *(f"{np.median(psnrs[n]):.1f}" for n in names), ">= 42")
    table.add("PSNR worst (dB)", *(f"{np.min(psnrs[n]):.1f}" for n in names), ">= 38")
    table.add("embed s/MP (1 core)",
              *(f"{embed_s[n] / megapixels / runs[n]:.3f}" for n in names), "")
    table.add("detect s/MP (1 core)",
              *(f"{detect_s[n] / megapixels / runs[n]:.3f}" for n in names), "")
    table.add("detect s/MP, unmarked (the full search)",
              f"{unmarked_s / megapixels / len(keys):.3f}", *blank, "")
    table.print()
    figures: dict[str, object] = {
        "images": counted // len(keys),
        "keys": len(keys),
        "mean_rate": round(means["ArtistShield"], 4),
        "psnr_median_db": round(float(np.median(psnrs["ArtistShield"])), 2),
        "psnr_worst_db": round(float(np.min(psnrs["ArtistShield"])), 2),
        "embed_s_per_mp": round(embed_s["ArtistShield"] / megapixels / len(keys), 4),
        "detect_s_per_mp": round(detect_s["ArtistShield"] / megapixels / len(keys), 4),
        "detect_unmarked_s_per_mp": round(unmarked_s / megapixels / len(keys), 4),
    }
    if failures:
        notes.append("ArtistShield misses (@k: the k-th extra key): " + "; ".join(
            f"{attack_name}: {', '.join(stems)}" for attack_name, stems in failures.items()))
    peak = peak_memory_4k()
    figures["peak_mb_4k_frame"] = round(peak)
    notes.append(f"Peak memory marking one 4096x2160 frame: {peak:.0f} MB (target <= 1536).")

    if args.quick:
        notes.append("Run with --quick: no false-positive sweep.")
    else:
        tests = found = 0
        smallest = 1.0
        for stem, rgba in images:
            plain = flatten(rgba)
            for attack in ATTACKS.values():
                checks = [(plain, key) for key, _ in keys]  # unmarked, under every key
                checks += [(marked["ArtistShield"].get(_label(stem, k)), WRONG_KEY)
                           for k in range(len(keys))]  # marked, under the wrong key
                for pixels, key in checks:
                    if pixels is None:
                        continue
                    d = watermark.detect(attack(pixels), key)
                    tests += 1
                    found += d.found
                    smallest = min(smallest, d.p_value)
        figures.update(false_positives=found, false_checks=tests, smallest_p=float(f"{smallest:.3g}"))
        notes.append(f"False positives: {found} of {tests} checks (unmarked images and wrong key, "
                     f"every attack); smallest p-value {smallest:.3g}.")
    print("\n" + "\n".join(notes))
    save("robustness", tables=[table], figures=figures, notes=notes, path=args.json)

if __name__ == "__main__":
    main()
