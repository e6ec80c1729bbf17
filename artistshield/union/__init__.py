"""Unions and guilds: member certificates, union-readable marks, a shared registry.

A union runs an *authority* (:mod:`.authority`) in its own data folder: an
X.509 root whose key is sealed with the union's passphrase, the watermark keys
of its *epochs*, and the list of members it certified or revoked.  A member
asks to join with a signed request (:mod:`.membership`), gets a certificate
for their own signing key and the union's current watermark key, and from then
on marks new work with that key, so the union can read every member's marks
with one key per epoch.  What *attributes* a mark is the member's own signed
registry record, which only the member's key can make; members hand the union
their public records (:mod:`.shared`), the union merges them into one signed
shared registry, and a suspect is checked against all members at once.

The threat model is in ``docs/union.md``.
"""

from artistshield.union.authority import UnionAuthority, UnionError
from artistshield.union.membership import Membership, MemberStatus, request_membership

__all__ = ["MemberStatus", "Membership", "UnionAuthority", "UnionError", "request_membership"]
