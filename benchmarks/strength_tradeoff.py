"""The strength slider's trade-off: detection rate against SSIMULACRA2, strength 0.5 to 2.0.

Marks every image of ../shared/corpus (one key) at each strength, scores the
marked copy with SSIMULACRA2 against the original (100 is identical, about 90
visually lossless) beside a JPEG quality-90 re-save of the same image, and
counts how often the exact payload is read back after the attacks where
misses happen (``--attacks all`` for every attack of benchmarks/attacks.py;
crop 50% only over crops that hold drawn content, as in robustness.py).
Saves the figures as ``strength_tradeoff`` and draws them, from that record,
as docs/strength-tradeoff.svg (``--plot`` redraws it from the saved record
without measuring).  The app's strength slider words its scale from these
figures: each run also writes them to ``resources/strength.json``, which
``artistshield/gui/mark_options.py`` reads (``--plot`` rewrites it too).
Needs the ``bench`` extra (``pip install -e .[bench]``) for SSIMULACRA2.

Run:  python benchmarks/strength_tradeoff.py [--attacks all] [--images A,B] [--plot] [--json PATH]

``--images`` keeps only the corpus images named (file stems), for a quick
look; such a run is not the benchmark's figure, and is neither saved over its
record nor given to the app unless ``--json PATH`` says where to keep it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import RESULTS, ROOT, Table, add_json_option, save  # noqa: E402
from attacks import ATTACKS, jpeg, scale  # noqa: E402
from robustness import (  # noqa: E402
    KEY,
    PAYLOAD,
    _names,
    corpus,
    flatten,
    holds_content,
    ssimulacra2,
    ssimulacra2_by,
)

from artistshield import watermark  # noqa: E402

STRENGTHS = (0.5, 0.75, 1.0, 1.5, 2.0)
#: Where the robustness benchmark's misses happen (the rest read at every strength), and
#: one edit that is not among its attacks: half size, then JPEG 50 (a thumbnail repost),
#: which a painting's lighter mark at strength 1 no longer survives (issue 24).
HARD_ATTACKS = ("jpeg50", "scale0.5", "crop50", "rot5", "blur1.5", "instagram", "screenshot",
                "crop80_scale0.7_jpeg70", "jpeg30", "rot15", "scale0.5_jpeg50")
EXTRA_ATTACKS = {"scale0.5_jpeg50": lambda p: jpeg(scale(p, 0.5), 50)}
PLOT = ROOT / "docs" / "strength-tradeoff.svg"
#: What the app's strength slider reads (artistshield/gui/mark_options.py).
SLIDER = ROOT / "resources" / "strength.json"


def measure(attack_names: list[str], stems: list[str] | None = None) -> tuple[Table, dict[str, object], list[str]]:
    images = corpus(stems)
    table = Table(f"Per strength, over the corpus (one key; detection over: {', '.join(attack_names)})",
                  ["strength", "SSIMULACRA2 median", "SSIMULACRA2 worst (image)",
                   "images >= JPEG 90", "detection rate", "weakest attack (rate)",
                   "scale 0.5 + JPEG 50"])
    rows: list[dict[str, object]] = []
    jpeg_scores: dict[str, float] = {}
    notes: list[str] = []
    for strength in STRENGTHS:
        scores: dict[str, float] = {}
        hits: dict[str, list[bool]] = {name: [] for name in attack_names}
        for stem, rgba in images:
            original = flatten(rgba)
            out = flatten(watermark.embed(rgba, KEY, PAYLOAD, strength=strength))
            if np.array_equal(out, original):
                continue  # refused: listed apart by robustness.py, counted nowhere
            if stem not in jpeg_scores:
                jpeg_scores[stem] = need(ssimulacra2(original, jpeg(original, 90)))
            scores[stem] = need(ssimulacra2(original, out))
            for name in attack_names:
                if holds_content(name, original):
                    attack = EXTRA_ATTACKS.get(name) or ATTACKS[name]
                    hits[name].append(watermark.detect(attack(out), KEY).payload == PAYLOAD)
        rates = {name: sum(h) / len(h) for name, h in hits.items() if h}
        worst_stem = min(scores, key=scores.__getitem__)
        at_jpeg = sum(scores[s] >= jpeg_scores[s] for s in scores)
        weakest = min(rates, key=rates.__getitem__)
        row = {
            "strength": strength,
            "ssimulacra2_median": round(float(np.median(list(scores.values()))), 1),
            "ssimulacra2_worst": round(scores[worst_stem], 1),
            "worst_image": worst_stem,
            "at_or_above_jpeg90": at_jpeg,
            "images": len(scores),
            "detection_rate": round(float(np.mean(list(rates.values()))), 3),
            "weakest_attack": weakest,
            "weakest_rate": round(rates[weakest], 2),
            "rates": {name: round(rate, 2) for name, rate in rates.items()},
            "per_image": {s: round(v, 1) for s, v in scores.items()},
        }
        rows.append(row)
        table.add(f"{strength:.2f}", f"{row['ssimulacra2_median']:.1f}",
                  f"{row['ssimulacra2_worst']:.1f} ({worst_stem})", f"{at_jpeg} of {len(scores)}",
                  f"{row['detection_rate']:.3f}", f"{weakest} ({rates[weakest]:.2f})",
                  f"{rates['scale0.5_jpeg50']:.2f}" if "scale0.5_jpeg50" in rates else "")
        print(table.rows[-1], flush=True)
    notes.append("SSIMULACRA2 of a JPEG quality-90 re-save, per image: " + ", ".join(
        f"{s} {v:.1f}" for s, v in jpeg_scores.items()) + f"; median {np.median(list(jpeg_scores.values())):.1f}.")
    figures: dict[str, object] = {"strengths": rows, "jpeg90": {s: round(v, 1) for s, v in jpeg_scores.items()},
                                  "attacks": attack_names}
    return table, figures, notes


def need(score: float | None) -> float:
    if score is None:
        sys.exit("benchmarks/strength_tradeoff.py needs SSIMULACRA2: pip install -e .[bench]")
    return score


def plot(figures: dict[str, object], path: Path) -> None:
    """Draw detection rate against SSIMULACRA2 (median and worst image), one point per strength, as SVG."""
    rows = figures["strengths"]
    assert isinstance(rows, list)
    jpeg90 = figures["jpeg90"]
    assert isinstance(jpeg90, dict)
    width, height, left, right, top, bottom = 640, 400, 64, 24, 36, 56
    lowest = min(min(r["ssimulacra2_worst"], r["ssimulacra2_median"]) for r in rows)
    x_lo, x_hi = min(70.0, 5.0 * ((lowest - 2.0) // 5.0)), 100.0
    y_lo, y_hi = min(0.8, min(r["detection_rate"] for r in rows) - 0.02), 1.0

    def x(v: float) -> float:
        return left + (min(max(v, x_lo), x_hi) - x_lo) / (x_hi - x_lo) * (width - left - right)

    def y(v: float) -> float:
        return top + (y_hi - v) / (y_hi - y_lo) * (height - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">'
        "Mark strength: detection rate against SSIMULACRA2 (corpus, one key)</text>",
    ]
    for tick in range(int(x_lo), 101, 5):
        parts.append(f'<line x1="{x(tick):.1f}" y1="{top}" x2="{x(tick):.1f}" y2="{height - bottom}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{x(tick):.1f}" y="{height - bottom + 16}" text-anchor="middle">{tick}</text>')
    steps = 5
    for i in range(steps + 1):
        v = y_lo + (y_hi - y_lo) * i / steps
        parts.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{width - right}" y2="{y(v):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.2f}</text>')
    median_jpeg = float(np.median(list(jpeg90.values())))
    for v, label, colour in ((90.0, "visually lossless (90)", "#2a7"),
                             (median_jpeg, f"JPEG 90 re-save, median ({median_jpeg:.1f})", "#c60")):
        parts.append(f'<line x1="{x(v):.1f}" y1="{top}" x2="{x(v):.1f}" y2="{height - bottom}" '
                     f'stroke="{colour}" stroke-dasharray="4 3"/>')
        anchor_y = height - bottom - (22 if v == 90.0 else 8)  # below the curves, which end high
        parts.append(f'<text x="{x(v) - 4:.1f}" y="{anchor_y}" text-anchor="end" fill="{colour}">{label}</text>')
    for key, colour, name in (("ssimulacra2_median", "#135", "median image"),
                              ("ssimulacra2_worst", "#a33", "worst image")):
        points = " ".join(f"{x(r[key]):.1f},{y(r['detection_rate']):.1f}" for r in rows)
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        for r in rows:
            parts.append(f'<circle cx="{x(r[key]):.1f}" cy="{y(r["detection_rate"]):.1f}" r="4" fill="{colour}"/>')
            if key == "ssimulacra2_median":
                parts.append(f'<text x="{x(r[key]) + 6:.1f}" y="{y(r["detection_rate"]) - 6:.1f}" '
                             f'fill="{colour}">{r["strength"]:g}</text>')
        legend_y = height - 12
        legend_x = left if key == "ssimulacra2_median" else left + 150
        parts.append(f'<circle cx="{legend_x + 4}" cy="{legend_y - 4}" r="4" fill="{colour}"/>')
        parts.append(f'<text x="{legend_x + 12}" y="{legend_y}" fill="{colour}">{name}</text>')
    parts.append(f'<text x="{width - right}" y="{height - 12}" text-anchor="end">'
                 "SSIMULACRA2 (100 = identical); labels: strength</text>")
    parts.append(f'<text x="14" y="{(top + height - bottom) / 2:.1f}" text-anchor="middle" '
                 f'transform="rotate(-90 14 {(top + height - bottom) / 2:.1f})">detection rate, hard attacks</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")


def slider_figures(record: dict[str, Any]) -> dict[str, Any]:
    """The part of a saved record the strength slider words its scale from, with its date."""
    return {
        "about": "Written by benchmarks/strength_tradeoff.py from its record; do not edit.",
        "date": record["date"],
        "commit": record["commit"],
        "strengths": [{key: row[key] for key in ("strength", "ssimulacra2_median",
                                                 "ssimulacra2_worst", "detection_rate")}
                      for row in record["figures"]["strengths"]],
    }


def write_slider(record: dict[str, Any]) -> None:
    SLIDER.write_text(json.dumps(slider_figures(record), indent=1) + "\n")
    print(f"The strength slider's figures: {SLIDER.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attacks", choices=("hard", "all"), default="hard",
                        help="the attacks where misses happen (default) or every attack")
    parser.add_argument("--images", type=_names, help="only these corpus images (file stems, comma-separated)")
    parser.add_argument("--plot", action="store_true",
                        help="only redraw the plot and the slider's figures from the saved record")
    add_json_option(parser)
    args = parser.parse_args()
    if args.plot:
        record = json.loads((RESULTS / "strength_tradeoff.json").read_text())
        plot(record["figures"], PLOT)
        write_slider(record)
        return
    names = list(HARD_ATTACKS) if args.attacks == "hard" else [*ATTACKS, *EXTRA_ATTACKS]
    table, figures, notes = measure(names, args.images)
    figures["ssimulacra2_by"] = ssimulacra2_by()
    if args.images is not None:
        notes.append("A subset (--images): not the benchmark's figure.")
    table.print()
    print("\n".join(notes))
    if args.images is not None and args.json is None:
        print("(a subset: not saved over the benchmark's record; --json PATH keeps it)")
        return
    saved = save("strength_tradeoff", tables=[table], figures=figures, notes=notes, path=args.json)
    if args.json is None:
        plot(figures, PLOT)
        write_slider(json.loads(saved.read_text()))


if __name__ == "__main__":
    main()
