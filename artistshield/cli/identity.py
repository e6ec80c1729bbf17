"""``artistshield identity``: make, show, back up and restore the artist's keys."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from artistshield import identity
from artistshield.fileio import OutputExistsError
from artistshield.paths import IDENTITY_BACKUP, data_dir

BACKUP_ADVICE = (
    "IMPORTANT: back up your identity now with 'artistshield identity export FILE' and keep "
    "the file and its passphrase somewhere safe. Without your watermark key your marks can "
    "never be found again, and without your signing key you cannot prove the registry is yours."
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "identity", help="your keys: create, show, back up, restore", description=__doc__
    )
    actions = parser.add_subparsers(dest="identity_action", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="make your identity (once)")
    create.add_argument("--name", required=True, help="the name shown on your proofs")
    create.add_argument(
        "--no-passphrase", action="store_true", help="store the keys unencrypted (not advised)"
    )
    create.set_defaults(handler=_create)

    show = actions.add_parser("show", help="print your name, artist ID and public key")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_show)

    export = actions.add_parser("export", help="write an encrypted backup of your keys")
    export.add_argument(
        "file", type=Path, metavar="FILE",
        help=f"the backup, e.g. ada{IDENTITY_BACKUP.suffix} (older .json backups still restore)",
    )
    export.add_argument(
        "--force", action="store_true", help="replace FILE if it exists (refused otherwise)"
    )
    export.set_defaults(handler=_export)

    restore = actions.add_parser("import", help="restore your keys from a backup")
    restore.add_argument(
        "file", type=Path, metavar="FILE", help=f"a backup ({IDENTITY_BACKUP.suffix}, or an older .json)"
    )
    restore.add_argument(
        "--force", action="store_true", help="replace a different identity (it is kept aside)"
    )
    restore.set_defaults(handler=_import)

    alias = actions.add_parser(
        "alias", help="the handles and names you go by, looked for in AI prompts"
    )
    alias.add_argument("alias_action", choices=("list", "add", "remove"))
    alias.add_argument("names", nargs="*", metavar="NAME", help='e.g. "@ada_draws"')
    alias.set_defaults(handler=_alias)

    change = actions.add_parser("passphrase", help="change the passphrase protecting your keys")
    change.add_argument(
        "--no-passphrase", action="store_true", help="remove the passphrase (not advised)"
    )
    change.set_defaults(handler=_change_passphrase)


def _no_passphrase_warning() -> None:
    print(
        f"Warning: your keys are stored unencrypted in {identity.identity_path()}. Anyone who "
        "can read that file can sign works as you and find or strip your marks. Add a "
        "passphrase with 'artistshield identity passphrase'.",
        file=sys.stderr,
    )


def _create(args: argparse.Namespace) -> int:
    if args.no_passphrase:
        passphrase = None
    else:
        passphrase = identity.passphrase_from_env_or_prompt("Choose a passphrase: ", confirm=True)
    made = identity.create(args.name, passphrase)
    print(f"Identity created for {made.name}.")
    print(f"Artist ID:  {made.artist_id}")
    print(f"Public key: {made.public_key.hex()}")
    if passphrase is None:
        _no_passphrase_warning()
    print(BACKUP_ADVICE)
    return 0


def _show(args: argparse.Namespace) -> int:
    info = identity.public_info()
    warnings = _key_warnings(info)
    if args.json:
        print(json.dumps({**info.to_json(), "warnings": warnings}, indent=2))
    else:
        print(f"Name:       {info.name}")
        print(f"Artist ID:  {info.artist_id}")
        print(f"Public key: {info.public_key.hex()}")
        print(f"Created:    {info.created}")
        print(f"Passphrase: {'yes' if info.encrypted else 'NO (keys stored unencrypted)'}")
    for warning in warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    return 0


def _key_warnings(info: identity.PublicIdentity) -> list[str]:
    """Say if the public key shown is not the sealed key's, or not the registry's."""
    warnings = []
    passphrase = os.environ.get(identity.ENV_PASSPHRASE) if info.encrypted else None
    mismatch = identity.key_mismatch(passphrase) if passphrase or not info.encrypted else None
    if mismatch is not None:
        warnings.append(mismatch)
    from artistshield.registry import Registry
    from artistshield.registry.store import FILE_NAME

    if (data_dir() / FILE_NAME).is_file():
        with Registry.open() as registry:
            signed_by = registry.public_key
        if signed_by is not None and signed_by != info.public_key:
            warnings.append(
                f"the public key in {identity.identity_path()} is not the key your registry is "
                f"signed with ({identity.artist_id(signed_by)}): the identity file was edited "
                "or replaced, not the registry. Restore your identity from its backup with "
                "'artistshield identity import FILE'."
            )
    return warnings


def _export(args: argparse.Namespace) -> int:
    if not args.force and os.path.lexists(args.file):  # before asking for a passphrase
        raise OutputExistsError(args.file)
    if identity.public_info().encrypted:
        passphrase = identity.passphrase_from_env_or_prompt()
        mine = identity.load(passphrase)
    else:
        mine = identity.load()
        passphrase = identity.passphrase_from_env_or_prompt(
            "Choose a passphrase for the backup: ", confirm=True
        )
    identity.export(args.file, passphrase, identity=mine, force=args.force)
    print(
        f"Backup of {mine.artist_id} written to {args.file}. It is encrypted with your "
        "passphrase: keep both, the backup cannot be opened without it."
    )
    _write_registry_head(args.file)
    return 0


def _write_registry_head(beside: Path) -> None:
    """Keep the registry's signed head with the backup, away from the data folder."""
    from artistshield.registry import Registry
    from artistshield.registry.head import write_file
    from artistshield.registry.store import FILE_NAME

    if not (data_dir() / FILE_NAME).is_file():
        return
    with Registry.open() as registry:
        head = registry.head()
    if head is not None:
        written = write_file(head, beside)
        print(
            f"Your registry's signed head (entry {head.seq}) is in {written}: keep it with the "
            f"backup; 'artistshield registry verify --against {written.name}' shows later "
            "whether the registry was cut short."
        )


def _import(args: argparse.Namespace) -> int:
    passphrase = identity.passphrase_from_env_or_prompt("Passphrase of the backup: ")
    restored = identity.import_(args.file, passphrase, force=args.force)
    print(f"Identity restored: {restored.name} ({restored.artist_id}).")
    return 0


def _alias(args: argparse.Namespace) -> int:
    current = identity.aliases()
    if args.alias_action == "add":
        current = identity.set_aliases([*current, *args.names])
    elif args.alias_action == "remove":
        gone = {n.strip() for n in args.names}
        current = identity.set_aliases([n for n in current if n not in gone])
    print(
        f"Checks look for {identity.public_info().name}"
        + "".join(f", {n}" for n in current)
        + " in the prompt that made a suspect image."
    )
    return 0


def _change_passphrase(args: argparse.Namespace) -> int:
    old = None
    if identity.public_info().encrypted:
        old = identity.passphrase_from_env_or_prompt("Current passphrase: ")
    new = None
    if not args.no_passphrase:
        new = identity.passphrase_from_env_or_prompt(
            "New passphrase: ", confirm=True, env=identity.ENV_NEW_PASSPHRASE
        )
    identity.change_passphrase(old, new)
    if new is None:
        _no_passphrase_warning()
    else:
        print("Passphrase changed. Backups made before keep their old passphrase.")
    return 0
