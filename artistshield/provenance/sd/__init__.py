"""Stable Diffusion's public invisible marks: which are in an image, and how sure.

Stability AI's reference scripts mark every image with invisible-watermark's
``dwtDct`` method: SD 1.x with the bytes ``StableDiffusionV1`` (136 bits),
SD 2.x with ``SDV2`` (32 bits), SDXL with the 48 bits ``0xB3EC907BB19E``.
Reading one gives a bit string; we count how many bits agree with each mark.

Thresholds.  For SDXL we use Stability's own detector's: 36 or more of 48
bits "very likely", 34-35 "likely", 28-33 "partial" (no conclusion).  For the
other two marks Stability publishes none, so we take the same false-alarm
rates: an unmarked image reads as coin flips, so the chance of *k* or more
agreeing bits of *n* is the binomial tail P(X >= k), X ~ Bin(n, 1/2).  SDXL's
"very likely" tail is P(X >= 36 | 48) = 3.6e-4 and "likely" P(X >= 34 | 48) =
2.8e-3; the smallest *k* whose tail is no larger gives 89/136 and 85/136 for
SD 1.x, 26/32 and 25/32 for SD 2.x.  Every threshold is also above the count a
flat, single-colour image reaches (it reads as all zeros or all ones).

Both channel orders are read (the reference scripts embed in BGR order,
diffusers' SDXL pipeline in RGB order), so each reported chance is doubled.

The reading itself (:mod:`.dwtdct`) imports OpenCV; it runs as
``python -m artistshield.provenance.sd FILE...`` in a child process, so
neither the app nor the command line ever loads OpenCV themselves.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artistshield.child import python_module

#: Said whenever no mark is found: a mark is trivially removed or never added.
ABSENCE_NOTE = (
    "An absent mark proves nothing: many generators add none, and resizing, cropping or "
    "re-encoding removes these marks."
)
#: Below this many pixels invisible-watermark refuses to read (256 x 256).
MIN_PIXELS = 256 * 256
#: Channel orders tried; the chance of a false alarm is multiplied by this.
ORDERS = ("BGR", "RGB")

VERY_LIKELY, LIKELY, PARTIAL, NONE = "very likely", "likely", "partial", "none"
CHECKED, NOT_INSTALLED, TOO_SMALL, FAILED = "checked", "not installed", "too small", "error"


def _bits_of_bytes(data: bytes) -> tuple[int, ...]:
    return tuple((byte >> (7 - i)) & 1 for byte in data for i in range(8))


def _bits_of_int(value: int, width: int) -> tuple[int, ...]:
    return tuple((value >> (width - 1 - i)) & 1 for i in range(width))


@dataclass(frozen=True)
class PublicMark:
    """One generator's published mark and the bit counts that call it."""

    name: str
    model: str
    bits: tuple[int, ...]
    very_likely: int
    likely: int
    partial: int

    def level(self, matched: int) -> str:
        if matched >= self.very_likely:
            return VERY_LIKELY
        if matched >= self.likely:
            return LIKELY
        if matched >= self.partial:
            return PARTIAL
        return NONE


MARKS: tuple[PublicMark, ...] = (
    PublicMark("SDXL", "Stable Diffusion XL", _bits_of_int(0xB3EC907BB19E, 48), 36, 34, 28),
    PublicMark("SD2", "Stable Diffusion 2.x", _bits_of_bytes(b"SDV2"), 26, 25, 20),
    PublicMark("SD1", "Stable Diffusion 1.x", _bits_of_bytes(b"StableDiffusionV1"), 89, 85, 75),
)


def chance(matched: int, total: int) -> float:
    """The chance an unmarked image agrees with a mark in *matched* or more bits (both orders)."""
    tail = sum(math.comb(total, k) for k in range(matched, total + 1)) / 2**total
    return min(1.0, tail * len(ORDERS))


def chance_any(reading: MarkReading) -> float:
    """The chance an unmarked image agrees this well with any one of the marks checked."""
    return min(1.0, chance(reading.matched_bits, reading.total_bits) * len(MARKS))


@dataclass(frozen=True)
class MarkReading:
    """How well one public mark agrees with what was read."""

    mark: str
    model: str
    matched_bits: int
    total_bits: int
    level: str
    order: str

    @property
    def found(self) -> bool:
        return self.level in (VERY_LIKELY, LIKELY)

    def to_json(self) -> dict[str, Any]:
        return {
            "mark": self.mark,
            "model": self.model,
            "matched_bits": self.matched_bits,
            "total_bits": self.total_bits,
            "level": self.level,
            "chance_if_unmarked": chance(self.matched_bits, self.total_bits),
            "chance_if_unmarked_any_mark": chance_any(self),
            "channel_order": self.order,
        }


@dataclass(frozen=True)
class StableDiffusionReport:
    """The verdict on every public mark for one image."""

    status: str
    readings: tuple[MarkReading, ...] = field(default=())
    error: str | None = None

    @property
    def found(self) -> tuple[MarkReading, ...]:
        """The public mark that agrees best, if any is found: one version, never two.

        The marks share bits (SD 1.x's and SD 2.x's both begin "S"), so an image
        with one can also reach another's threshold; the least likely by chance
        is the one it carries.
        """
        hits = [r for r in self.readings if r.found]
        if not hits:
            return ()
        return (min(hits, key=lambda r: chance(r.matched_bits, r.total_bits)),)

    def findings(self) -> list[str]:
        if self.status == NOT_INSTALLED:
            return ["Stable Diffusion marks: not checked (invisible-watermark is not installed)."]
        if self.status == TOO_SMALL:
            return ["Stable Diffusion marks: not checked (image smaller than 256 x 256 pixels)."]
        if self.status == FAILED:
            return [f"Stable Diffusion marks: could not be checked ({self.error})."]
        if not self.found:
            return ["No Stable Diffusion mark found. " + ABSENCE_NOTE]
        return [
            f"{r.model}'s invisible mark: {r.level} present ({r.matched_bits} of "
            f"{r.total_bits} bits agree; an unmarked image agrees this well with one of the "
            f"{len(MARKS)} marks checked with chance {chance_any(r):.1g})."
            for r in self.found
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "found": [r.mark for r in self.found],
            "marks": [r.to_json() for r in self.readings],
            "note": ABSENCE_NOTE,
            "error": self.error,
        }


def classify(decoded: dict[str, dict[str, list[int]]]) -> tuple[MarkReading, ...]:
    """Turn decoded bits (``{order: {mark name: bits}}``) into one reading per mark."""
    readings = []
    for mark in MARKS:
        best: tuple[int, str] = (-1, ORDERS[0])
        for order in ORDERS:
            bits = decoded.get(order, {}).get(mark.name)
            if bits is not None and len(bits) == len(mark.bits):
                matched = sum(int(a) == b for a, b in zip(bits, mark.bits, strict=True))
                best = max(best, (matched, order), key=lambda pair: pair[0])
        if best[0] >= 0:
            matched, order = best
            readings.append(
                MarkReading(mark.name, mark.model, matched, len(mark.bits), mark.level(matched), order)
            )
    return tuple(readings)


def reader_missing() -> bool:
    """Whether invisible-watermark, the optional extra that reads the marks, is not installed.

    Asked of the import system without importing anything, so a check need
    not start a child process only to hear that; its other needs (OpenCV,
    PyWavelets) the child itself checks.
    """
    importlib.invalidate_caches()  # installed since this process started: found now
    return importlib.util.find_spec("imwatermark") is None


class PendingCheck:
    """A child process reading one image's public marks; :meth:`result` waits for it.

    When the reader is not installed (:func:`reader_missing`) no child is
    started: the result says so at once, as the child would.
    """

    def __init__(self, path: str | Path, *, timeout: float = 60.0, pixels: bool = False) -> None:
        """Read the image at *path*, or with *pixels* the RGB array numpy saved there."""
        self._timeout = timeout
        self._process: subprocess.Popen[str] | None = None
        if reader_missing():
            return
        args = ["--pixels", str(path)] if pixels else [str(path)]
        self._process = subprocess.Popen(
            python_module("artistshield.provenance.sd", *args),  # isolated from the cwd
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self) -> StableDiffusionReport:
        if self._process is None:
            return StableDiffusionReport(NOT_INSTALLED)
        try:
            out, err = self._process.communicate(timeout=self._timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
            return StableDiffusionReport(FAILED, error="the check took too long")
        line = out.strip().splitlines()[-1] if out.strip() else ""
        if self._process.returncode != 0 or not line:
            last = err.strip().splitlines()[-1] if err.strip() else "no output"
            return StableDiffusionReport(FAILED, error=last)
        return from_json(json.loads(line))

    def cancel(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.communicate()


def from_json(value: dict[str, Any]) -> StableDiffusionReport:
    """Read back what the child process printed."""
    readings = tuple(
        MarkReading(
            m["mark"], m["model"], int(m["matched_bits"]), int(m["total_bits"]), m["level"],
            m["channel_order"],
        )
        for m in value.get("marks", ())
    )
    return StableDiffusionReport(value["status"], readings, value.get("error"))


def check_file(path: str | Path, *, timeout: float = 60.0) -> StableDiffusionReport:
    """Read the public marks of the image at *path* in a child process."""
    return PendingCheck(path, timeout=timeout).result()
