"""Does the ``ssimulacra2`` package agree with the reference SSIMULACRA2?

robustness.py, heldout.py and strength_tradeoff.py score the mark with the
``ssimulacra2`` package from PyPI, a NumPy re-implementation.  The metric's
reference is the C++ tool of its authors (``ssimulacra2`` from
github.com/cloudinary/ssimulacra2, the same code as libjxl's
``tools/ssimulacra2``).  This scores the same pairs with both: every corpus
image against a JPEG quality-90 re-save of it and against its marked copy
(default strength, flattened over white, as robustness.py does), and reports
how far apart the scores are and whether the two ever disagree on the verdict
the issue asks for, "the mark scores at least as high as JPEG 90".

The reference is not packaged by Debian 12 (its libjxl 0.7 tools have only the
first SSIMULACRA); build it once from the cloudinary repository::

    apt-get install cmake ninja-build g++ libhwy-dev liblcms2-dev libjpeg62-turbo-dev libpng-dev
    cd ssimulacra2 && ./build_ssimulacra      # leaves ./ssimulacra2

and pass it with ``--reference PATH`` (or put it on PATH, or set
``SSIMULACRA2``).  Needs the ``bench`` extra for the package.

Run:  python benchmarks/ssimulacra2_agreement.py [--reference PATH] [--images A,B] [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import Table, add_json_option, save  # noqa: E402
from attacks import jpeg  # noqa: E402
from robustness import KEY, PAYLOAD, _names, corpus, flatten, package_ssimulacra2  # noqa: E402

from artistshield import watermark  # noqa: E402

Score = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class Pair:
    """One image scored against one changed copy by both implementations."""

    image: str
    copy: str  # "JPEG 90" or "mark"
    reference: float
    package: float

    @property
    def difference(self) -> float:
        return self.package - self.reference


def find_reference(given: Path | None) -> Path | None:
    """The reference tool: *given*, else $SSIMULACRA2, else ``ssimulacra2`` on PATH."""
    if given is not None:
        return given
    if os.environ.get("SSIMULACRA2"):
        return Path(os.environ["SSIMULACRA2"])
    found = shutil.which("ssimulacra2")
    return Path(found) if found else None


def reference_score(tool: Path) -> Score:
    """Score with the C++ tool, through PNG files (it prints the score alone on one line)."""

    def score(original: np.ndarray, changed: np.ndarray) -> float:
        with tempfile.TemporaryDirectory() as folder:
            a, b = Path(folder) / "a.png", Path(folder) / "b.png"
            Image.fromarray(original).save(a)
            Image.fromarray(changed).save(b)
            done = subprocess.run([str(tool), str(a), str(b)], capture_output=True, text=True,
                                  check=True)
        return parse_score(done.stdout)

    return score


def parse_score(output: str) -> float:
    """The score the tool printed: the last line that is a number."""
    for line in reversed(output.strip().splitlines()):
        try:
            return float(line.strip())
        except ValueError:
            continue
    raise ValueError(f"no SSIMULACRA2 score in the reference tool's output: {output!r}")


def package_score(original: np.ndarray, changed: np.ndarray) -> float:
    score = package_ssimulacra2(original, changed)
    if score is None:
        sys.exit("benchmarks/ssimulacra2_agreement.py needs the ssimulacra2 package: "
                 "pip install -e .[bench]")
    return score


def compare(
    images: list[tuple[str, np.ndarray]], reference: Score, package: Score
) -> tuple[list[Pair], list[str]]:
    """Both scores of every image against its JPEG 90 re-save and its marked copy.

    Also the images the engine refuses, which have no mark to score and are left out.
    """
    pairs, refused = [], []
    for stem, rgba in images:
        original = flatten(rgba)
        marked = flatten(watermark.embed(rgba, KEY, PAYLOAD))
        if np.array_equal(marked, original):
            refused.append(stem)
            continue
        copies = {"JPEG 90": jpeg(original, 90), "mark": marked}
        for copy, pixels in copies.items():
            pairs.append(Pair(stem, copy, reference(original, pixels), package(original, pixels)))
            print(f"{stem} vs {copy}: reference {pairs[-1].reference:.2f}, "
                  f"package {pairs[-1].package:.2f}", flush=True)
    return pairs, refused


def verdicts(pairs: list[Pair]) -> dict[str, tuple[bool, bool]]:
    """Per image: (reference, package) say "mark >= JPEG 90"."""
    by_image: dict[str, dict[str, Pair]] = {}
    for pair in pairs:
        by_image.setdefault(pair.image, {})[pair.copy] = pair
    return {
        image: (copies["mark"].reference >= copies["JPEG 90"].reference,
                copies["mark"].package >= copies["JPEG 90"].package)
        for image, copies in by_image.items()
    }


def summarise(pairs: list[Pair]) -> tuple[Table, dict[str, object], list[str]]:
    table = Table("SSIMULACRA2 of each image's changed copy: the reference tool and the package",
                  ["image", "copy", "reference (C++)", "package (PyPI)", "package - reference"])
    for pair in pairs:
        table.add(pair.image, pair.copy, f"{pair.reference:.2f}", f"{pair.package:.2f}",
                  f"{pair.difference:+.2f}")
    gaps = np.abs([pair.difference for pair in pairs])
    said = verdicts(pairs)
    disagree = sorted(image for image, (ref, pkg) in said.items() if ref != pkg)
    correlation = float(np.corrcoef([p.reference for p in pairs], [p.package for p in pairs])[0, 1])
    marks = [pair for pair in pairs if pair.copy == "mark"]
    medians = (float(np.median([p.reference for p in marks])), float(np.median([p.package for p in marks])))
    higher = sum(pair.difference > 0 for pair in pairs)
    figures: dict[str, object] = {
        "pairs": len(pairs),
        "max_abs_difference": round(float(gaps.max()), 2),
        "mean_abs_difference": round(float(gaps.mean()), 2),
        "correlation": round(correlation, 4),
        "package_higher": higher,
        "mark_median_reference": round(medians[0], 2),
        "mark_median_package": round(medians[1], 2),
        "verdicts": len(said),
        "verdicts_disagreeing": disagree,
    }
    notes = [
        f"{len(pairs)} pairs: the package is within {gaps.max():.2f} of the reference "
        f"(mean {gaps.mean():.2f}; correlation {correlation:.4f}); it scores higher on "
        f"{higher} of them.",
        f"Median SSIMULACRA2 of the marks: {medians[0]:.2f} by the reference, {medians[1]:.2f} "
        "by the package.",
        f"Verdict 'the mark scores at least as high as JPEG 90': the two agree on "
        f"{len(said) - len(disagree)} of {len(said)} images"
        + (f"; they differ on {', '.join(disagree)}." if disagree else "."),
    ]
    return table, figures, notes


def tool_version(tool: Path) -> str:
    """The first line of the reference tool's help, which names its version."""
    done = subprocess.run([str(tool)], capture_output=True, text=True)
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown version"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, metavar="PATH",
                        help="the reference ssimulacra2 tool (default: $SSIMULACRA2, then PATH)")
    parser.add_argument("--images", type=_names, help="only these corpus images (file stems, comma-separated)")
    add_json_option(parser)
    args = parser.parse_args()
    tool = find_reference(args.reference)
    if tool is None or not tool.is_file():
        sys.exit("No reference ssimulacra2 tool: build it from github.com/cloudinary/ssimulacra2 "
                 "(see this script's docstring) and pass --reference PATH.")
    pairs, refused = compare(corpus(args.images), reference_score(tool), package_score)
    table, figures, notes = summarise(pairs)
    if refused:
        notes.append(f"Refused by the engine, no mark to score, left out: {', '.join(refused)}.")
    figures["reference"] = tool_version(tool)
    notes.insert(0, f"Reference: {figures['reference']}; package: ssimulacra2 "
                    f"{_package_version()} (PyPI).")
    table.print()
    print("\n" + "\n".join(notes))
    if args.images is not None and args.json is None:
        print("(a subset: not saved over the benchmark's record; --json PATH keeps it)")
        return
    save("ssimulacra2_agreement", tables=[table], figures=figures, notes=notes, path=args.json)


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ssimulacra2")
    except PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    main()
