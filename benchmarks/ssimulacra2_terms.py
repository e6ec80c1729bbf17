"""What SSIMULACRA2 holds against the mark: its score split into the terms it sums.

SSIMULACRA2 sums 108 weighted terms (3 channels of XYB, 6 scales, two
poolings, L1 and L4, of three error maps: structure (SSIM), artifacts,
detail lost) before mapping the sum to a score.  This prints, per picture,
the terms that differ most between the marked copy and a JPEG quality-90
re-save of the same picture, grouped by channel, scale and pooling, so a
change to the mask can aim at what the metric sees.  Scale k is the
picture shrunk 2**k times (in linear light, by box means); an L4 term is
ruled by the worst places, an L1 term by the whole picture.

The terms come from the ``ssimulacra2`` package's own functions (the
``bench`` extra), which read about 0.8 higher than the reference tool (see
ssimulacra2_agreement.py); their sum gives exactly the package's score.
Corpus images are named by file stem, held-out drawings (heldout.py) by
``folder/stem``; each is marked as robustness.py and heldout.py mark it,
flattened over white.

Run:  python benchmarks/ssimulacra2_terms.py --images flat-futureprototype,Freeway/Sky [--top 8]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import Table  # noqa: E402
from attacks import jpeg  # noqa: E402
from robustness import KEY, PAYLOAD, _names, flatten  # noqa: E402

from artistshield import watermark  # noqa: E402

CHANNELS = "XYB"
SCALES = 6
#: The order of the package's weights within one channel and scale.
KINDS = (("ssim", 1), ("artifact", 1), ("detail lost", 1), ("ssim", 4), ("artifact", 4), ("detail lost", 4))

Term = tuple[str, int, str, int]  # channel, scale, kind, norm (1 or 4)


def terms(original: np.ndarray, changed: np.ndarray) -> dict[Term, float]:
    """Every weighted term of SSIMULACRA2 of RGB *changed* against *original*."""
    from ssimulacra2 import ssimulacra2 as metric

    a = metric.srgb_to_linear(original.astype(np.float64))
    b = metric.srgb_to_linear(changed.astype(np.float64))
    out: dict[Term, float] = {}
    weights = iter(metric.weights)
    values: dict[tuple[int, int, str, int], float] = {}
    for scale in range(SCALES):
        if min(a.shape[:2]) < 8:
            break
        one = metric.make_positive_xyb(metric.linear_rgb_to_xyb(a))
        two = metric.make_positive_xyb(metric.linear_rgb_to_xyb(b))
        mu1, mu2 = metric.blur_image(one), metric.blur_image(two)
        s11, s22, s12 = metric.blur_image(one * one), metric.blur_image(two * two), metric.blur_image(one * two)
        structure = 1.0 - (1.0 - (mu1 - mu2) ** 2) * (2.0 * (s12 - mu1 * mu2) + metric.kC2) / (
            (s11 - mu1 * mu1) + (s22 - mu2 * mu2) + metric.kC2)
        edges = (1.0 + np.abs(two - mu2)) / (1.0 + np.abs(one - mu1)) - 1.0
        maps = {"ssim": np.maximum(structure, 0.0), "artifact": np.maximum(edges, 0.0),
                "detail lost": np.maximum(-edges, 0.0)}
        for channel in range(3):
            for kind, part in maps.items():
                plane = part[..., channel]
                values[(channel, scale, kind, 1)] = float(plane.mean())
                values[(channel, scale, kind, 4)] = float(np.mean(plane**4) ** 0.25)
        if scale < SCALES - 1:
            a, b = metric.downsample(a, 2, 2), metric.downsample(b, 2, 2)
    # as the metric does, weights are taken in turn over the scales there are:
    # on a picture under 256 pixels a side, with fewer scales, the weights
    # meant for one channel's coarsest scales go to the next channel's finest
    scales = 1 + max(scale for _, scale, _, _ in values)
    for channel in range(3):
        for scale in range(scales):
            for kind, norm in KINDS:
                weight = float(next(weights))
                out[(CHANNELS[channel], scale, kind, norm)] = weight * abs(values[(channel, scale, kind, norm)])
    return out


def score(weighted: dict[Term, float]) -> float:
    """The SSIMULACRA2 score of the *weighted* terms (the package's mapping of their sum)."""
    total = sum(weighted.values()) * 0.9562382616834844
    total = 2.326765642916932 * total - 0.020884521182843837 * total**2 + 6.248496625763138e-05 * total**3
    return 100.0 - 10.0 * total**0.6276336467831387 if total > 0 else 100.0


def pictures(names: list[str]) -> list[tuple[str, np.ndarray]]:
    """The corpus images and held-out drawings named, as RGBA."""
    from robustness import CORPUS, corpus

    stems = {f.stem for f in [*CORPUS.glob("*.png"), *(CORPUS / "frames").glob("*.png")]}
    found = corpus([n for n in names if n in stems]) if stems & set(names) else []
    rest = [n for n in names if n not in stems]
    if rest:
        from heldout import drawings

        found += [(name, rgba) for name, rgba in drawings(60) if name in rest]
    missing = set(names) - {name for name, _ in found}
    if missing:
        sys.exit(f"No such corpus image or held-out drawing: {', '.join(sorted(missing))}.")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=_names, required=True,
                        help="corpus stems or held-out folder/stem names, comma-separated")
    parser.add_argument("--top", type=int, default=8, help="terms listed per picture")
    args = parser.parse_args()
    for name, rgba in pictures(args.images):
        original = flatten(rgba)
        marked = flatten(watermark.embed(rgba, KEY, PAYLOAD))
        mark, resave = terms(original, marked), terms(original, jpeg(original, 90))
        table = Table(f"{name}: mark {score(mark):.1f}, JPEG 90 {score(resave):.1f} (package)",
                      ["channel", "scale", "error", "pooling", "mark", "JPEG 90", "mark - JPEG 90"])
        for term in sorted(mark, key=lambda t: abs(mark[t] - resave[t]), reverse=True)[: args.top]:
            channel, scale, kind, norm = term
            table.add(channel, f"{2**scale}x", kind, f"L{norm}", f"{mark[term]:.3f}",
                      f"{resave[term]:.3f}", f"{mark[term] - resave[term]:+.3f}")
        table.add("all", "", "", "", f"{sum(mark.values()):.3f}", f"{sum(resave.values()):.3f}",
                  f"{sum(mark.values()) - sum(resave.values()):+.3f}")
        table.print()


if __name__ == "__main__":
    main()
