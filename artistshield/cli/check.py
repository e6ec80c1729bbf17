"""``artistshield check``: is your mark in a suspect image, and which work is it?"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from artistshield.check import check_file
from artistshield.cli.mark import watermark_key
from artistshield.mark import expand_inputs


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check",
        help="look for your mark and your registered works in suspect images",
        description=__doc__ + " Exit status: 0 your work was found in some input, 1 in none, "
        "2 an error.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="images or folders")
    parser.add_argument("--key-file", type=Path, metavar="KEY", help="check with this key instead of your identity's")
    parser.add_argument("--json", action="store_true", help="print one JSON object per input")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    key, ident = watermark_key(args.key_file)
    registry = None
    if ident is not None:
        from artistshield.registry import Registry

        registry = Registry.open()
    label = ident.artist_id if ident is not None else "key-file"
    found_any = errors = False
    try:
        for path in expand_inputs(args.files):
            result = check_file(path, keys={label: key}, registry=registry)
            found_any |= result.is_artists_work
            errors |= result.error is not None
            if args.json:
                print(json.dumps(result.to_json()), flush=True)
            else:
                print(f"{result.input}: {result.verdict}")
    finally:
        if registry is not None:
            registry.close()
    if found_any:
        return 0
    return 2 if errors else 1
