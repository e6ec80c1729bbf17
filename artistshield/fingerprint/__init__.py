"""Perceptual fingerprints that find a registered work again from a derived copy.

``compute(pixels)`` makes a ``Fingerprint`` (PDQ, local features and a small
structure picture, a few KB as bytes; ``compute_query`` looks harder at a
suspect image); a ``FingerprintIndex`` holds the registered ones and ``search``
returns ``Match`` results, best first, with a calibrated ``is_match``::

    index = FingerprintIndex()
    index.add("work-1", compute(original))
    best = index.search(suspect_pixels)[0]
    if best.is_match: ...
"""

from artistshield.fingerprint.compute import FORMAT_VERSION, Fingerprint, compute, compute_query
from artistshield.fingerprint.index import FingerprintIndex, Match

__all__ = [
    "FORMAT_VERSION",
    "Fingerprint",
    "FingerprintIndex",
    "Match",
    "compute",
    "compute_query",
]
