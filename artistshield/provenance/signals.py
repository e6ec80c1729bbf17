"""A suspect's consent signals in one place: what it says about AI training and data mining.

Gathers the IPTC/PLUS data-mining values found in its metadata and the
training-and-mining entries of its Content Credentials (CAWG
``cawg.training-mining`` or C2PA ``c2pa.training-mining``), says where each
came from and whether a valid C2PA signature covers it.  A valid manifest's
hard binding covers every byte of the file outside the manifest, so file
metadata is covered too; without one, metadata is only a claim anyone could
have written or stripped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from artistshield.provenance.credentials import PRESENT, ContentCredentials
from artistshield.provenance.metadata import DATA_MINING, Metadata

#: C2PA/CAWG training-and-mining uses in words.
_USES = {"notAllowed": "not allowed", "allowed": "allowed", "constrained": "allowed with constraints"}
#: Data-mining values and C2PA uses that refuse AI training.
_REFUSING = frozenset(
    {"DMI-PROHIBITED-AIMLTRAINING", "DMI-PROHIBITED-GENAIMLTRAINING", "DMI-PROHIBITED",
     "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", "notAllowed"}
)  # fmt: skip


@dataclass(frozen=True)
class ConsentSignal:
    """One statement about training or mining: what, its value, where, and whether signed."""

    kind: str  # "data_mining" or a training-mining entry such as "cawg.ai_training"
    value: str
    source: str  # "XMP", "IPTC", "C2PA"...
    signed: bool

    @property
    def refuses_training(self) -> bool:
        return self.value.rsplit("/", 1)[-1] in _REFUSING

    def to_json(self) -> dict[str, Any]:
        short = self.value.rsplit("/", 1)[-1]
        return {
            "kind": self.kind,
            "value": self.value,
            "meaning": DATA_MINING.get(short) or _USES.get(short, short),
            "source": self.source,
            "signed": self.signed,
        }


@dataclass(frozen=True)
class ConsentSignals:
    """All the consent signals of one file."""

    signals: tuple[ConsentSignal, ...] = ()
    signature: str = "none"

    @property
    def refuses_training(self) -> bool:
        return any(s.refuses_training for s in self.signals)

    def to_json(self) -> dict[str, Any]:
        return {
            "data_mining": [s.to_json() for s in self.signals if s.kind == "data_mining"],
            "training_mining": [s.to_json() for s in self.signals if s.kind != "data_mining"],
            "refuses_ai_training": self.refuses_training,
            "signature": self.signature,
        }


def gather(c2pa: ContentCredentials | None, meta: Metadata | None) -> ConsentSignals:
    """Collect the consent signals from a check's Content Credentials and metadata."""
    valid = c2pa is not None and c2pa.status == PRESENT and not c2pa.problems
    found: list[ConsentSignal] = []
    for field, value, where in meta.fields if meta is not None else ():
        if field == "data_mining":
            found.append(ConsentSignal("data_mining", value, where, valid))
    for entry in c2pa.training_mining if c2pa is not None else ():
        name, _, use = entry.rpartition(": ")  # credentials writes "name: use"
        found.append(ConsentSignal(name or entry, use, "C2PA", valid))
    signature = c2pa.signature if c2pa is not None else "none"
    return ConsentSignals(tuple(dict.fromkeys(found)), signature)
