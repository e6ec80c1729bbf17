"""The artist's registry: every work they marked or registered, signed by them.

One SQLite file (:mod:`.db`) holds the works and an append-only, hash-chained
log of signed entries (:mod:`.log`, :mod:`.records`).  :mod:`.verify` checks
it end to end, :mod:`.bundle` exports proof bundles that anyone can check
offline, and :mod:`.match` finds a work again from a copy.
"""

from artistshield.registry.bundle import BundleReport, verify_bundle
from artistshield.registry.match import WorkMatch
from artistshield.registry.records import LogEntry, Work
from artistshield.registry.store import (
    AlreadyRegisteredError,
    Registry,
    WorkNotFoundError,
)
from artistshield.registry.verify import Problem, VerifyReport

__all__ = [
    "AlreadyRegisteredError",
    "BundleReport",
    "LogEntry",
    "Problem",
    "Registry",
    "VerifyReport",
    "Work",
    "WorkMatch",
    "WorkNotFoundError",
    "verify_bundle",
]
