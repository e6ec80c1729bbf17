"""``artistshield registry``: register works, list them, verify, export and check proofs.

Withdraw a work, or merge a duplicate into the work it repeats: a signed
entry hides it from checks, lists and bundles, while its record stays and
still verifies; restore shows it again.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from artistshield import identity
from artistshield.cli.progress import DONE, FAILED, SKIPPED, Progress
from artistshield.errors import ArtistShieldError, ImageError, in_words
from artistshield.fileio import OutputExistsError, WriteError, describe
from artistshield.paths import PROOF_BUNDLE
from artistshield.register import KnownWork, register_new
from artistshield.registry import (
    AlreadyRegisteredError,
    BundleReport,
    Registry,
    Work,
    verify_bundle,
)
from artistshield.registry.db import RegistryError
from artistshield.registry.standing import Standing


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "registry", help="your signed registry of works", description=__doc__
    )
    actions = parser.add_subparsers(dest="registry_action", metavar="ACTION", required=True)
    for name, handler, about, arguments in _actions():
        action = actions.add_parser(name, **about)
        for flags, options in arguments:
            action.add_argument(*flags, **options)
        action.set_defaults(handler=handler)


Handler = Callable[[argparse.Namespace], int]
_Argument = tuple[tuple[str, ...], dict[str, Any]]


def _arg(*flags: str, **options: Any) -> _Argument:
    return flags, options


_JSON = _arg("--json", action="store_true", help="print JSON")
_ID = _arg("work_id", metavar="ID")
_FILES = _arg("files", nargs="+", type=Path, metavar="FILE")


def _actions() -> list[tuple[str, Handler, dict[str, Any], list[_Argument]]]:
    """Each action: its name, handler, help (and description), and its arguments in order."""
    return [
        ("add", _add, {"help": "register works without marking them"}, [
            _FILES,
            _arg("--title", help="the work's title (one FILE only; default: file name)"),
            _arg(
                "--again", action="store_true",
                help="register files that are registered already (the same picture re-saved "
                "or resized, a marked copy) as new versions of their works (by default they "
                "are skipped)",
            ),
            _JSON,
        ]),
        ("list", _list, {"help": "list registered works"}, [
            _arg(
                "--all", action="store_true",
                help="also list works withdrawn or merged into another",
            ),
            _JSON,
        ]),
        ("withdraw", _withdraw, {
            "help": "hide a work from checks, lists and bundles (its signed record stays)",
        }, [_ID, _arg("--reason", default="", help="why, kept in the signed entry"), _JSON]),
        ("merge", _merge, {
            "help": "merge a duplicate record into the work it repeats: checks then name that work",
        }, [_arg("duplicate", metavar="DUP"), _arg("into", metavar="INTO"), _JSON]),
        ("restore", _restore, {"help": "show a withdrawn or merged work again"}, [_ID, _JSON]),
        ("show", _show, {"help": "show one work and its history"}, [_ID, _JSON]),
        ("verify", _verify, {
            "help": "check every signature and link (exit 0 intact, 1 tampered)",
        }, [
            _JSON,
            _arg(
                "--against", nargs="+", type=Path, default=[], metavar="FILE",
                help="also compare with the registry head shown in these proof bundles, "
                "evidence reports or .head.json files (catches a log cut short and rewritten)",
            ),
        ]),
        ("export", _export, {"help": "write a proof bundle anyone can verify"}, [
            _arg(
                "--out", type=Path, default=Path(PROOF_BUNDLE.default_name), metavar="FILE",
                help=f"where to write it (default: {PROOF_BUNDLE.default_name} in the current "
                "folder)",
            ),
            _arg("--force", action="store_true", help="replace FILE if it exists (refused otherwise)"),
            _arg(
                "--work", action="append", dest="works", metavar="ID",
                help="only this work (repeatable)",
            ),
        ]),
        ("verify-bundle", _verify_bundle, {
            "help": "check proof bundles offline (exit 0 valid, 1 not); with two and --image, "
            "which registered the image first",
        }, [
            _FILES,
            _arg(
                "--image", type=Path, metavar="IMAGE",
                help="with two bundles: say which registered IMAGE first, and on what evidence",
            ),
            _JSON,
        ]),
        ("timestamp", _timestamp, {
            "help": "have a time-stamp authority (RFC 3161) prove when your works were registered",
            "description": "Send the hash of the registry's newest entry to the time-stamp "
            "authority (TSA) at --tsa, or at tsa_url in the settings file; its signed answer "
            "proves every work registered so far existed by then. The only network request "
            "ArtistShield makes, and only when asked.",
        }, [
            _arg("--tsa", metavar="URL", help="the TSA's address (default: tsa_url)"),
            _arg(
                "--tsa-certs", type=Path, metavar="FILE",
                help="the TSA's CA certificates (PEM), if its answers do not carry them "
                "(default: tsa_certs)",
            ),
            _JSON,
        ]),
        ("match", _match, {
            "help": "find the registered works an image derives from (exit 0 found, 1 not)",
        }, [
            _arg("file", type=Path, metavar="FILE"),
            _arg("--limit", type=int, default=5, help="how many candidates (default 5)"),
            _JSON,
        ]),
    ]


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


def _line(work: Work, standing: Standing | None = None) -> str:
    mark = "marked" if work.marked else "      "
    line = f"{work.work_id}  {work.registered[:10]}  {mark}  {work.title}  ({work.file_name})"
    return line if standing is None else f"{line}  [{standing.in_words()}]"


def _add(args: argparse.Namespace) -> int:
    if args.title is not None and len(args.files) > 1:
        raise ArtistShieldError("--title names one work; give a single FILE with it.")
    artist = identity.load()
    results: list[dict[str, Any]] = []
    failed = False
    progress = Progress(
        args.files, verbose=getattr(args, "verbose", False), verb="registering", done="registered"
    )
    with Registry.open() as registry:
        registry.check_writable()
        for path in args.files:
            progress.start(path)
            known: KnownWork | None = None
            try:
                work, known = register_new(
                    registry, path, title=args.title, identity=artist,
                    keys=[artist.watermark_key], again=args.again,
                )
                skipped = known is not None and work.work_id == known.work.work_id
                status = "already registered" if skipped else "registered"
            except AlreadyRegisteredError as exc:
                work, status = exc.work, "already registered"
            except Exception as exc:  # one file's failure is its line; the batch goes on
                failed = True
                progress.end(path, ended=FAILED)
                results.append({"file": str(path), "status": "error", "error": in_words(exc)})
                print(f"artistshield: {in_words(exc)}", file=sys.stderr)
                continue
            progress.end(path, ended=DONE if status == "registered" else SKIPPED)
            result: dict[str, Any] = {"file": str(path), "status": status, "work": work.to_json()}
            if known is not None:
                result["already_registered"] = known.to_json()
                result["version_of"] = None if skipped else known.work.work_id
            results.append(result)
            if args.json:
                continue
            if known is not None and skipped:  # recognised: say how, and the way on
                print(f"{path}: skipped: {known.in_words()}; give --again to register it "
                      "as a new version")
            elif known is not None:
                print(_line(work) + f"  [a new version of {known.work.work_id}]")
            else:
                print(_line(work) + ("" if status == "registered" else "  [already registered]"))
    progress.close()
    if args.json:
        _print_json(results)
    return 1 if failed else 0


def _list(args: argparse.Namespace) -> int:
    with Registry.open() as registry:
        works = registry.works(hidden=args.all)
        hidden = registry.standings()
    if args.json:
        _print_json([_with_standing(w.to_json(), hidden.get(w.work_id)) for w in works])
        return 0
    if not works:
        print("No works registered yet: 'artistshield registry add FILE...' or 'artistshield mark'.")
    for work in works:
        print(_line(work, hidden.get(work.work_id)))
    if hidden and not args.all:
        print(f"({len(hidden)} withdrawn or merged work(s) not listed: 'registry list --all')")
    return 0


def _with_standing(record: dict[str, Any], standing: Standing | None) -> dict[str, Any]:
    return record if standing is None else {**record, "hidden": standing.to_json()}


def _withdraw(args: argparse.Namespace) -> int:
    artist = identity.load()
    with Registry.open() as registry:
        work = registry.work(args.work_id)
        standing = registry.withdraw(work.work_id, artist, reason=args.reason)
    if args.json:
        _print_json(_with_standing(work.to_json(), standing))
    else:
        print(
            f"{work.work_id} \"{work.title}\" is {standing.in_words()}. Checks, lists and "
            "bundles leave it out; its signed record stays ('registry list --all', "
            f"'registry restore {work.work_id}')."
        )
    return 0


def _merge(args: argparse.Namespace) -> int:
    artist = identity.load()
    with Registry.open() as registry:
        standing = registry.merge(args.duplicate, args.into, artist)
        work, into = registry.work(args.duplicate), registry.work(args.into)
    if args.json:
        _print_json(_with_standing(work.to_json(), standing))
    else:
        print(
            f"{work.work_id} \"{work.title}\" is {standing.in_words()}: checks now name "
            f"{into.work_id} \"{into.title}\" for copies of either; the record of "
            f"{work.work_id} stays ('registry list --all')."
        )
    return 0


def _restore(args: argparse.Namespace) -> int:
    artist = identity.load()
    with Registry.open() as registry:
        work = registry.restore(args.work_id, artist)
    if args.json:
        _print_json(work.to_json())
    else:
        print(f"{work.work_id} \"{work.title}\" is shown again in checks, lists and bundles.")
    return 0


def _show(args: argparse.Namespace) -> int:
    from artistshield.registry.timestamp import check_stamps, earliest

    with Registry.open() as registry:
        work = registry.work(args.work_id)
        log = registry.log()
        standing = registry.standings().get(work.work_id)
        version_of = registry.version_of(work.work_id)
    history = [e for e in log if e.work_id == work.work_id]
    stamp = earliest(check_stamps({e.seq: e for e in log})[0], work.register_seq)
    if args.json:
        _print_json(
            {
                **_with_standing(work.to_json(), standing),
                "version_of": version_of,
                "history": [{"seq": e.seq, "kind": e.kind, "time": e.time} for e in history],
                "trusted_time": None if stamp is None else stamp.to_json(),
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
    if version_of is not None:
        print(f"{'new version of:':20} {version_of}")
    if standing is not None:
        print(f"{'hidden:':20} {standing.in_words()} ('registry restore {work.work_id}')")
    trusted = "none yet ('artistshield registry timestamp')" if stamp is None else stamp.claim()
    print(f"{'trusted time:':20} {trusted}")
    print("history:")
    for entry in history:
        print(f"  entry {entry.seq:<6} {entry.time}  {entry.kind}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from artistshield.registry.head import read as read_heads

    key = identity.public_info().public_key if identity.exists() else None
    shown = [(str(path), head) for path in args.against for head in read_heads(path)]
    try:
        with Registry.open() as registry:
            report = registry.verify(key, against=shown)
    except RegistryError as exc:  # a table gone, a file that is no registry: tampered too
        if args.json:
            _print_json({"ok": False, "error": str(exc)})
        else:
            print(f"Registry TAMPERED or damaged: {exc}")
        return 1
    if args.json:
        _print_json(report.to_json())
    else:
        print(report.summary())
        for problem in report.problems[1:]:
            print(f"  also entry {problem.seq}: {problem.reason}")
        _awaiting_stamp()
    return 0 if report.ok else 1


def _awaiting_stamp() -> None:
    """Once a TSA is configured, say when works wait for a stamp."""
    from artistshield.registry import timestamp

    if timestamp.configured()[0] is None:
        return
    with Registry.open() as registry:
        waiting = timestamp.pending(registry.log())
    if waiting:
        print(
            f"{waiting} work(s) registered since the last trusted timestamp: run "
            "'artistshield registry timestamp' when online."
        )


def _export(args: argparse.Namespace) -> int:
    from artistshield.registry.head import write_file

    if not args.force and os.path.lexists(args.out):  # before the export entry is signed
        raise OutputExistsError(args.out)
    artist = identity.load()
    with Registry.open() as registry:
        registry.check_writable()
        if not registry.works():
            raise ArtistShieldError("There are no registered works to export yet.")
        out = registry.export_bundle(
            args.out, args.works, identity=artist, exists="replace" if args.force else "refuse"
        )
        head = registry.head()
    count = "all works" if args.works is None else f"{len(set(args.works))} work(s)"
    print(
        f"Proof bundle of {count} written to {out}. Anyone can check it, offline, with "
        f"'artistshield registry verify-bundle {out.name}'."
    )
    if head is not None:
        try:
            written = write_file(head, out)
        except OSError as exc:
            raise WriteError(
                f"The proof bundle is complete, but its head file was not written: "
                f"{describe(out.with_suffix('.head.json'), exc)}"
            ) from exc
        print(
            f"The registry's signed head (entry {head.seq}) is in {written}: keep a copy away "
            f"from this computer; 'artistshield registry verify --against {written.name}' "
            "shows later whether the registry was cut short."
        )
    return 0


def _verify_bundle(args: argparse.Namespace) -> int:
    if args.image is not None:
        return _dispute(args)
    reports = [verify_bundle(path) for path in args.files]
    if args.json:
        documents = [r.to_json() for r in reports]
        _print_json(documents[0] if len(documents) == 1 else documents)
        return 0 if all(r.ok for r in reports) else 1
    for path, report in zip(args.files, reports, strict=True):
        if len(reports) > 1:
            print(f"{path}:")
        _print_bundle(report)
    return 0 if all(r.ok for r in reports) else 1


def _print_bundle(report: BundleReport) -> None:
    print(report.summary())
    for work in report.works:
        print("  " + _line(work))
        stamp = report.stamp_for(work)
        if stamp is not None:
            print(f"    {stamp.claim()}")
        elif report.ok:
            print("    no trusted timestamp: its date is the artist's own clock")
    for root, sha in sorted({(s.root, s.root_sha256) for s in report.stamps if report.ok}):
        print(
            f"  The timestamps' certificate chain ends at the root \"{root}\" (SHA-256 {sha}): "
            "check that it is the TSA's published root."
        )


def _dispute(args: argparse.Namespace) -> int:
    from artistshield.registry.dispute import dispute

    if len(args.files) != 2:
        raise ArtistShieldError("--image compares two bundles: give exactly two FILEs.")
    pixels, _ = load_pixels(args.image)
    result = dispute(pixels, (args.files[0], args.files[1]))
    if args.json:
        _print_json(result.to_json())
        return 0 if result.first is not None else 1
    for claim in result.claims:
        print(f"{claim.bundle}:")
        if claim.report is not None:
            print(f"  {claim.report.summary()}")
        if claim.work is not None:
            print(f"  {claim.work.work_id} \"{claim.work.title}\" is this image "
                  f"(similarity {claim.similarity:.2f})")
            print(f"  {claim.evidence()}")
        if claim.error is not None:
            print(f"  {claim.error}")
    print(result.verdict)
    return 0 if result.first is not None else 1


def _timestamp(args: argparse.Namespace) -> int:
    from artistshield.registry import timestamp

    url, certs = timestamp.configured()
    url = args.tsa or url
    certs = args.tsa_certs or certs
    if url is None:
        from artistshield.paths import data_dir

        raise ArtistShieldError(
            "No time-stamp authority is configured: give --tsa URL, or set tsa_url in "
            f"{data_dir() / timestamp.SETTINGS_FILE}. ArtistShield contacts none by default."
        )
    chain = timestamp.load_certificates(certs) if certs is not None else []
    artist = identity.load()
    with Registry.open() as registry:
        if not registry.works():
            raise ArtistShieldError("There are no registered works to stamp yet.")
        stamp = timestamp.take_stamp(registry, artist, tsa_url=url, certificates=chain)
        covered = sum(1 for w in registry.works() if stamp and w.register_seq <= stamp.head_seq)
    if args.json:
        _print_json(None if stamp is None else {**stamp.to_json(), "works": covered})
    elif stamp is None:
        print("Nothing to stamp: every registered work is covered by a trusted timestamp already.")
    else:
        print(
            f"Stamped the registry's entry {stamp.head_seq}: {covered} work(s) "
            f"{stamp.claim()}."
        )
    return 0


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
