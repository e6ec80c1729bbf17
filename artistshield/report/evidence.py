"""Collecting the evidence for one checked image, at report time.

Everything a report shows is gathered here, so the HTML and PDF renderers
only lay it out: the suspect's hashes and thumbnail, the registered work the
mark or the match points to (its thumbnail with the matched region outlined),
the registry verified now, and a proof bundle of that work, written beside the
report and verified as a stranger would.

For a clip the suspect is shown by the frame the match was found in (else
the first that carried the mark, else its first).  A match's region lies in
the key frame of the work that matched, while the work's thumbnail is its
first frame: the region is outlined only when the two are the same
(:func:`artistshield.verdict.region_shown`); otherwise the report names the key frame.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw

from artistshield import __version__, imageio
from artistshield.errors import ArtistShieldError
from artistshield.registry.records import utc_now
from artistshield.verdict import named_match, named_work, region_shown

if TYPE_CHECKING:
    from artistshield.check import CheckResult
    from artistshield.identity import Identity
    from artistshield.registry import Registry, Work, WorkMatch
    from artistshield.registry.head import Head
    from artistshield.registry.timestamp import Stamp

THUMBNAIL_SIDE = 360
OUTLINE = (230, 0, 40)


@dataclass(frozen=True)
class Evidence:
    """What one report shows; built by :func:`gather`."""

    result: CheckResult
    created: str
    tool: str
    suspect_png: bytes | None = None
    suspect_file_sha256: str | None = None
    suspect_pixels_sha256: str | None = None
    suspect_size: tuple[int, int] | None = None
    work: Work | None = None
    match: WorkMatch | None = None
    work_png: bytes | None = None
    artist: dict[str, str] | None = None
    registry_summary: str | None = None
    registry_ok: bool | None = None
    bundle: Path | None = None
    bundle_summary: str | None = None
    bundle_ok: bool | None = None
    found_at: str | None = None
    notes: tuple[str, ...] = field(default=())
    suspect_frame: int | None = None
    """For a suspect clip, the frame (from 0) the thumbnail and pixel hash are of."""
    stamp: Stamp | None = None
    """The earliest trusted time-stamp covering the work, checked at report time."""
    stamp_token: str | None = None
    """That stamp's TSA answer (DER ``TimeStampResp``, base64), as the log keeps it."""
    registry_head: Head | None = None
    """The registry's signed head when the report was made (see :mod:`artistshield.registry.head`)."""

    @property
    def priority(self) -> str | None:
        """``registered no later than <date> (trusted timestamp)`` when a stamp covers the work."""
        if self.stamp is None:
            return None
        return f"registered no later than {self.stamp.date} (trusted timestamp)"

    @property
    def images(self) -> dict[str, bytes]:
        """The report's images by name, as PNG bytes."""
        named = {"suspect": self.suspect_png, "original": self.work_png}
        return {name: data for name, data in named.items() if data}


def gather(
    result: CheckResult,
    *,
    registry: Registry | None = None,
    identity: Identity | None = None,
    found_at: str | None = None,
    bundle_path: str | Path | None = None,
) -> Evidence:
    """Collect the evidence for *result*; with *identity*, write a proof bundle to *bundle_path*."""
    facts: dict[str, Any] = {}
    notes: list[str] = []
    work_id = named_work(result)
    try:
        frame, pixels = _suspect_picture(result, work_id)
        facts["suspect_frame"] = frame
        facts["suspect_png"] = _thumbnail(pixels)
        facts["suspect_pixels_sha256"] = hashlib.sha256(pixels.tobytes()).hexdigest()
        facts["suspect_size"] = (pixels.shape[1], pixels.shape[0])
        if Path(result.input).is_file():  # a frame folder has no one file to hash
            facts["suspect_file_sha256"] = _file_sha256(Path(result.input))
    except (ArtistShieldError, OSError) as exc:
        notes.append(f"The suspect image could not be read again for the report: {exc}")
    if identity is not None:
        facts["artist"] = {
            "name": identity.name,
            "artist_id": identity.artist_id,
            "public_key": identity.public_key.hex(),
        }
    if registry is not None:
        verified = registry.verify()
        facts["registry_summary"] = verified.summary()
        facts["registry_ok"] = verified.ok
        if work_id is not None:
            work = registry.work(work_id)
            match = named_match(result)
            facts["work"] = work
            facts["match"] = match
            region = match.region if match is not None and region_shown(match) else None
            facts["work_png"] = _outlined(registry.thumbnail(work_id), region)
            if verified.ok:  # a stamp vouches for the chain's head, so only for an intact chain
                facts.update(_trusted_time(registry, work))
            if identity is not None and bundle_path is not None:
                from artistshield.registry import verify_bundle

                bundle = registry.export_bundle(  # its own name: never an earlier bundle's
                    bundle_path, [work_id], identity=identity, exists="free"
                )
                checked = verify_bundle(bundle, public_key=identity.public_key)
                facts.update(bundle=bundle, bundle_summary=checked.summary(), bundle_ok=checked.ok)
        facts["registry_head"] = registry.head()
    elif work_id is None:
        notes.append("No registry was used for this check (a key file was given).")
    return Evidence(
        result=result,
        created=utc_now(),
        tool=f"ArtistShield {__version__}",
        found_at=found_at,
        notes=tuple(notes),
        **facts,
    )


def _trusted_time(registry: Registry, work: Work) -> dict[str, Any]:
    """The earliest valid stamp covering *work*, and its token, from the registry's log."""
    from artistshield.registry.timestamp import check_stamps, earliest

    entries = {entry.seq: entry for entry in registry.log()}
    stamp = earliest(check_stamps(entries)[0], work.register_seq)
    if stamp is None:
        return {}
    return {"stamp": stamp, "stamp_token": entries[stamp.seq].details["response"]}


def _suspect_picture(result: CheckResult, work_id: str | None) -> tuple[int | None, Any]:
    """The suspect's pixels to show, and for a clip which frame they are."""
    from artistshield import animation
    from artistshield.check import read_frame

    path = Path(result.input)
    if not animation.is_clip(path):
        return None, imageio.load(path).rgb8()
    frame = result.match_frame(work_id) if work_id is not None else None
    mark = result.mark
    if frame is None and mark is not None and mark.frames_with_mark:
        frame = mark.frames_with_mark[0]
    frame = frame or 0
    return frame, read_frame(path, frame)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:  # a video may be large: never the whole file at once
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _thumbnail(pixels: Any) -> bytes:
    image = Image.fromarray(pixels, "RGBA" if pixels.shape[2] == 4 else "RGB")
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _outlined(png: bytes, region: Any) -> bytes:
    """The work's thumbnail, with the part the suspect shows outlined in red."""
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    if region is not None:
        x0, y0, x1, y1 = (float(v) for v in region)
        w, h = image.size
        width = max(2, round(max(w, h) / 120))
        box = (x0 * (w - 1), y0 * (h - 1), x1 * (w - 1), y1 * (h - 1))
        ImageDraw.Draw(image).rectangle(box, outline=(*OUTLINE, 255), width=width)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
