"""Marking with the artist's consent and signed Content Credentials, for the tests of both."""

from __future__ import annotations

from pathlib import Path

from artistshield import identity
from artistshield.mark import mark_files
from artistshield.provenance import signing
from artistshield.provenance.consent import Consent
from artistshield.registry import Registry

NAME = "Zoë Ödegaard"
#: The training and mining entries of a marked file's credentials: all refused.
REFUSED = [
    "cawg.ai_generative_training: notAllowed",
    "cawg.ai_inference: notAllowed",
    "cawg.ai_training: notAllowed",
    "cawg.data_mining: notAllowed",
]


def mark(
    source: Path,
    artist: identity.Identity,
    registry: Registry | None = None,
    *,
    frames: int | None = None,
) -> tuple[Path, int, str | None]:
    """Mark and sign *source* (registered when *registry* is given): output, payload, work ID.

    A folder of frames gives a folder, a file a file; with *frames*, that many frames.
    """
    (outcome,) = mark_files(
        [source], out_dir=source.parent / "out", key=artist.watermark_key,
        registry=registry, identity=artist if registry is not None else None,
        consent=Consent(creator=NAME), signer=signing.ContentSigner(artist),
    )
    assert outcome.ok, outcome.error
    assert outcome.readable, "the mark must still read in the signed output"
    assert outcome.output is not None and outcome.payload is not None
    assert outcome.output.is_dir() == source.is_dir()
    if frames is not None:
        assert outcome.frames == frames
    return outcome.output, outcome.payload, outcome.work_id
