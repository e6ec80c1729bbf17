"""Marking files: load, embed the artist's mark, write a copy, register it.

:func:`mark_files` is the batch job behind ``artistshield mark`` and the app's
Mark view.  It yields one :class:`MarkOutcome` per input, goes on after a bad
file, never writes over any file, and checks that the mark reads back from
the file actually written.  A copy takes its final name only once its signed
record is committed (:mod:`artistshield.registry.pending`), so no marked file
is ever left unregistered, and no two writers can take one name.  Clips (videos,
animated GIF/APNG/WebP, folders of numbered frames) go to
:mod:`artistshield.animation` and are registered as one work, fingerprinted
at each of its key frames.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from artistshield import fileio, imageio, memory, watermark
from artistshield.animation import frames as anim
from artistshield.animation import sequence
from artistshield.animation.clip import CLIP_SUFFIXES, is_clip
from artistshield.animation.inputs import gather
from artistshield.errors import ArtistShieldError, in_words

__all__ = ["CLIP_SUFFIXES", "MarkOutcome", "expand_inputs", "mark_files", "read_key_file"]

#: Stills whose format imageio reads but does not write: a one-frame GIF or
#: APNG is written back by :mod:`artistshield.animation.frames`, palette and all.
_WRITTEN_AS_ANIMATION = frozenset({".gif", ".apng"})

if TYPE_CHECKING:
    from artistshield.animation.keyframes import KeyFramePicture
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
    skipped: str | None = None  # why a file found in a folder was not marked
    fragile: str | None = None  # why the mark may not survive recompression (still marked)

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
    from artistshield import untrusted

    data = untrusted.read_bytes(path, what="watermark key file", limit=4096)
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
    """Return the files named, with folders replaced by the pictures and clips inside them.

    A folder is a batch of pictures unless it is a frame sequence, which is
    one clip (see :mod:`artistshield.animation.inputs`); files that are not
    pictures are left out here (:func:`mark_files` says why, one line each).
    """
    return [item.path for item in gather(paths) if item.taken]


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
    member: int | None = None,
    consent: Consent | None = None,
    signer: ContentSigner | None = None,
) -> Iterator[MarkOutcome]:
    """Mark every image in *paths* into *out_dir*, yielding one outcome each.

    With *registry* and *identity* each output is registered as a work
    carrying its own payload; otherwise each gets a random payload.  The
    batch stops between files once *cancelled* returns true, and within a
    clip between frames (leaving no partial output).  *crf* and *codec* set
    the video encoder; *frame_progress* is told (source, frames done, total)
    while a clip is marked (total 0 when unknown).  *member* is the artist's
    number in the union whose key *key* is: each payload then starts with it
    (:func:`artistshield.union.membership.payload_for`).  *consent* is written
    into each output's metadata (XMP and EXIF; XMP only for GIF, APNG,
    animated WebP and MP4) before it is checked and registered; *signer* adds signed Content
    Credentials (C2PA) to each still and clip in a format c2pa supports, and
    to every frame of a frame folder.
    """
    if (registry is None) != (identity is None):
        raise ValueError("registry and identity go together")
    out = Path(out_dir)
    if registry is not None:
        from artistshield.registry import pending

        pending.recover(registry, identity=identity)  # copies a killed batch left half done
    for item in gather(paths):
        source = item.path
        if cancelled():
            return
        if item.empty:
            yield MarkOutcome(source=source, error=f"{item.skipped}.")
            continue
        if item.skipped is not None:
            yield MarkOutcome(source=source, skipped=item.skipped)
            continue
        fileio.make_folder(out)
        try:
            if is_clip(source):
                from artistshield.animation import Cancelled

                try:
                    yield _mark_clip(
                        source, out, key=key, strength=strength, quality=quality, crf=crf,
                        codec=codec, registry=registry, identity=identity, title=title,
                        verify=verify, cancelled=cancelled, frame_progress=frame_progress,
                        member=member, consent=consent, signer=signer,
                    )
                except Cancelled:
                    return
            else:
                yield _mark_one(
                    source, out, key=key, strength=strength, format=format, quality=quality,
                    registry=registry, identity=identity, title=title, verify=verify,
                    member=member, consent=consent, signer=signer,
                )
        except Exception as exc:  # one file's failure is its outcome; the batch goes on
            if not isinstance(exc, ArtistShieldError):
                logger.info("marking %s failed", source, exc_info=True)
            yield MarkOutcome(source=source, error=in_words(exc))


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
    member: int | None = None,
    consent: Consent | None = None,
    signer: ContentSigner | None = None,
) -> MarkOutcome:
    if source.suffix.lower() in _WRITTEN_AS_ANIMATION and format is None:
        return _mark_animated_still(
            source, out_dir, key=key, strength=strength, registry=registry, identity=identity,
            title=title, verify=verify, member=member, consent=consent, signer=signer,
        )
    memory.check_still(source, bytes_per_pixel=memory.MARK_BYTES_PER_PIXEL, action="mark")
    artwork = imageio.load(source)
    pixels = artwork.rgb8()
    payload = _new_payload(registry, member)
    marked, fragile = _embed(source, pixels, key, payload, strength)
    preferred = imageio.output_path(source, out_dir, format=format)
    output = artwork.with_rgb8(marked)
    if consent is not None:
        output = consent.apply(output)  # metadata only: the marked pixels stay as they are
    finish = None
    if signer is not None:
        def finish(data: bytes, fmt: str) -> bytes:
            return signer.sign(data, fmt, payload=payload, title=title or source.stem)

    data = imageio.encode(
        output, preferred, format=format, quality=quality, protect=[source], finish=finish
    )
    return _publish(
        source, out_dir, pixels, marked, payload,
        write=lambda folder: fileio.write_file(folder / preferred.name, data),
        read_back=lambda staged: imageio.load(staged).rgb8(),
        key=key, registry=registry, identity=identity, title=title, verify=verify,
        consent=consent, signer=signer, fragile=fragile,
    )


def _mark_animated_still(
    source: Path,
    out_dir: Path,
    *,
    key: bytes,
    strength: float,
    registry: Registry | None,
    identity: Identity | None,
    title: str | None,
    verify: bool,
    member: int | None = None,
    consent: Consent | None = None,
    signer: ContentSigner | None = None,
) -> MarkOutcome:
    """Mark a one-frame GIF or APNG as a still, written back in its own format."""
    still = anim.read_animation(source)
    pixels = still.frames[0]
    payload = _new_payload(registry, member)
    marked, fragile = _embed(source, pixels, key, payload, strength)

    def write(folder: Path) -> Path:
        staged = anim.write_animation(
            anim.Animation(still.format, [marked], still.durations, still.loop, still.disposal),
            folder / source.name,
        )
        if consent is not None:
            from artistshield.provenance.consent import add_to_clip

            add_to_clip(staged, consent, source=source)
        if signer is not None:
            signer.sign_file(staged, payload=payload, title=title or source.stem)
        return staged

    return _publish(
        source, out_dir, pixels, marked, payload, write=write,
        read_back=lambda staged: anim.read_animation(staged).frames[0],  # as a viewer sees it
        key=key, registry=registry, identity=identity, title=title, verify=verify,
        consent=consent, signer=signer, fragile=fragile,
    )


def _embed(
    source: Path, pixels: np.ndarray, key: bytes, payload: int, strength: float
) -> tuple[np.ndarray, str | None]:
    """*pixels* marked, and why the mark is fragile (None: it is not); or why they cannot be."""
    try:
        marked, fragile = watermark.embed_noting(pixels, key, payload, strength=strength)
    except ValueError as exc:
        raise ArtistShieldError(f"{source.name}: {exc}.") from exc
    if np.array_equal(marked, pixels):
        raise ArtistShieldError(f"{source.name} {why_unmarkable(pixels)}")
    return marked, fragile


FLAT_RANGE = 3
"""Levels a picture may vary by and still be one flat colour (dither, a JPEG's noise)."""


def why_unmarkable(pixels: np.ndarray, *, kind: str = "picture") -> str:
    """Say truly why *pixels*, which the mark left unchanged, could not be marked.

    A blank page and a soft gradient both leave the mark nowhere to hide (it
    sits in texture and along edges), but an artist who sees "blank" on a
    painted sky knows the message is wrong; so say which one it is.  For a
    *kind* of ``"clip"``, *pixels* is its first frame and the words are of its frames.
    """
    shown = pixels[..., :3]
    if pixels.ndim == 3 and pixels.shape[2] == 4:
        shown = shown[pixels[..., 3] > 0]  # what is fully transparent is not part of it
    spread = 0 if shown.size == 0 else int(np.ptp(shown.reshape(-1, 3), axis=0).max())
    it = "its frames are" if kind == "clip" else "it is"
    if spread <= FLAT_RANGE:
        what = f"{it} blank or a single flat colour"
    else:
        what = f"{it} too smooth to hide a mark in (a soft gradient or shading with no drawn detail)"
    return (
        f"was not marked: {what}; the mark hides only in texture and along edges. "
        "You can still register it without marking, so that copies of it are found "
        "by its fingerprint."
    )


def _publish(
    source: Path,
    out_dir: Path,
    pixels: np.ndarray,
    marked: np.ndarray,
    payload: int,
    *,
    write: Callable[[Path], Path],
    read_back: Callable[[Path], np.ndarray],
    key: bytes,
    registry: Registry | None,
    identity: Identity | None,
    title: str | None,
    verify: bool,
    consent: Consent | None,
    signer: ContentSigner | None,
    fragile: str | None = None,
) -> MarkOutcome:
    """Stage a marked still (*write* puts it in a folder), check it, register it, name it.

    The copy takes its final name only once its signed record is written
    (:class:`artistshield.registry.pending.PendingCopy`).
    """
    from artistshield.registry.pending import PendingCopy

    with PendingCopy(out_dir, registry=registry, payload=payload, identity=identity) as copy:
        staged = write(copy.folder)
        readable = None
        written_pixels = read_back(staged) if verify or registry is not None else marked
        if verify:
            readable = watermark.detect(written_pixels, key).payload == payload
            if not readable:
                logger.warning("%s: the mark did not read back from %s", source.name, staged.name)
        work_id = None
        if registry is not None and identity is not None:
            staged = copy.claim(staged)
            work = registry.add_work(
                written_pixels, file_path=staged, title=title or source.stem, payload=payload,
                identity=identity,
            )
            work_id = work.work_id
            if consent is not None:
                _record_consent(registry, identity, work_id, consent, signer, payload)
        written = copy.finish(staged)
    return MarkOutcome(
        source=source, output=written, payload=payload, work_id=work_id,
        psnr=round(psnr(pixels, marked), 2), readable=readable,
        fragile=fragile,
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
    member: int | None = None,
    consent: Consent | None = None,
    signer: ContentSigner | None = None,
) -> MarkOutcome:
    from artistshield import animation
    from artistshield.animation import video
    from artistshield.registry.pending import PendingCopy

    payload = _new_payload(registry, member)
    progress = None
    if frame_progress is not None:
        def progress(done: int, total: int) -> None:
            frame_progress(source, done, total)

    named = title or source.stem
    finish = None
    if signer is not None:  # a frame folder's frames are signed as they are written
        def finish(data: bytes, fmt: str) -> bytes:
            return signer.sign(data, fmt, payload=payload, title=named)

    with PendingCopy(out_dir, registry=registry, payload=payload, identity=identity) as copy:
        marked = animation.mark_clip(
            source, copy.folder, key=key, payload=payload, strength=strength, crf=crf,
            codec=codec, quality=quality, progress=progress, cancelled=cancelled,
            prepare=None if consent is None else consent.apply, finish=finish,
        )
        if marked.psnr == float("inf"):  # not one frame took the mark: never register it as marked
            raise ArtistShieldError(
                f"{source.name} {why_unmarkable(marked.first_frame, kind='clip')}"
            )
        # the key frames are fingerprinted for the registry while the copy is
        # signed and read back: the two take the two cores the encoder had
        key_frames: Future[list[KeyFramePicture]] | None = None
        pool = ThreadPoolExecutor(1)
        if registry is not None and identity is not None:
            key_frames = pool.submit(animation.fingerprinted, animation.pictures_of(marked.key_frames))
        try:
            readable = _finish_clip(
                source, marked.output, key=key, payload=payload, title=named, verify=verify,
                consent=consent, signer=signer,
            )
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        work_id = None
        staged = marked.output
        if registry is not None and identity is not None:
            assert key_frames is not None
            staged = copy.claim(staged)
            work = registry.add_work(
                marked.first_frame, file_path=_registered_file(staged),
                title=title or source.stem, payload=payload, frame_count=marked.frames,
                key_frames=key_frames.result() or None, identity=identity,
                turn=video.display_rotation(source) if video.is_video(source) else 0,
            )
            work_id = work.work_id
            if consent is not None:
                _record_consent(registry, identity, work_id, consent, signer, payload)
        written = copy.finish(staged)
    return MarkOutcome(
        source=source, output=written, payload=payload, work_id=work_id,
        psnr=marked.psnr, readable=readable, frames=marked.frames,
    )


def _finish_clip(
    source: Path, output: Path, *, key: bytes, payload: int, title: str, verify: bool,
    consent: Consent | None, signer: ContentSigner | None,
) -> bool | None:
    """Write the consent and Content Credentials into a marked clip, then read its mark back.

    Returns whether the mark read back (None: not checked).
    """
    from artistshield import animation

    if consent is not None and output.is_file():
        from artistshield.provenance.consent import add_to_clip

        add_to_clip(output, consent, source=source)
    if signer is not None and output.is_file():
        # before the read-back, so the mark is checked in the signed file
        signer.sign_file(output, payload=payload, title=title)
    if not verify:
        return None
    # stops once sure; read as written: the copy has not been scaled since
    readable = animation.detect_clip(output, key, resync=False).detection.payload == payload
    if not readable:
        logger.warning("%s: the mark did not read back from %s", source.name, source.name)
    return readable


def _record_consent(
    registry: Registry, identity: Identity, work_id: str, consent: Consent,
    signer: ContentSigner | None, payload: int,
) -> None:
    """Sign what the copy said into the log, and keep its manifest beside the registry."""
    from artistshield.provenance import record, signing
    from artistshield.registry import consent as signed_consent

    uses = {name: entry["use"] for name, entry in signing.training_mining(consent.data_mining).items()}
    manifest = signer.manifest_of(payload) if signer is not None else None
    said: dict[str, Any] = {"data_mining": consent.data_mining, "training_mining": uses, "creator": consent.creator}
    signed_consent.record(registry, identity, work_id, manifest=manifest, **said)
    record.store(registry.path.parent, work_id, manifest=manifest, **said)


def _new_payload(registry: Registry | None, member: int | None = None) -> int:
    """A payload no registered work carries yet (random when nothing is registered).

    A union member's payloads start with their member number.
    """
    if member is not None:
        from artistshield.union.membership import payload_for

        while True:
            payload = payload_for(member)
            if registry is None or registry.find_by_payload(payload) is None:
                return payload
    return registry.new_payload() if registry is not None else secrets.randbits(watermark.PAYLOAD_BITS)


def _registered_file(output: Path) -> Path:
    """Return the file the registry hashes: a frame folder's first frame."""
    if output.is_dir():
        return sequence.frame_files(output)[0]
    return output
