"""Marking files: load, embed the artist's mark, write a copy, register it.

:func:`mark_files` is the batch job behind ``artistshield mark`` and the app's
Mark view.  It yields one :class:`MarkOutcome` per input, goes on after a bad
file, never writes over an original, writes each output atomically and checks
that the mark reads back from the file actually written.  Clips (videos,
animated GIF/APNG/WebP, folders of numbered frames) go to
:mod:`artistshield.animation` and are registered as one work, fingerprinted
at each of its key frames.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from artistshield import imageio, watermark
from artistshield.errors import ArtistShieldError

#: Clip suffixes marked through :mod:`artistshield.animation` (besides animated PNG/WebP).
#: Suffixes of clips (animated PNG and WebP share .png and .webp with stills).
CLIP_SUFFIXES = frozenset({".gif", ".apng", ".mp4", ".m4v", ".mov", ".webm", ".mkv"})

if TYPE_CHECKING:
    from artistshield.identity import Identity
    from artistshield.provenance.consent import Consent
    from artistshield.provenance.signing import ContentSigner
    from artistshield.registry import Registry

logger = logging.getLogger("artistshield.watermark")


@dataclass(frozen=True)
class MarkOutcome:
    """What happened to one input file."""

    source: Path
    output: Path | None = None
    payload: int | None = None
    work_id: str | None = None
    psnr: float | None = None
    readable: bool | None = None  # the mark was detected in the written file
    error: str | None = None
    frames: int | None = None  # frames written, for a clip

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["source"] = str(self.source)
        data["output"] = None if self.output is None else str(self.output)
        return data


def read_key_file(path: str | os.PathLike[str]) -> bytes:
    """Read a 32-byte watermark key stored raw or as 64 hexadecimal digits."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ArtistShieldError(f"Cannot read the key file {path}: {exc.strerror}.") from exc
    if len(data) == 32:
        return data
    try:
        key = bytes.fromhex(data.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        key = b""
    if len(key) != 32:
        raise ArtistShieldError(
            f"{path} is not a watermark key: it must hold 32 bytes, raw or as 64 hex digits."
        )
    return key


def expand_inputs(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Return the files named, with folders replaced by the images and clips inside them.

    A folder of numbered frames is one clip, kept whole, whether it is named
    directly or found inside a folder named; other images beside its frames
    (a cover, a preview GIF) are still taken one by one.
    """
    from artistshield.animation import sequence

    found: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir() and not sequence.is_sequence(entry):
            found.extend(_folder_inputs(entry))
        else:
            found.append(entry)
    return found


def _folder_inputs(folder: Path) -> list[Path]:
    """The images, clips and frame folders inside *folder* (not itself a frame folder), sorted."""
    from artistshield.animation import sequence

    inside: list[Path] = []
    for top, _, names in os.walk(folder):
        here = Path(top)
        frames = set(sequence.frame_files(here)) if here != folder else set()
        if frames:
            inside.append(here)
        files = (here / name for name in names)
        inside.extend(p for p in files if p not in frames and p.is_file() and _markable(p))
    return sorted(inside)


def _markable(path: Path) -> bool:
    return imageio.is_supported(path) or path.suffix.lower() in CLIP_SUFFIXES


def _is_clip(path: Path) -> bool:
    """Return whether *path* goes to :mod:`artistshield.animation` (GIF always does)."""
    if path.suffix.lower() == ".gif":
        return True
    from artistshield.animation import is_animation

    return is_animation(path)


def psnr(original: np.ndarray, marked: np.ndarray) -> float:
    """Return the PSNR (dB) between two images, both flattened over white."""
    a, b = _flatten(original), _flatten(marked)
    mse = float(np.mean((a - b) ** 2))
    return float("inf") if mse == 0 else 10.0 * float(np.log10(255.0**2 / mse))


def _flatten(pixels: np.ndarray) -> np.ndarray:
    rgb = pixels[..., :3].astype(np.float64)
    if pixels.shape[2] == 4:
        alpha = pixels[..., 3:].astype(np.float64) / 255.0
        rgb = rgb * alpha + 255.0 * (1.0 - alpha)
    return rgb


def mark_files(
    paths: Iterable[str | os.PathLike[str]],
    *,
    out_dir: str | os.PathLike[str],
    key: bytes,
    strength: float = 1.0,
    format: str | None = None,
    quality: int | None = None,
    registry: Registry | None = None,
    identity: Identity | None = None,
    title: str | None = None,
    verify: bool = True,
    cancelled: Callable[[], bool] = lambda: False,
    crf: int | None = None,
    codec: str | None = None,
    frame_progress: Callable[[Path, int, int], None] | None = None,
    consent: Consent | None = None,
    signer: ContentSigner | None = None,
) -> Iterator[MarkOutcome]:
    """Mark every image in *paths* into *out_dir*, yielding one outcome each.

    With *registry* and *identity* each output is registered as a work
    carrying its own payload; otherwise each gets a random payload.  The
    batch stops between files once *cancelled* returns true, and within a
    clip between frames (leaving no partial output).  *crf* and *codec* set
    the video encoder; *frame_progress* is told (source, frames done, total)
    while a clip is marked (total 0 when unknown).  *consent* is written
    into each output's metadata (XMP and EXIF; XMP only for GIF, APNG,
    animated WebP and MP4) before it is checked and registered; *signer* adds signed Content
    Credentials (C2PA) to each still in a format c2pa supports.
    """
    if (registry is None) != (identity is None):
        raise ValueError("registry and identity go together")
    out = Path(out_dir)
    sources = expand_inputs(paths)
    for source in sources:
        if cancelled():
            return
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArtistShieldError(f"Cannot create the output folder {out}: {exc.strerror}.") from exc
        try:
            if _is_clip(source):
                from artistshield.animation import Cancelled

                try:
                    yield _mark_clip(
                        source, out, key=key, strength=strength, quality=quality, crf=crf,
                        codec=codec, registry=registry, identity=identity, title=title,
                        verify=verify, cancelled=cancelled, frame_progress=frame_progress,
                        consent=consent,
                    )
                except Cancelled:
                    return
            else:
                yield _mark_one(
                    source, out, key=key, strength=strength, format=format, quality=quality,
                    registry=registry, identity=identity, title=title, verify=verify,
                    consent=consent, signer=signer,
                )
        except ArtistShieldError as exc:
            yield MarkOutcome(source=source, error=str(exc))


def _mark_one(
    source: Path,
    out_dir: Path,
    *,
    key: bytes,
    strength: float,
    format: str | None,
    quality: int | None,
    registry: Registry | None,
    identity: Identity | None,
    title: str | None,
    verify: bool,
    consent: Consent | None = None,
    signer: ContentSigner | None = None,
) -> MarkOutcome:
    artwork = imageio.load(source)
    pixels = artwork.rgb8()
    payload = _new_payload(registry)
    try:
        marked = watermark.embed(pixels, key, payload, strength=strength)
    except ValueError as exc:
        raise ArtistShieldError(f"{source.name}: {exc}.") from exc
    if np.array_equal(marked, pixels):
        raise ArtistShieldError(
            f"{source.name} has no texture or edges to hide a mark in (it is blank or a "
            "single flat colour), so it was not marked."
        )
    target = imageio.output_path(source, out_dir, format=format)
    output = artwork.with_rgb8(marked)
    if consent is not None:
        output = consent.apply(output)
    finish = None
    if signer is not None:
        def finish(data: bytes, fmt: str) -> bytes:
            return signer.sign(data, fmt, payload=payload, title=title or source.stem)

    written = imageio.save(
        output, target, format=format, quality=quality, protect=[source], finish=finish
    )
    readable = None
    written_pixels = imageio.load(written).rgb8() if verify or registry is not None else marked
    if verify:
        readable = watermark.detect(written_pixels, key).payload == payload
        if not readable:
            logger.warning("%s: the mark did not read back from %s", source.name, written.name)
    work_id = None
    if registry is not None and identity is not None:
        work = registry.add_work(
            written_pixels, file_path=written, title=title or source.stem, payload=payload,
            identity=identity,
        )
        work_id = work.work_id
        if consent is not None:
            _record_consent(registry, work_id, consent, signer, payload)
    return MarkOutcome(
        source=source, output=written, payload=payload, work_id=work_id,
        psnr=round(psnr(pixels, marked), 2), readable=readable,
    )


def _mark_clip(
    source: Path,
    out_dir: Path,
    *,
    key: bytes,
    strength: float,
    quality: int | None,
    crf: int | None,
    codec: str | None,
    registry: Registry | None,
    identity: Identity | None,
    title: str | None,
    verify: bool,
    cancelled: Callable[[], bool],
    frame_progress: Callable[[Path, int, int], None] | None,
    consent: Consent | None = None,
) -> MarkOutcome:
    from artistshield import animation

    payload = _new_payload(registry)
    progress = None
    if frame_progress is not None:
        def progress(done: int, total: int) -> None:
            frame_progress(source, done, total)

    marked = animation.mark_clip(
        source, out_dir, key=key, payload=payload, strength=strength, crf=crf, codec=codec,
        quality=quality, progress=progress, cancelled=cancelled,
    )
    if consent is not None and marked.output.is_file():
        from artistshield.provenance.consent import add_to_clip

        add_to_clip(marked.output, consent)
    readable = None
    if verify:
        readable = animation.detect_clip(marked.output, key, max_frames=12).detection.payload == payload
        if not readable:
            logger.warning("%s: the mark did not read back from %s", source.name, marked.output.name)
    work_id = None
    if registry is not None and identity is not None:
        work = registry.add_work(
            marked.first_frame, file_path=_registered_file(marked.output),
            title=title or source.stem, payload=payload, frame_count=marked.frames,
            key_frames=animation.pictures_of(marked.key_frames) or None, identity=identity,
        )
        work_id = work.work_id
        if consent is not None:
            _record_consent(registry, work_id, consent, None, payload)
    return MarkOutcome(
        source=source, output=marked.output, payload=payload, work_id=work_id,
        psnr=marked.psnr, readable=readable, frames=marked.frames,
    )


def _record_consent(
    registry: Registry, work_id: str, consent: Consent, signer: ContentSigner | None, payload: int
) -> None:
    """Keep what the copy said (and its manifest) beside the registry, for stripped copies."""
    from artistshield.provenance import record, signing

    uses = signing.training_mining(consent.data_mining)
    record.store(
        registry.path.parent, work_id, data_mining=consent.data_mining,
        training_mining={name: entry["use"] for name, entry in uses.items()},
        creator=consent.creator,
        manifest=signer.manifest_of(payload) if signer is not None else None,
    )


def _new_payload(registry: Registry | None) -> int:
    """A payload no registered work carries yet (random when nothing is registered)."""
    return registry.new_payload() if registry is not None else secrets.randbits(watermark.PAYLOAD_BITS)


def _registered_file(output: Path) -> Path:
    """Return the file the registry hashes: a frame folder's first frame."""
    if output.is_dir():
        from artistshield.animation import sequence

        return sequence.frame_files(output)[0]
    return output
