"""``artistshield mark``: put your mark in copies of your artwork.

Stills, videos (MP4, MOV, WebM, MKV), animated GIF/APNG/WebP and folders of
numbered frames are all taken; a clip is marked in every frame and registered
as one work.  A file already registered (the same pixels, the same picture
saved again, or a marked copy) is skipped, naming its work, unless --again
is given: it is then marked as a new version of that work.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from artistshield import identity
from artistshield.animation.inputs import gather
from artistshield.cli.keys import watermark_key
from artistshield.cli.progress import DONE, FAILED, SKIPPED, Progress
from artistshield.errors import ArtistShieldError
from artistshield.mark import MarkOutcome, mark_files
from artistshield.provenance import signing
from artistshield.provenance.consent import (
    DATA_MINING_VALUES,
    DEFAULT_DATA_MINING,
    Consent,
    from_settings,
)

if TYPE_CHECKING:
    from artistshield.register import KnownWork


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "mark",
        help="mark copies of your artwork (originals are never changed)",
        description=__doc__ + " Each output is registered in your signed registry.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="images, clips or folders")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument(
        "--strength", type=float, default=1.0, metavar="S",
        help="mark strength, above 0 and at most 4 (default 1: PSNR about 42 dB or better)",
    )
    parser.add_argument("--format", choices=["PNG", "JPEG", "WEBP", "TIFF", "BMP"], type=str.upper,
                        help="output format (default: the input's)")
    parser.add_argument("--quality", type=int, metavar="Q", help="JPEG/WebP quality")
    parser.add_argument(
        "--crf", type=int, metavar="N",
        help="video quality: constant rate factor, lower is better (default 18)",
    )
    parser.add_argument(
        "--codec", choices=["libx264", "libx265", "libvpx-vp9", "libsvtav1"],
        help="video encoder (default: H.264, or VP9 for WebM)",
    )
    parser.add_argument("--title", help="title to register (default: the file name)")
    parser.add_argument(
        "--again", action="store_true",
        help="mark files that are registered already as new versions of their works (by "
        "default they are skipped)",
    )
    parser.add_argument(
        "--key-file", type=Path, metavar="KEY",
        help="for scripts: mark with this 32-byte key instead of your identity (nothing is registered)",
    )
    consent = parser.add_mutually_exclusive_group()
    consent.add_argument(
        "--no-consent", action="store_true",
        help="write no consent metadata (by default each copy says, in XMP and EXIF, "
        "who made it and that it is not for AI training)",
    )
    consent.add_argument(
        "--data-mining", choices=DATA_MINING_VALUES, metavar="VALUE",
        help="the IPTC data-mining value to write (default: the app's setting, else "
        f"{DEFAULT_DATA_MINING}); one of " + ", ".join(DATA_MINING_VALUES),
    )
    parser.add_argument(
        "--no-c2pa", action="store_true",
        help="sign no Content Credentials (by default each PNG, JPEG, WebP and TIFF copy carries "
        "a C2PA manifest signed with your identity's own certificate, which validators show "
        "as untrusted)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per file")
    parser.set_defaults(handler=run)


def signer_for(
    args: argparse.Namespace, ident: identity.Identity | None, consent: Consent | None
) -> signing.ContentSigner | None:
    """The C2PA signer: none with --no-c2pa, --no-consent, a key file, or the setting off."""
    if args.no_c2pa or ident is None:
        return None
    return signing.from_settings(ident, consent)


def consent_for(args: argparse.Namespace, creator: str | None) -> Consent | None:
    """The consent to write: none with --no-consent, else the setting, --data-mining first."""
    if args.no_consent:
        return None
    if args.data_mining:
        return Consent(creator=creator, data_mining=args.data_mining)
    return from_settings(creator)


def run(args: argparse.Namespace) -> int:
    if not 0 < args.strength <= 4:
        raise ArtistShieldError("--strength must be above 0 and at most 4.")
    if args.crf is not None and not 0 <= args.crf <= 63:
        raise ArtistShieldError("--crf must be a whole number from 0 to 63.")
    if not any(item.taken for item in gather(args.files)):
        # nothing to mark, so no key is needed to say so
        for item in gather(args.files):
            if item.empty:
                print(f"artistshield: {item.skipped}", file=sys.stderr)
            else:
                print(f"{item.path}: skipped: {item.skipped}")
        return 1
    key, ident = watermark_key(args.key_file)
    consent = consent_for(args, ident.name if ident is not None else None)
    signer = signer_for(args, ident, consent)
    if signer is not None and not args.json:  # a fact about the output, not a problem
        print(
            "Content Credentials are signed with your identity's own certificate; validators "
            "show them as valid but untrusted, since no public trust list knows it."
        )
    registry = member = None
    if ident is not None:
        from artistshield.registry import Registry
        from artistshield.union.membership import checking_keys, marking_key

        key, member = marking_key(ident)
        registry = Registry.open()
        try:
            registry.check_writable()  # refuse once, before any file is written
        except BaseException:
            registry.close()
            raise
    failures = 0
    progress = Progress(
        gather(args.files), verbose=getattr(args, "verbose", False), verb="marking", done="marked"
    )
    mark = functools.partial(
        mark_files, out_dir=args.out, key=key, strength=args.strength, format=args.format,
        quality=args.quality, registry=registry, identity=ident, title=args.title,
        crf=args.crf, codec=args.codec, member=member, consent=consent, signer=signer,
        frame_progress=progress.file_frames,
    )
    try:
        if registry is None or ident is None:
            outcomes: Iterator[tuple[MarkOutcome, KnownWork | None]] = (
                (outcome, None) for outcome in mark(args.files)
            )
        else:
            from artistshield.remark import AGAIN, SKIP, mark_new

            keys = list(checking_keys(ident, "own").values())
            outcomes = mark_new(
                args.files, registry=registry, identity=ident, keys=keys, mark=mark,
                decide=lambda known: AGAIN if args.again else SKIP,
                skipped_because=lambda known: (
                    f"{known.in_words()}; give --again to mark it as a new version"
                ),
            )
        for outcome, known in progress.track(outcomes, ended=_ended):
            if not outcome.ok:
                failures += 1
            if args.json:
                data = outcome.to_json()
                if known is not None:
                    data["already_registered"] = known.to_json()
                    marked = outcome.skipped is None and outcome.work_id is not None
                    data["version_of"] = known.work.work_id if marked else None
                print(json.dumps(data), flush=True)
            elif outcome.skipped is not None:
                print(f"{outcome.source}: skipped: {outcome.skipped}")
            elif outcome.ok:
                note = "" if outcome.readable in (True, None) else "  WARNING: the mark did not read back"
                if outcome.fragile:
                    note += f"\n  note: the mark is fragile: {outcome.fragile}"
                work = f" as {outcome.work_id}" if outcome.work_id else ""
                if known is not None:
                    work += f", a new version of {known.work.work_id}"
                frames = f"{outcome.frames} frames, " if outcome.frames else ""
                print(f"{outcome.source} -> {outcome.output}{work} ({frames}PSNR {outcome.psnr} dB){note}")
            else:
                print(f"{outcome.source}: {outcome.error}", file=sys.stderr)
    finally:
        if registry is not None:
            registry.close()
    return 1 if failures else 0


def _ended(found: tuple[MarkOutcome, KnownWork | None]) -> str:
    """How marking a file ended, for ``-v``'s line at its end."""
    outcome = found[0]
    return SKIPPED if outcome.skipped is not None else DONE if outcome.ok else FAILED
