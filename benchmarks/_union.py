"""A small union for benchmarks: members who marked and registered works, merged.

``build(scratch, members)`` creates a union authority, certifies ``members``
artists (each in its own data folder under *scratch*), has each mark one
picture of ``tests/data`` with the union's key (round robin over ``WORKS``),
register it and contribute, and merges the contributions into one shared
registry.  Identities use a cheap scrypt so that setting up stays quick; the
checks it serves do not depend on it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np
from PIL import Image

from artistshield import identity, watermark
from artistshield.registry import Registry
from artistshield.union import UnionAuthority, membership, shared

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
WORKS = [
    DATA / name
    for name in (
        "painted-hills.png",
        "cartoon-snowmountains.png",
        "flat-futureprototype.png",
        "painted-bridge.png",
    )
]


@dataclass
class Member:
    home: Path
    artist: identity.Identity
    marked: Path


@dataclass
class Union:
    authority: UnionAuthority
    registry: Path  # the merged shared registry folder
    members: list[Member]


def build(scratch: Path, members: int) -> Union:
    """A union of *members* members, one marked work each, merged into ``scratch/shared``."""
    with mock.patch.object(identity, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1}):
        union = UnionAuthority.create("Benchmark Guild", None, home=scratch / "guild")
        contributions, made = [], []
        for number in range(1, members + 1):
            home = scratch / f"member-{number}"
            home.mkdir()
            os.environ["ARTISTSHIELD_HOME"] = str(home)
            artist = identity.create(f"Member {number}", None)
            document = union.issue(
                membership.request_membership(artist), member_no=number, until="2099-01-01"
            )
            (home / "m.asmember").write_text(json.dumps(document))
            joined = membership.join(home / "m.asmember", artist)
            source = WORKS[(number - 1) % len(WORKS)]
            pixels = np.asarray(Image.open(source).convert("RGB"))
            payload = membership.payload_for(number)
            out = home / f"marked-{source.name}"
            Image.fromarray(watermark.embed(pixels, joined.key, payload)).save(out)
            with Registry.open() as registry:
                registry.add_work(
                    np.asarray(Image.open(out)), file_path=out, payload=payload, identity=artist
                )
                contributions.append(
                    shared.contribute(registry, artist, joined, scratch / f"c{number}.json")
                )
            made.append(Member(home, artist, out))
        merged = scratch / "shared"
        shared.merge(union, contributions, merged)
    return Union(union, merged, made)
