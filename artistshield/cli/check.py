"""``artistshield check``: is your mark in a suspect image, and which work is it?"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artistshield import identity
from artistshield.animation.inputs import Input, gather
from artistshield.check import CheckResult, check_file
from artistshield.cli.keys import watermark_key
from artistshield.cli.progress import DONE, FAILED, Progress
from artistshield.errors import ArtistShieldError, in_words
from artistshield.fileio import Exists
from artistshield.paths import PROOF_BUNDLE
from artistshield.progress import ClipCheckProgress
from artistshield.verdict import consent_in_words, named_work, says_about_consent

if TYPE_CHECKING:
    from artistshield.identity import Identity
    from artistshield.registry import Registry

logger = logging.getLogger("artistshield")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check",
        help="look for your mark and your registered works in suspect images",
        description=__doc__ + " Also reports Stable Diffusion's public marks, Content "
        "Credentials and provenance metadata. Exit status: 0 your work was found in some "
        "input, 1 in none, 2 an error.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="images or folders")
    parser.add_argument("--key-file", type=Path, metavar="KEY", help="check with this key instead of your identity's")
    parser.add_argument("--json", action="store_true", help="print one JSON object per input")
    parser.add_argument(
        "--report", type=Path, action="append", metavar="OUT",
        help="write an evidence report, OUT.html or OUT.pdf (repeat for both); with several "
        "inputs, one report per input named OUT-<input name>; the proof bundle is written beside "
        "it; a name already taken becomes 'OUT (2).html' and so on",
    )
    parser.add_argument(
        "--force", action="store_true",
        help="replace an existing report of the name given instead of choosing a free name",
    )
    parser.add_argument(
        "--registry", type=Path, metavar="FOLDER",
        help="check against a union's shared registry instead of your own; names the member",
    )
    parser.add_argument("--found-at", metavar="URL", help="where the suspect was found, for the report")
    parser.add_argument("--no-provenance", action="store_true",
                        help="skip the public-mark, Content Credentials and metadata checks")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    items = gather(args.files)
    if not any(item.taken for item in items):  # nothing to check: no key is needed to say so
        for item in items:
            _skipped(item, as_json=args.json)
        return 1
    if args.registry is not None and args.report:
        raise ArtistShieldError(
            "--report writes evidence from your own registry; check against the union's "
            "registry without --report, then report from your own."
        )
    key, ident = watermark_key(args.key_file)
    label = ident.artist_id if ident is not None else "key-file"
    keys = {label: key}
    names = [] if ident is None else identity.names(ident)
    registry: Any = None
    union_registry = None
    if ident is not None:
        from artistshield import union
        from artistshield.registry import Registry

        if union.joined():  # a member's marks since joining carry the union's
            from artistshield.union.membership import checking_keys

            keys = checking_keys(ident, label)
        else:
            keys = {label: ident.watermark_key}
        if args.registry is not None:
            from artistshield.union.membership import load_membership
            from artistshield.union.shared import UnionRegistry

            joined = load_membership(ident)
            root = None if joined is None else str(joined.union["root_pem"])
            registry = union_registry = UnionRegistry(args.registry, root_pem=root)
        else:
            registry = Registry.open()
    found_any = errors = unwritten = unread_sd = False
    written: set[Path] = set()  # never replaced, even with --force: two suspects named alike
    progress = Progress(items, verbose=getattr(args, "verbose", False), verb="checking", done="checked")
    try:
        several = sum(item.taken for item in items) > 1
        for item in items:
            path = item.path
            if not item.taken:  # a file in a folder that is not a picture, or an empty folder
                _skipped(item, as_json=args.json)
                continue
            progress.start(item)
            job = ClipCheckProgress(
                progress.check_step, keys=len(keys), matching=registry is not None
            )
            try:
                result = check_file(
                    path, keys=keys, registry=registry, provenance=not args.no_provenance,
                    names=names, progress=job.searched, compared=job.compared,
                )
            except Exception as exc:  # one file's failure is its line; the batch goes on
                logger.info("checking %s failed", path, exc_info=True)
                result = CheckResult(input=str(path), error=in_words(exc))
            progress.end(item, ended=FAILED if result.error is not None else DONE)
            unread_sd |= _reader_missing(result)
            found_any |= result.is_artists_work
            errors |= result.error is not None
            if args.json:
                print(json.dumps(result.to_json()), flush=True)
            else:
                print(f"{result.input}: {result.verdict}", flush=True)
                work_id = named_work(result) if union_registry is not None else None
                if union_registry is not None and work_id is not None:
                    print(f"  {union_registry.describe(work_id)}", flush=True)
                if says_about_consent(result):
                    for line in consent_in_words(result):
                        print(f"  {line}", flush=True)
            if args.report and result.error is None:
                outs = report_paths(args.report, path, several=several)
                try:
                    reports, bundle = write_reports(
                        result, outs, registry, ident, args.found_at,
                        force=args.force, written=written,
                    )
                except ArtistShieldError as exc:  # a full disk, a folder not writable: go on
                    unwritten = True
                    print(f"artistshield: {path}: no evidence report: {exc}", file=sys.stderr)
                    continue
                if not args.json:
                    for report in reports:
                        print(f"  evidence report written to {report}")
                    if bundle is not None:
                        shared = " (one for these reports)" if len(reports) > 1 else ""
                        print(f"  proof bundle written to {bundle}{shared}")
    finally:
        progress.close()
        if registry is not None:
            registry.close()
    if unread_sd and not args.json:
        print(f"artistshield: {_how_to_read_sd()}", file=sys.stderr)
    if unwritten:
        return 2
    if found_any:
        return 0
    return 2 if errors else 1


def _reader_missing(result: CheckResult) -> bool:
    from artistshield.provenance import sd

    return result.stable_diffusion is not None and result.stable_diffusion.status == sd.NOT_INSTALLED


def _how_to_read_sd() -> str:
    """Say, once per run, that Stable Diffusion's marks went unread and the one command that fixes it."""
    from artistshield.provenance.sd import install

    said = (
        "Stable Diffusion's public marks were not checked: their reader, the optional "
        "invisible-watermark package, is not installed. "
    )
    command = install.install_command()
    if command is None:
        return said + install.FROZEN
    return said + "To add it, run: " + install.shown(command)


def _skipped(item: Input, *, as_json: bool) -> None:
    """Say why *item* (a file that is not a picture, or an empty folder) was not checked."""
    if as_json:
        print(json.dumps({"input": str(item.path), "skipped": item.skipped}), flush=True)
    elif item.empty:  # nothing at all to check there: a problem to report, like an error
        print(f"artistshield: {item.skipped}", file=sys.stderr, flush=True)
    else:
        print(f"{item.path}: skipped: {item.skipped}", flush=True)


def report_paths(reports: list[Path], source: Path, *, several: bool) -> list[Path]:
    """Where the reports of *source* go: as given, or suffixed with its name for batches."""
    for out in reports:
        if out.suffix.lower() not in (".html", ".htm", ".pdf"):
            raise ArtistShieldError(f"--report {out}: name the report .html or .pdf.")
    if not several:
        return list(reports)
    return [out.with_name(f"{out.stem}-{source.stem}{out.suffix}") for out in reports]


def write_reports(
    result: CheckResult,
    outs: list[Path],
    registry: Registry | None,
    ident: Identity | None,
    found_at: str | None,
    *,
    force: bool = False,
    written: set[Path] | None = None,
) -> tuple[list[Path], Path | None]:
    """Write the reports of *result* to *outs*, one report set sharing one proof bundle.

    The evidence is gathered once, with one proof bundle beside the first
    report under a name of its own: an earlier bundle is never rewritten, so
    an older report never stands beside a bundle that changed under it.
    Each report takes the first free name for its *outs* entry, or replaces
    it with *force*, unless this run already wrote it (in *written*).
    Returns the reports written and the bundle (``None`` without an identity).
    """
    from artistshield.report import gather, write_report

    written = set() if written is None else written
    evidence = gather(
        result,
        registry=registry,
        identity=ident,
        found_at=found_at,
        bundle_path=outs[0].with_name(f"{outs[0].stem}-bundle{PROOF_BUNDLE.suffix}"),
    )
    done = []
    for out in outs:
        exists: Exists = "replace" if force and out.absolute() not in written else "free"
        report = write_report(evidence, out, exists=exists)
        written.add(report.absolute())
        done.append(report)
    return done, evidence.bundle
