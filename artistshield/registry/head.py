"""The registry's signed head, kept where a local attacker must also find it.

The head is the log's last entry: its number is how many entries the log
held, its hash commits to every entry before it, and the artist's signature
on it shows it is theirs.  Deleting the newest entries and rewriting the
remembered head inside the registry file passes every local check, so the
head is also written out: in every proof bundle (its last entry, and a
``head`` summary), in every evidence report, in a small head file beside
each export, and after every write in a head file outside the data folder
(:func:`artistshield.paths.heads_dir`), which every write checks, so a log
cut short is refused even when the heads inside the data folder were
rolled back with it.  :func:`compare` checks the registry against every head it is
shown (``registry verify --against FILE...``): a head the registry no longer
reaches, or reaches with another entry, proves the log was cut or rewritten.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artistshield import untrusted
from artistshield.errors import ArtistShieldError
from artistshield.identity import artist_id, verify
from artistshield.registry.db import Database
from artistshield.registry.records import LogEntry, sha256_hex
from artistshield.registry.verify import Problem

log = logging.getLogger("artistshield.registry")

FORMAT = "artistshield-registry-head"
VERSION = 1
#: How a head is embedded in a report (HTML comment, PDF metadata): this, then base64 JSON.
MARKER = "ARTISTSHIELD-REGISTRY-HEAD:"
_EMBEDDED = re.compile(re.escape(MARKER).encode() + rb"([A-Za-z0-9+/=]{40,8000})")


@dataclass(frozen=True)
class Head:
    """A signed log entry given out as the registry's head at some moment."""

    public_key: bytes
    entry: str
    signature: bytes

    @property
    def seq(self) -> int:
        return LogEntry.parse(self.entry, self.signature, None).seq

    @property
    def hash(self) -> str:
        return sha256_hex(self.entry)

    @property
    def valid(self) -> bool:
        """Whether the entry is well formed and signed by the head's key."""
        try:
            LogEntry.parse(self.entry, self.signature, None)
        except (ValueError, TypeError):
            return False
        return verify(self.public_key, self.entry.encode("utf-8"), self.signature)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "artist_id": artist_id(self.public_key),
            "public_key": self.public_key.hex(),
            "seq": self.seq,
            "hash": self.hash,
            "entry": self.entry,
            "signature": self.signature.hex(),
        }

    def embedded(self) -> str:
        """The head as one line of text that a report can carry."""
        text = json.dumps(self.to_json(), separators=(",", ":"))
        return MARKER + base64.b64encode(text.encode("utf-8")).decode("ascii")

    @classmethod
    def from_json(cls, value: Any) -> Head:
        if not isinstance(value, dict) or value.get("format") != FORMAT:
            raise ValueError("not a registry head")
        entry, signature, key = value.get("entry"), value.get("signature"), value.get("public_key")
        if not (isinstance(entry, str) and isinstance(signature, str) and isinstance(key, str)):
            raise ValueError("a registry head needs its entry, signature and public key")
        return cls(bytes.fromhex(key), entry, bytes.fromhex(signature))


def current(db: Database) -> Head | None:
    """The registry's head now (its last entry), or ``None`` for an empty registry."""
    from artistshield.registry.log import stored_public_key

    key = stored_public_key(db)
    row = db.query_one("SELECT entry, signature FROM log ORDER BY seq DESC LIMIT 1")
    if key is None or row is None:
        return None
    return Head(key, str(row[0]), bytes(row[1]))


def write_file(head: Head, beside: Path) -> Path:
    """Write *head* as a small file beside *beside* (never over an existing file)."""
    stem = beside.name[: -len(beside.suffix)] if beside.suffix else beside.name
    data = (json.dumps(head.to_json(), indent=1) + "\n").encode("utf-8")
    for n in range(1, 1000):
        name = f"{stem}.head.json" if n == 1 else f"{stem}.head-{n}.json"
        target = beside.with_name(name)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        try:
            os.write(fd, data)
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            os.unlink(target)
            raise
        os.close(fd)
        return target
    raise ArtistShieldError(f"Too many head files beside {beside}; move some away.")


def remember(db: Database, path: Path) -> None:
    """Keep the registry's head in the file *path* too, replaced after every write.

    A second place a local attacker must find and roll back along with the
    log; a kill before it is written leaves it one write behind, which is
    allowed (the log must only still reach it).
    """
    head = current(db)
    if head is None:
        return
    data = (json.dumps(head.to_json(), indent=1) + "\n").encode("utf-8")
    try:
        # Its own file, replaced whole: a temporary beside it, fsynced, renamed over it.
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as exc:  # the log is committed; a stale head file is only weaker
        log.warning("could not write %s: %s", path, exc)


def remembered(path: Path) -> Head | None:
    """The head kept in *path* by :func:`remember`, ``None`` if there is none yet."""
    if not os.path.lexists(path):
        return None
    try:
        return Head.from_json(untrusted.read_json(path, what="registry head file", limit=2**16))
    except (ValueError, ArtistShieldError) as exc:
        raise ArtistShieldError(
            f"The registry's head file {path} is damaged ({exc}); nothing was written. Run "
            "'artistshield registry verify' and restore the registry from a backup copy."
        ) from None


def read(path: str | Path) -> list[Head]:
    """Every head *path* shows: a head file, a proof bundle, or an evidence report."""
    path = Path(path)
    data = untrusted.read_bytes(path, what="proof bundle, report or head file")
    heads = []
    for found in _EMBEDDED.finditer(data):
        try:
            heads.append(Head.from_json(json.loads(base64.b64decode(found.group(1)))))
        except (ValueError, binascii.Error):
            continue
    if heads:
        return heads
    try:
        document = untrusted.read_json(path, what="proof bundle or head file")
        if isinstance(document, dict) and document.get("format") == FORMAT:
            return [Head.from_json(document)]
        return [_bundle_head(document)]
    except (ValueError, TypeError, KeyError, ArtistShieldError):
        pass
    raise ArtistShieldError(
        f"{path} shows no registry head: give a proof bundle, an evidence report or a "
        ".head.json file that ArtistShield wrote."
    )


def _bundle_head(document: Any) -> Head:
    from artistshield.registry.bundle import FORMAT as BUNDLE

    if not isinstance(document, dict) or document.get("format") != BUNDLE:
        raise ValueError("not a proof bundle")
    last = document["entries"][-1]
    return Head(
        bytes.fromhex(document["artist"]["public_key"]),
        untrusted.expect(last["entry"], str, "entry"),
        bytes.fromhex(untrusted.expect(last["signature"], str, "signature")),
    )


def compare(db: Database, shown: Iterable[tuple[str, Head]], public_key: bytes) -> list[Problem]:
    """What the registry's log says against each ``(source, head)``: a problem per mismatch."""
    problems = []
    for source, head in shown:
        name = Path(source).name
        if head.public_key != public_key:
            problems.append(
                Problem(1, f"{name} shows a head signed by {artist_id(head.public_key)}, "
                        "not by this registry's key; it says nothing about this registry")
            )
            continue
        if not head.valid:
            problems.append(Problem(1, f"{name} shows a head whose signature is not valid"))
            continue
        seq = head.seq
        row = db.query_one("SELECT hash, entry FROM log WHERE seq = ?", (seq,))
        (last,) = db.query_one("SELECT COALESCE(MAX(seq), 0) FROM log") or (0,)
        if row is None:
            problems.append(
                Problem(int(last) + 1, f"{name} shows signed entry {seq}, but the registry ends "
                        f"at entry {last}: it was cut short (and what follows the cut may "
                        "have been rewritten)")
            )
        elif str(row[1]) != head.entry or sha256_hex(str(row[1])) != head.hash:
            problems.append(
                Problem(seq, f"entry {seq} is not the entry {name} shows: the log was cut and "
                        "rewritten from there")
            )
    return problems
