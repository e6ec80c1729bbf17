"""A pre-filled takedown notice with the elements 17 U.S.C. § 512(c)(3) asks for.

Identification of the copyrighted work and of the infringing copy with where
it was found, the complainant's contact details, the good-faith and accuracy
statements, and a signature line.  What we cannot know is left as a blank to
complete; the artist reads, completes and signs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from artistshield.report.evidence import Evidence

BLANK = "________________________"


def takedown_notice(evidence: Evidence) -> list[tuple[str, str]]:
    """The notice as ``(heading, paragraph)`` pairs, in the order a notice is read."""
    artist = evidence.artist or {}
    name = artist.get("name") or BLANK
    work = evidence.work
    if work is not None:
        original = (
            f"My original artwork “{work.title}” (file {work.file_name}, {work.width} x "
            f"{work.height} pixels, SHA-256 {work.file_sha256}), registered in my signed "
            f"ArtistShield registry as {work.work_id} on {work.registered}."
        )
    else:
        original = f"My original artwork titled {BLANK}, first published at {BLANK}."
    where = evidence.found_at or BLANK
    suspect = evidence.result.input.rsplit("/", 1)[-1]
    copy = (
        f"The infringing copy is found at: {where}. A copy I saved is the file {suspect}"
        + (f" (SHA-256 {evidence.suspect_file_sha256})" if evidence.suspect_file_sha256 else "")
        + ". Please remove or disable access to it."
    )
    return [
        ("To", f"The designated copyright agent of {BLANK} (the service hosting the copy)."),
        ("Copyrighted work", original),
        ("Infringing material", copy),
        ("Evidence", "The attached evidence report and proof bundle show how the copy was "
         "identified; anyone can verify the bundle offline as the report explains."),
        ("Contact", f"Name: {name}. Address: {BLANK}. Telephone: {BLANK}. Email: {BLANK}."),
        ("Good faith", "I have a good faith belief that use of the material in the manner "
         "complained of is not authorized by the copyright owner, its agent, or the law."),
        ("Accuracy", "The information in this notification is accurate, and under penalty of "
         "perjury, I am the owner, or authorized to act on behalf of the owner, of an "
         "exclusive right that is allegedly infringed."),
        ("Signature", f"{BLANK}  ({name})    Date: {BLANK}"),
    ]
