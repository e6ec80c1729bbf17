"""Who registered an image first: two proof bundles that both claim it.

Each bundle is verified offline (:func:`.bundle.verify_bundle`), and the
work in it that the image is (the same pixels, or a fingerprint match) is
found.  Priority goes by evidence, strongest first: a trusted time-stamp
(:mod:`.timestamp`) beats a date that only the bundle's own signer vouches
for; between two stamps the earlier wins; with no stamp on either side the
self-declared dates are compared, and the verdict says plainly that they are
each party's own word.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from artistshield.errors import ArtistShieldError
from artistshield.registry.bundle import BundleReport, verify_bundle
from artistshield.registry.records import Work
from artistshield.registry.timestamp import Stamp

TRUSTED, SELF_DECLARED, NONE = "trusted timestamp", "self-declared dates", "none"


@dataclass(frozen=True)
class Claim:
    """What one bundle says about the image."""

    bundle: str
    report: BundleReport | None
    work: Work | None = None
    similarity: float | None = None
    stamp: Stamp | None = None
    error: str | None = None

    @property
    def stands(self) -> bool:
        """Whether this claim counts: a valid bundle holding a work that is the image."""
        return self.report is not None and self.report.ok and self.work is not None

    def evidence(self) -> str:
        """When it says the work was registered, and on whose word."""
        if self.stamp is not None:
            return self.stamp.claim()
        if self.work is not None:
            return (
                f"registered {self.work.registered} by its own clock "
                "(no trusted timestamp)"
            )
        return "no claim"

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": self.bundle,
            "valid": None if self.report is None else self.report.ok,
            "artist_id": None if self.report is None else self.report.artist_id,
            "name": None if self.report is None else self.report.name,
            "work": None if self.work is None else self.work.to_json(),
            "similarity": self.similarity,
            "trusted_time": None if self.stamp is None else self.stamp.to_json(),
            "error": self.error,
        }


@dataclass(frozen=True)
class Dispute:
    """Two claims on one image, and which came first on what evidence."""

    claims: tuple[Claim, Claim]
    first: int | None
    evidence: str
    verdict: str

    def to_json(self) -> dict[str, Any]:
        return {
            "claims": [c.to_json() for c in self.claims],
            "first": None if self.first is None else self.claims[self.first].bundle,
            "evidence": self.evidence,
            "verdict": self.verdict,
        }


def dispute(pixels: np.ndarray, bundles: tuple[Path, Path]) -> Dispute:
    """Judge the two *bundles*' claims on the image whose decoded pixels are *pixels*."""
    a, b = (_claim(pixels, Path(p)) for p in bundles)
    return judge(a, b)


def _claim(pixels: np.ndarray, path: Path) -> Claim:
    try:
        report = verify_bundle(path)
    except ArtistShieldError as exc:
        return Claim(path.name, None, error=str(exc))
    if not report.ok:
        why = report.first_bad.reason if report.first_bad is not None else "not valid"
        return Claim(path.name, report, error=f"the bundle is not valid ({why})")
    found = _find(pixels, path, report)
    if found is None:
        return Claim(path.name, report, error="no work in it is this image")
    work, similarity = found
    return Claim(path.name, report, work, similarity, report.stamp_for(work))


def _find(pixels: np.ndarray, path: Path, report: BundleReport) -> tuple[Work, float] | None:
    """The bundle's work that *pixels* are: the same pixels, else the best fingerprint match."""
    digest = hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()
    for work in report.works:
        if work.pixels_sha256 == digest:
            return work, 1.0
    from artistshield.registry.match import WorkMatcher

    document = json.loads(path.read_text(encoding="utf-8"))  # checked by verify_bundle
    stored = [
        (raw["record"]["work_id"], base64.b64decode(raw["fingerprint"]))
        for raw in document["works"]
        if raw.get("fingerprint")
    ]
    if not stored:
        return None
    works = {w.work_id: w for w in report.works}
    best = next((m for m in WorkMatcher(stored).search(pixels, limit=1) if m.is_match), None)
    return None if best is None else (works[best.work_id], float(best.similarity))


def judge(a: Claim, b: Claim) -> Dispute:
    """Which of two claims came first, on the strongest evidence both have."""
    first, evidence, verdict = _judge(a, b)
    return Dispute((a, b), first, evidence, verdict)


def _judge(a: Claim, b: Claim) -> tuple[int | None, str, str]:
    claims = (a, b)
    standing = [i for i, c in enumerate(claims) if c.stands]
    if not standing:
        return None, NONE, "Neither bundle holds a valid claim to this image."
    if len(standing) == 1:
        (i,) = standing
        other = claims[1 - i]
        kind = TRUSTED if claims[i].stamp is not None else SELF_DECLARED
        return i, kind, (
            f"Only {claims[i].bundle} holds a valid claim to this image "
            f"({other.bundle}: {other.error}); it {claims[i].evidence()}."
        )
    sa, sb = a.stamp, b.stamp
    if sa is not None and sb is not None:
        if sa.time == sb.time:
            return None, TRUSTED, (
                f"Both bundles' trusted timestamps say {sa.time}: they do not tell which "
                "registered the image first."
            )
        i = 0 if sa.time < sb.time else 1
        win, lose = claims[i], claims[1 - i]
        return i, TRUSTED, (
            f"{win.bundle} registered it first, on trusted timestamps: it was "
            f"{win.evidence()}; {lose.bundle}'s earliest proof is later ({lose.evidence()})."
        )
    if sa is not None or sb is not None:
        i = 0 if sa is not None else 1
        win, lose = claims[i], claims[1 - i]
        assert lose.work is not None
        earlier = (
            f" {lose.bundle}'s own date is earlier, but nothing independent vouches for it."
            if win.stamp is not None and lose.work.registered < win.stamp.time
            else ""
        )
        return i, TRUSTED, (
            f"{win.bundle} registered it first on the evidence: it was {win.evidence()}, "
            f"while {lose.bundle} has no trusted timestamp and its date "
            f"({lose.work.registered}) is only its signer's own word.{earlier}"
        )
    assert a.work is not None and b.work is not None
    da, db = a.work.registered, b.work.registered
    order = (
        "give the same time" if da == db
        else f"put {(a if da < db else b).bundle} first"
    )
    return (None if da == db else 0 if da < db else 1), SELF_DECLARED, (
        f"Neither bundle has a trusted timestamp: the dates ({a.bundle}: {da}; "
        f"{b.bundle}: {db}) are only each party's own word. Taken at their word they "
        f"{order}, which proves nothing to a third party."
    )
