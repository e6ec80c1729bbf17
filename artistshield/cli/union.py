"""``artistshield union``: a union's authority, its members, and the shared registry.

Union staff run ``create``, ``issue``, ``revoke``, ``revocations``,
``profile``, ``rotate`` and ``merge`` in the union's own folder (``--home``
or ``$ARTISTSHIELD_UNION_HOME``).  Members run ``request``, ``join`` and
``contribute`` with their own identity.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from artistshield import identity
from artistshield import scan as scanning
from artistshield.errors import ArtistShieldError
from artistshield.fileio import write_file
from artistshield.progress import duration_in_words
from artistshield.union import authority as authorities
from artistshield.union import membership as memberships
from artistshield.union import shared


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "union", help="unions and guilds: members, shared registry", description=__doc__
    )
    actions = parser.add_subparsers(dest="union_action", metavar="ACTION", required=True)

    def staff(name: str, help: str) -> argparse.ArgumentParser:
        action = actions.add_parser(name, help=help)
        action.add_argument("--home", type=Path, help="the union's folder")
        return action

    create = staff("create", "make a union authority (once)")
    create.add_argument("--name", required=True)
    create.add_argument("--logo", type=Path, help="a picture shown with the union's name")
    create.add_argument("--colour", default=authorities.DEFAULT_COLOUR, help="#RRGGBB")
    create.add_argument("--no-passphrase", action="store_true", help="not advised")
    create.set_defaults(handler=_create)

    request = actions.add_parser("request", help="write your request to join a union")
    request.add_argument("--out", type=Path, required=True)
    request.set_defaults(handler=_request)

    issue = staff("issue", "certify a member from their request")
    issue.add_argument("request", type=Path, metavar="REQUEST")
    issue.add_argument("--member-no", type=int, required=True)
    issue.add_argument("--until", required=True, help="YYYY-MM-DD the membership ends")
    issue.add_argument("--out", type=Path, help="the membership file to send the member")
    issue.set_defaults(handler=_issue)

    revoke = staff("revoke", "revoke a member's certificate")
    revoke.add_argument("member_no", type=int, metavar="N")
    revoke.add_argument("--date", help="revoked from (default: now)")
    revoke.set_defaults(handler=_revoke)

    revocations = staff("revocations", "write the signed revocation list to publish")
    revocations.add_argument("--out", type=Path, required=True)
    revocations.set_defaults(handler=_revocations)

    profile = staff("profile", "write the union profile members join with")
    profile.add_argument("--out", type=Path, required=True)
    profile.add_argument("--strength", type=float, default=1.0)
    profile.add_argument("--platform", action="append", default=[], dest="platforms")
    profile.add_argument("--no-consent", action="store_true")
    profile.add_argument("--tsa", help="the time-stamp authority members use")
    profile.add_argument("--registry", help="where the shared registry is published")
    profile.set_defaults(handler=_profile)

    rotate = staff("rotate", "start a new watermark key epoch (after a leak)")
    rotate.set_defaults(handler=_rotate)

    join = actions.add_parser(
        "join", help="join a union: its profile, or the membership file it sent you"
    )
    join.add_argument("file", type=Path, metavar="PROFILE_OR_MEMBERSHIP")
    join.set_defaults(handler=_join)

    contribute = actions.add_parser("contribute", help="write your public records for the union")
    contribute.add_argument("--out", type=Path, required=True)
    contribute.set_defaults(handler=_contribute)

    merge = staff("merge", "merge members' contributions into the shared registry")
    merge.add_argument("files", type=Path, nargs="+", metavar="FILE")
    merge.add_argument("--out", type=Path, required=True, help="a new folder")
    merge.set_defaults(handler=_merge)

    verify = actions.add_parser(
        "verify", help="check a shared registry in full: every member's records and fingerprints"
    )
    verify.add_argument("registry", type=Path, metavar="REGISTRY", help="the shared registry folder")
    verify.set_defaults(handler=_verify)

    check = staff("check", "check suspects for every member at once")
    check.add_argument("files", type=Path, nargs="+", metavar="SUSPECT")
    check.add_argument("--registry", type=Path, required=True, help="the shared registry folder")
    check.add_argument("--json", action="store_true", help="print JSON lines")
    check.set_defaults(handler=_check)

    scan = staff("scan", "check a list of files or URLs, here or on a Dask cluster")
    scan.add_argument("list", type=Path, metavar="LIST", help="one file or URL a line")
    scan.add_argument("--registry", type=Path, required=True, help="the shared registry folder")
    scan.add_argument("--cluster", help="a Dask scheduler, e.g. tcp://10.0.0.5:8786")
    scan.add_argument("--json", action="store_true", help="print JSON lines")
    scan.set_defaults(handler=_scan)


def _create(args: argparse.Namespace) -> int:
    passphrase = None
    if not args.no_passphrase:
        passphrase = identity.passphrase_from_env_or_prompt(
            "Choose the union's passphrase: ", confirm=True
        )
    made = authorities.UnionAuthority.create(
        args.name, passphrase, home=args.home, logo=args.logo, colour=args.colour
    )
    print(f"Union authority created for {made.name} in {made.home}.")
    print("Back up that folder and its passphrase: they are the union's root of trust.")
    return 0


def _open(args: argparse.Namespace) -> authorities.UnionAuthority:
    return authorities.UnionAuthority.load(home=args.home)


def _request(args: argparse.Namespace) -> int:
    mine = identity.load()
    _write_new(args.out, memberships.request_membership(mine))
    print(f"Membership request of {mine.name} ({mine.artist_id}) written to {args.out}.")
    print("Send it to your union; it holds nothing secret.")
    return 0


def _issue(args: argparse.Namespace) -> int:
    union = _open(args)
    request = memberships.read_union_file(args.request)
    document = union.issue(request, member_no=args.member_no, until=args.until)
    out = args.out or args.request.with_name(f"member-{args.member_no}.asmember")
    _write_new(out, document)
    member = union.members[args.member_no]
    print(f"Member {args.member_no}: {member.name} ({member.artist_id}), until {member.until}.")
    print(f"Membership written to {out}. It holds the union's watermark keys: send it privately.")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    union = _open(args)
    member = union.revoke(args.member_no, when=args.date)
    print(f"Member {member.member_no} ({member.name}) revoked from {member.revoked}.")
    print("Publish the new list: artistshield union revocations --out FILE")
    return 0


def _revocations(args: argparse.Namespace) -> int:
    union = _open(args)
    _write_new(args.out, union.revocation_list())
    revoked = sum(m.revoked is not None for m in union.members.values())
    print(f"Revocation list of {union.name} ({revoked} revoked) written to {args.out}.")
    return 0


def _profile(args: argparse.Namespace) -> int:
    union = _open(args)
    document = union.profile(
        strength=args.strength,
        platforms=tuple(args.platforms),
        consent=not args.no_consent,
        tsa_url=args.tsa,
        registry=args.registry,
    )
    _write_new(args.out, document)
    print(f"Union profile of {union.name} written to {args.out}.")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    union = _open(args)
    epoch = union.rotate()
    print(
        f"Epoch {epoch} started. Issue members new membership files; marks made under "
        "earlier epochs keep reading with their keys."
    )
    return 0


def _join(args: argparse.Namespace) -> int:
    document = memberships.read_union_file(args.file)
    if isinstance(document, dict) and document.get("format") == authorities.PROFILE_FORMAT:
        body = memberships.join_profile(args.file)
        print(
            f"This ArtistShield now shows {body['union']['name']} and uses its defaults. "
            "To mark as a member, send 'artistshield union request' to the union and join "
            "with the membership file it sends back."
        )
        return 0
    mine = identity.load()
    joined = memberships.join(args.file, mine)
    print(
        f"Joined {joined.union_name} as member {joined.member_no}. New marks use the "
        "union's key, so the union can find them for you; your signed records still "
        "prove which work is yours."
    )
    return 0


def _contribute(args: argparse.Namespace) -> int:
    from artistshield.registry import Registry

    mine = identity.load()
    joined = memberships.load_membership(mine)
    if joined is None:
        raise ArtistShieldError("You have not joined a union; run 'artistshield union join' first.")
    if args.out.exists():
        raise ArtistShieldError(f"{args.out} already exists; choose another file name.")
    with Registry.open() as registry:
        shared.contribute(registry, mine, joined, args.out)
        count = len(registry.works())
    print(
        f"{count} work(s) written to {args.out} for {joined.union_name}: records, thumbnails "
        "and fingerprints, never your originals or keys."
    )
    return 0


def _merge(args: argparse.Namespace) -> int:
    union = _open(args)
    report = shared.merge(union, list(args.files), args.out)
    print(
        f"Shared registry of {union.name} written to {args.out}: "
        f"{len(report.members)} member(s), {report.works} work(s)."
    )
    for work_id in report.flagged:
        print(f"Flagged: {work_id} was registered after its member's certificate ended.")
    return 0


def _verify(args: argparse.Namespace) -> int:
    with shared.UnionRegistry(args.registry, check_members=False) as registry:
        registry.verify()
        print(
            f"Shared registry of {registry.name} verifies: {len(registry.members)} member(s), "
            "every record signed by its member, every file as the union signed it."
        )
    return 0


def _check(args: argparse.Namespace) -> int:
    return _scan_items([str(f) for f in args.files], args, cluster=None)


def _scan(args: argparse.Namespace) -> int:
    return _scan_items(scanning.read_list(args.list), args, cluster=args.cluster)


def _scan_items(items: list[str], args: argparse.Namespace, *, cluster: str | None) -> int:
    union = _open(args)
    keys = {f"{union.name} (epoch {n + 1})": key for n, key in enumerate(union.epochs)}

    verbose = bool(getattr(args, "verbose", False))
    began: dict[str, float] = {}

    def start(item: str) -> None:  # -v: each file as it starts, as mark and check say it
        began[item] = time.monotonic()
        print(f"artistshield: checking {item} ({len(began)} of {len(items)})", file=sys.stderr,
              flush=True)

    def show(result: scanning.ScanResult) -> None:
        if verbose and result.input in began:
            took = duration_in_words(time.monotonic() - began[result.input])
            line = (
                f"checking {result.input} failed after {took}" if result.error is not None
                else f"checked {result.input} in {took}"
            )
            print(f"artistshield: {line}", file=sys.stderr, flush=True)
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
        elif result.error is not None:
            print(f"{result.input}: not checked: {result.error}", flush=True)
        elif result.found:
            print(f"{result.input}: {result.member}", flush=True)
        else:
            print(f"{result.input}: {result.verdict}", flush=True)

    results = scanning.scan(
        items, keys=keys, registry=args.registry, cluster=cluster, progress=show,
        started=start if verbose else None,
    )
    if any(r.error is not None for r in results):
        return 2
    return 0 if any(r.found for r in results) else 1


def _write_new(path: Path, content: Any) -> None:
    """Write a new file, whole or not at all, never over an existing one."""
    data = content if isinstance(content, bytes) else (
        json.dumps(content, indent=1, ensure_ascii=False) + "\n"
    ).encode("utf-8")
    write_file(path, data)
