"""The consent recorded when a work was registered, kept beside the registry.

When a work is marked and registered, what its copy said about AI training
(the IPTC data-mining value, the CAWG training-and-mining entries) and its
signed C2PA manifest are written to ``credentials/<work id>.json`` beside
the registry database.  A suspect whose metadata was stripped but whose mark
names the work can then be shown what the original said.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artistshield.fileio import write_file
from artistshield.provenance.metadata import DATA_MINING

FOLDER = "credentials"


@dataclass(frozen=True)
class RecordedConsent:
    """What a registered work's copy said when it was made."""

    work_id: str
    data_mining: str
    training_mining: dict[str, str] = field(default_factory=dict)
    creator: str | None = None
    manifest: bytes | None = field(default=None, repr=False)
    #: The consent is a signed entry of the registry log, not only this sidecar file.
    in_signed_log: bool = False

    @property
    def statement(self) -> str:
        """The refusal in words: "not for AI training", "data mining allowed"..."""
        meaning = DATA_MINING.get(self.data_mining, self.data_mining)
        return "not for AI training" if meaning == "prohibited for AI/ML training" else meaning

    def to_json(self) -> dict[str, Any]:
        return {
            "work_id": self.work_id,
            "data_mining": self.data_mining,
            "statement": self.statement,
            "training_mining": dict(self.training_mining),
            "creator": self.creator,
            "signed_manifest": self.manifest is not None,
            "in_signed_log": self.in_signed_log,
        }

    def with_log(self, details: dict[str, Any]) -> RecordedConsent:
        """This record as the signed log entry *details* state it (they win over the sidecar).

        The sidecar's manifest is kept only if it is the one whose SHA-256 the
        entry names.
        """
        manifest = self.manifest
        wanted = details.get("manifest_sha256")
        if manifest is not None and wanted != hashlib.sha256(manifest).hexdigest():
            manifest = None
        return RecordedConsent(
            work_id=self.work_id,
            data_mining=str(details.get("data_mining", self.data_mining)),
            training_mining={
                str(k): str(v) for k, v in dict(details.get("training_mining") or {}).items()
            },
            creator=details.get("creator"),
            manifest=manifest,
            in_signed_log=True,
        )


def _path(folder: Path, work_id: str) -> Path:
    if not work_id or any(c in work_id for c in "/\\\x00") or work_id.startswith("."):
        raise ValueError(f"{work_id!r} is not a work id")
    return folder / FOLDER / f"{work_id}.json"


def store(
    folder: str | os.PathLike[str],
    work_id: str,
    *,
    data_mining: str,
    training_mining: dict[str, str],
    creator: str | None,
    manifest: bytes | None,
) -> Path:
    """Record *work_id*'s consent (and manifest) in *folder*/credentials/."""
    path = _path(Path(folder), work_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "format": "artistshield-recorded-consent",
        "version": 1,
        "work_id": work_id,
        "data_mining": data_mining,
        "training_mining": training_mining,
        "creator": creator,
        "manifest": base64.b64encode(manifest).decode("ascii") if manifest else None,
    }
    text = json.dumps(document, indent=2) + "\n"
    return write_file(path, text.encode("utf-8"), exists="replace", private=True)


def load(folder: str | os.PathLike[str], work_id: str) -> RecordedConsent | None:
    """The consent recorded for *work_id*, or None when there is none (or it is unreadable)."""
    try:
        document = json.loads(_path(Path(folder), work_id).read_text(encoding="utf-8"))
        manifest = document.get("manifest")
        return RecordedConsent(
            work_id=str(document["work_id"]),
            data_mining=str(document["data_mining"]),
            training_mining={str(k): str(v) for k, v in dict(document["training_mining"]).items()},
            creator=document.get("creator"),
            manifest=base64.b64decode(manifest) if manifest else None,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
