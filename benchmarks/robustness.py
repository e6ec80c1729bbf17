"""Robustness, quality and speed of the watermark, against invisible-watermark.

Marks every image of ../shared/corpus with each of three keys and payloads
(``--keys``; one key's layout can tip a borderline image), puts the
marked image (flattened over white, as a platform would) through every attack
of the engine issue and counts how often the exact payload is read back.  The
same is done, side by side, for invisible-watermark's dwtDct and dwtDctSvd
when that package is installed.  False positives: every unmarked image through
every attack under every key, and every marked image checked with a wrong key.

Quality: PSNR, and SSIMULACRA2 (the perceptual metric JPEG XL is tuned with;
100 is identical, about 90 visually lossless) per image beside a JPEG
quality-90 re-save of the same image, the compression platforms apply anyway:
the mark should score at least as high.  SSIMULACRA2 comes from the
``ssimulacra2`` package (``pip install -e .[bench]``; without it that table
is left out), or from the metric's reference tool when ``SSIMULACRA2`` names
it (see ssimulacra2_agreement.py: the package reads about 0.8 higher).

Honest accounting: a picture the engine refuses (nothing to mark: transparent,
one flat colour or a bare gradient) is listed apart with the reason and
counted in no rate.  Crop 50% is counted over the crops that hold drawn
content (the engine would mark the same crop of the unmarked picture); a crop
of one flat colour carries no mark by design and is listed apart.

Timings are per megapixel on one core (threads pinned to one before numpy
loads).  Reads ``../shared/corpus`` (beside the repository, not part of it)
and exits with one sentence when it is missing.

Run:  python benchmarks/robustness.py [--quick] [--keys N] [--images A,B] [--attacks A,B] [--json PATH]

``--images`` and ``--attacks`` keep only the images (by file stem) and
attacks named, for a quick look while tuning; such a run is not the
benchmark's figure and says so in its notes.
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
from attacks import ATTACKS, CONTENT_CHECKED, STRICT_TARGET_EXCEPTIONS, jpeg  # noqa: E402

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


def ssimulacra2_by() -> str:
    """Which SSIMULACRA2 scores: the reference tool named by $SSIMULACRA2, or the package."""
    tool = os.environ.get("SSIMULACRA2")
    return f"reference tool ({Path(tool).name})" if tool else "ssimulacra2 package (PyPI)"


def ssimulacra2(original: np.ndarray, changed: np.ndarray) -> float | None:
    """SSIMULACRA2 of RGB *changed* against *original*, or None without the package.

    With ``SSIMULACRA2=/path/to/ssimulacra2`` (the authors' C++ tool, see
    ssimulacra2_agreement.py), the reference tool scores instead: the package
    reads about 0.8 higher than it.
    """
    tool = os.environ.get("SSIMULACRA2")
    if tool:
        from ssimulacra2_agreement import reference_score

        return reference_score(Path(tool))(original, changed)
    return package_ssimulacra2(original, changed)


def package_ssimulacra2(original: np.ndarray, changed: np.ndarray) -> float | None:
    """SSIMULACRA2 by the ``ssimulacra2`` package, or None without it."""
    try:
        from ssimulacra2 import compute_ssimulacra2
    except ImportError:
        return None
    import io

    def png(pixels: np.ndarray) -> io.BytesIO:
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "PNG", compress_level=1)
        buffer.seek(0)
        return buffer

    return float(compute_ssimulacra2(png(original), png(changed)))


def refusal(rgba: np.ndarray) -> str:
    """Why the engine leaves *rgba* (or an opaque RGB picture) unmarked, in a few words."""
    if rgba.shape[-1] == 4 and rgba[..., 3].mean() < 0.05 * 255:
        return "fully or almost fully transparent"
    return "one flat colour or a bare gradient: no texture or edge to hide a mark in"


def holds_content(attack_name: str, original: np.ndarray) -> bool:
    """Whether *original* through the attack still holds something the engine would mark.

    Only asked for the attacks of CONTENT_CHECKED (a crop can be one flat colour).
    """
    if attack_name not in CONTENT_CHECKED:
        return True
    attacked = ATTACKS[attack_name](original)
    return min(attacked.shape[:2]) >= 32 and bool(watermark.mark_delta(attacked, KEY, PAYLOAD).any())


def _names(text: str) -> list[str]:
    return [name for name in text.split(",") if name]


def _label(stem: str, k: int) -> str:
    """An image's name under the k-th key: the stem for the first, "stem@k" after."""
    return stem if k == 0 else f"{stem}@{k}"


def corpus(stems: list[str] | None = None) -> list[tuple[str, np.ndarray]]:
    need_corpus("benchmarks/robustness.py")
    files = sorted(CORPUS.glob("*.png")) + sorted((CORPUS / "frames").glob("*.png"))
    if stems is not None:
        unknown = set(stems) - {f.stem for f in files}
        if unknown:
            sys.exit(f"No such corpus image: {', '.join(sorted(unknown))}.")
        files = [f for f in files if f.stem in stems]
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


def quality_table(
    marked: dict[str, np.ndarray], originals: dict[str, np.ndarray], psnrs: list[float]
) -> tuple[Table, dict[str, object]] | None:
    """Per image (first key): PSNR, and SSIMULACRA2 of the mark and of a JPEG 90 re-save.

    None when the ssimulacra2 package is missing.
    """
    table = Table("Quality per image (first key): the mark beside a JPEG quality-90 re-save",
                  ["image", "PSNR (dB)", "SSIMULACRA2 mark", "SSIMULACRA2 JPEG 90", "mark >= JPEG 90"])
    scores, below = [], []
    for (label, out), db in zip(marked.items(), psnrs, strict=True):
        if "@" in label:
            continue
        original = originals[label]
        mark_score = ssimulacra2(original, out)
        if mark_score is None:
            print("(ssimulacra2 not installed: pip install -e .[bench]; no SSIMULACRA2 table)")
            return None
        jpeg_score = ssimulacra2(original, jpeg(original, 90))
        assert jpeg_score is not None
        scores.append(mark_score)
        if mark_score < jpeg_score:
            below.append(label)
        table.add(label, f"{db:.1f}", f"{mark_score:.1f}", f"{jpeg_score:.1f}",
                  "yes" if mark_score >= jpeg_score else "NO")
        print(f"{label}: SSIMULACRA2 {mark_score:.1f} (JPEG 90: {jpeg_score:.1f})", flush=True)
    table.add("median", f"{np.median(psnrs):.1f}", f"{np.median(scores):.1f}", "", ">= 90 wanted")
    figures: dict[str, object] = {
        "ssimulacra2_median": round(float(np.median(scores)), 1),
        "ssimulacra2_worst": round(float(np.min(scores)), 1),
        "ssimulacra2_below_jpeg90": below,
        "ssimulacra2_by": ssimulacra2_by(),
    }
    return table, figures


def against_dwtdct(per_mp: dict[str, tuple[float, float]], unmarked: float) -> dict[str, float]:
    """ArtistShield's CPU time per megapixel over invisible-watermark dwtDct's.

    *per_mp*: (embed, detect) seconds per megapixel by engine; *unmarked*: the engine's
    detect seconds per megapixel on unmarked pictures.

    The issue's targets: embedding no slower than dwtDct, detection within three times its
    decode; an unmarked picture costs the engine its full search, so that ratio is given
    too.  Empty without invisible-watermark.
    """
    ours, theirs = "ArtistShield", "iw-dwtDct"
    if theirs not in per_mp or not all(per_mp[theirs]):
        return {}
    return {
        "embed_vs_dwtdct": round(per_mp[ours][0] / per_mp[theirs][0], 3),
        "detect_vs_dwtdct": round(per_mp[ours][1] / per_mp[theirs][1], 3),
        "detect_unmarked_vs_dwtdct": round(unmarked / per_mp[theirs][1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the false-positive sweep")
    parser.add_argument("--keys", type=int, default=3, help="watermark keys pooled (default 3)")
    parser.add_argument("--images", type=_names, help="only these corpus images (file stems, comma-separated)")
    parser.add_argument("--attacks", type=_names, help="only these attacks (comma-separated)")
    add_json_option(parser)
    args = parser.parse_args()
    keys = secrets(args.keys)
    attacks = ATTACKS
    if args.attacks is not None:
        unknown = set(args.attacks) - set(ATTACKS)
        if unknown:
            sys.exit(f"No such attack: {', '.join(sorted(unknown))} (see benchmarks/attacks.py).")
        attacks = {name: attack for name, attack in ATTACKS.items() if name in args.attacks}

    images = corpus(args.images)
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
    # megapixels marked and checked by each engine (a refused picture is marked, never checked)
    embed_mp: dict[str, float] = dict.fromkeys(engines, 0.0)
    detect_mp: dict[str, float] = dict.fromkeys(engines, 0.0)
    unmarked_mp = 0.0
    unmarked_s = 0.0
    unmarkable: dict[str, str] = {}
    originals: dict[str, np.ndarray] = {}
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
                embed_mp[name] += mp
                if engine is None and np.array_equal(out, flatten(rgba)):
                    unmarkable[stem] = refusal(rgba)
                    break
                originals[stem] = flatten(rgba)
                psnrs[name].append(psnr(flatten(rgba), out))
                marked[name][label] = out
                secret[label] = (key, payload)
                t = time.process_time()
                ok = watermark.detect(out, key).payload == payload if engine is None else engine.found(out)  # type: ignore[attr-defined]
                detect_s[name] += time.process_time() - t
                detect_mp[name] += mp
                assert ok or engine is not None, f"{label}: unattacked mark not read"
                if engine is None:  # an unmarked image costs the whole search
                    unmarked = flatten(rgba)
                    t = time.process_time()
                    watermark.detect(unmarked, key)
                    unmarked_s += time.process_time() - t
                    unmarked_mp += mp

    names = list(engines)
    notes = [f"Corpus: {len(images)} images from ../shared/corpus."]
    subset = args.images is not None or args.attacks is not None
    if subset:
        notes.append("A subset (--images/--attacks): not the benchmark's figure.")
    if unmarkable:
        notes.append("Refused, nothing to mark, so left out of every rate (never a pass): " + "; ".join(
            f"{stem} ({why})" for stem, why in unmarkable.items()) + ".")
    counted = len(marked["ArtistShield"])
    quality = quality_table(marked["ArtistShield"], originals, psnrs["ArtistShield"])
    table = Table(
        f"Detection rate with the exact payload, over {counted} marked images "
        f"({counted // len(keys)} images x {len(keys)} keys; other engines: one mark each)",
        ["attack", *names, "target"],
    )
    means = dict.fromkeys(names, 0.0)
    failures: dict[str, list[str]] = {}
    # a refused picture is listed apart above, not again as a blank crop
    drawn = {stem: original for stem, original in originals.items() if stem not in unmarkable}
    for attack_name, attack in attacks.items():
        row = []
        blank_crops = sorted(stem for stem, original in drawn.items()
                             if not holds_content(attack_name, original))
        if blank_crops:
            notes.append(f"{attack_name}: counted over the {len(drawn) - len(blank_crops)} "
                         "marked pictures where it leaves drawn content; left out, one flat "
                         f"colour after the attack (no mark by design): {', '.join(blank_crops)}.")
        for name, engine in engines.items():
            hits = 0
            counted_here = 0
            for label, out in marked[name].items():
                if label.split("@")[0] in blank_crops:
                    continue
                counted_here += 1
                attacked = attack(out)
                if engine is None:
                    key, payload = secret[label]
                    ok = watermark.detect(attacked, key).payload == payload
                    if not ok:
                        failures.setdefault(attack_name, []).append(label)
                else:
                    ok = engine.found(attacked)  # type: ignore[attr-defined]
                hits += ok
            rate = hits / max(counted_here, 1)
            means[name] += rate / len(attacks)
            row.append(f"{rate:.2f}")
        target = STRICT_TARGET_EXCEPTIONS.get(attack_name, 0.95)
        table.add(attack_name, *row, "report" if target is None else f">= {target:.2f}")
        print(f"{attack_name}: {' '.join(row)}", flush=True)
    blank = [""] * (len(names) - 1)
    table.add("mean over attacks", *(f"{means[n]:.2f}" for n in names), "")
    table.add("PSNR median (dB)", *(f"{np.median(psnrs[n]):.1f}" for n in names), ">= 42")
    table.add("PSNR worst (dB)", *(f"{np.min(psnrs[n]):.1f}" for n in names), ">= 38")
    table.add("embed s/MP (1 core)",
              *(f"{embed_s[n] / embed_mp[n]:.3f}" for n in names), "")
    table.add("detect s/MP (1 core)",
              *(f"{detect_s[n] / detect_mp[n]:.3f}" for n in names), "")
    table.add("detect s/MP, unmarked (the full search)",
              f"{unmarked_s / unmarked_mp:.3f}", *blank, "")
    per_mp = {n: (embed_s[n] / embed_mp[n], detect_s[n] / detect_mp[n]) for n in names}
    speed = against_dwtdct(per_mp, unmarked_s / unmarked_mp)
    if speed:
        table.add("embed time / dwtDct's", f"{speed['embed_vs_dwtdct']:.2f}", *blank, "<= 1")
        table.add("detect time / dwtDct's decode (marked; unmarked)",
                  f"{speed['detect_vs_dwtdct']:.2f}; {speed['detect_unmarked_vs_dwtdct']:.2f}",
                  *blank, "<= 3")
    table.print()
    if quality is not None:
        quality[0].print()
    figures: dict[str, object] = {
        "images": counted // len(keys),
        "keys": len(keys),
        "mean_rate": round(means["ArtistShield"], 4),
        "psnr_median_db": round(float(np.median(psnrs["ArtistShield"])), 2),
        "psnr_worst_db": round(float(np.min(psnrs["ArtistShield"])), 2),
        "embed_s_per_mp": round(per_mp["ArtistShield"][0], 4),
        "detect_s_per_mp": round(per_mp["ArtistShield"][1], 4),
        "detect_unmarked_s_per_mp": round(unmarked_s / unmarked_mp, 4),
        # the refused pictures counted as missed under every attack, beside the rate over marks
        "mean_rate_refused_as_missed": round(
            means["ArtistShield"] * (counted // len(keys)) / (counted // len(keys) + len(unmarkable)), 4),
        "refused": len(unmarkable),
        **speed,
    }
    if quality is not None:
        figures.update(quality[1])
        below = quality[1]["ssimulacra2_below_jpeg90"]
        notes.append("SSIMULACRA2 of the mark below a JPEG 90 re-save's: "
                     f"{', '.join(below) if below else 'none'}.")
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
            for attack in attacks.values():
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
    tables = [table] if quality is None else [table, quality[0]]
    if subset and args.json is None:
        print("(a subset: not saved over the benchmark's record; --json PATH keeps it)")
        return
    save("robustness", tables=tables, figures=figures, notes=notes, path=args.json)

if __name__ == "__main__":
    main()
