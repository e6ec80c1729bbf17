"""``artistshield registry``: register works, list them, verify, export and check proofs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from artistshield import identity
from artistshield.errors import ArtistShieldError, ImageError
from artistshield.registry import AlreadyRegisteredError, Registry, Work, verify_bundle


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "registry", help="your signed registry of works", description=__doc__
    )
    actions = parser.add_subparsers(dest="registry_action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="register works without marking them")
    add.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add.add_argument("--title", help="the work's title (one FILE only; default: file name)")
    add.add_argument("--json", action="store_true", help="print JSON")
    add.set_defaults(handler=_add)

    listing = actions.add_parser("list", help="list registered works")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_list)

    show = actions.add_parser("show", help="show one work and its history")
    show.add_argument("work_id", metavar="ID")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_show)

    check = actions.add_parser(
        "verify", help="check every signature and link (exit 0 intact, 1 tampered)"
    )
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(handler=_verify)

    export = actions.add_parser("export", help="write a proof bundle anyone can verify")
    export.add_argument("--out", type=Path, required=True, metavar="FILE")
    export.add_argument(
        "--force", action="store_true", help="replace FILE if it exists (refused otherwise)"
    )
    export.add_argument(
        "--work", action="append", dest="works", metavar="ID", help="only this work (repeatable)"
    )
    export.set_defaults(handler=_export)

    bundle = actions.add_parser(
        "verify-bundle", help="check a proof bundle offline (exit 0 valid, 1 not)"
    )
    bundle.add_argument("file", type=Path, metavar="FILE")
    bundle.add_argument("--json", action="store_true", help="print JSON")
    bundle.set_defaults(handler=_verify_bundle)

    match = actions.add_parser(
        "match", help="find the registered works an image derives from (exit 0 found, 1 not)"
    )
    match.add_argument("file", type=Path, metavar="FILE")
    match.add_argument("--limit", type=int, default=5, help="how many candidates (default 5)")
    match.add_argument("--json", action="store_true", help="print JSON")
    match.set_defaults(handler=_match)


def load_pixels(path: Path) -> tuple[np.ndarray, int]:
    """The decoded 8-bit pixels of *path* (first frame, RGB or RGBA) and its frame count."""
    try:
        from artistshield import imageio
    except ModuleNotFoundError:  # until artistshield.imageio is in every checkout
        return _load_with_pillow(path)
    artwork = imageio.load(path)
    return artwork.rgb8(), artwork.frame_count


def _load_with_pillow(path: Path) -> tuple[np.ndarray, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            frames = int(getattr(image, "n_frames", 1))
            alpha = "A" in image.getbands() or "transparency" in image.info
            return np.asarray(image.convert("RGBA" if alpha else "RGB")), frames
    except (OSError, UnidentifiedImageError) as exc:
        raise ImageError(f"{path} cannot be read as an image ({exc}).") from exc


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _line(work: Work) -> str:
    mark = "marked" if work.marked else "      "
    return f"{work.work_id}  {work.registered[:10]}  {mark}  {work.title}  ({work.file_name})"


def _add(args: argparse.Namespace) -> int:
    if args.title is not None and len(args.files) > 1:
        raise ArtistShieldError("--title names one work; give a single FILE with it.")
    artist = identity.load()
    results: list[dict[str, Any]] = []
    failed = False
    with Registry.open() as registry:
        for path in args.files:
            try:
                work = registry.add_file(path, title=args.title, identity=artist)
                status = "registered"
            except AlreadyRegisteredError as exc:
                work, status = exc.work, "already registered"
            except (ArtistShieldError, OSError) as exc:
                failed = True
                results.append({"file": str(path), "status": "error", "error": str(exc)})
                print(f"artistshield: {exc}", file=sys.stderr)
                continue
            results.append({"file": str(path), "status": status, "work": work.to_json()})
            if not args.json:
                note = "" if status == "registered" else "  [already registered]"
                print(_line(work) + note)
    if args.json:
        _print_json(results)
    return 1 if failed else 0


def _list(args: argparse.Namespace) -> int:
    with Registry.open() as registry:
        works = registry.works()
    if args.json:
        _print_json([w.to_json() for w in works])
        return 0
    if not works:
        print("No works registered yet: 'artistshield registry add FILE...' or 'artistshield mark'.")
    for work in works:
        print(_line(work))
    return 0


def _show(args: argparse.Namespace) -> int:
    with Registry.open() as registry:
        work = registry.work(args.work_id)
        history = [e for e in registry.log() if e.work_id == work.work_id]
    if args.json:
        _print_json(
            {
                **work.to_json(),
                "history": [{"seq": e.seq, "kind": e.kind, "time": e.time} for e in history],
            }
        )
        return 0
    for key, value in work.to_json().items():
        if key != "key_frames":
            print(f"{key + ':':20} {value}")
    if work.key_frames:
        frames = ", ".join(str(i) for i in work.key_frames)
        print(f"{'key frames:':20} {len(work.key_frames)} of {work.frame_count} frames "
              f"fingerprinted: {frames}")
    print("history:")
    for entry in history:
        print(f"  entry {entry.seq:<6} {entry.time}  {entry.kind}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    key = identity.public_info().public_key if identity.exists() else None
    with Registry.open() as registry:
        report = registry.verify(key)
    if args.json:
        _print_json(report.to_json())
    else:
        print(report.summary())
        for problem in report.problems[1:]:
            print(f"  also entry {problem.seq}: {problem.reason}")
    return 0 if report.ok else 1


def _export(args: argparse.Namespace) -> int:
    artist = identity.load()
    with Registry.open() as registry:
        if not registry.works():
            raise ArtistShieldError("There are no registered works to export yet.")
        out = registry.export_bundle(
            args.out, args.works, identity=artist, exists="replace" if args.force else "refuse"
        )
    count = "all works" if args.works is None else f"{len(set(args.works))} work(s)"
    print(
        f"Proof bundle of {count} written to {out}. Anyone can check it, offline, with "
        f"'artistshield registry verify-bundle {out.name}'."
    )
    return 0


def _verify_bundle(args: argparse.Namespace) -> int:
    report = verify_bundle(args.file)
    if args.json:
        _print_json(report.to_json())
    else:
        print(report.summary())
        for work in report.works:
            print("  " + _line(work))
    return 0 if report.ok else 1


def _match(args: argparse.Namespace) -> int:
    pixels, _ = load_pixels(args.file)
    with Registry.open() as registry:
        matches = registry.match(pixels, limit=args.limit)
    if args.json:
        _print_json([m.to_json() for m in matches])
    else:
        if not matches:
            print("No registered work to compare with.")
        for found in matches:
            verdict = "MATCH" if found.is_match else "no match"
            title = found.work.title if found.work is not None else ""
            frame = f"  (frame {found.key_frame})" if found.key_frame else ""
            print(f"{found.work_id}  {found.similarity:6.3f}  {verdict:8}  {title}{frame}")
    return 0 if any(m.is_match for m in matches) else 1
