"""Does the prompt that made an image name the artist?

Generators write their settings into the files they make: AUTOMATIC1111 and
ComfyUI into PNG text, others into EXIF's UserComment or XMP, C2PA into its
actions' parameters and its ingredients.  A prompt that asks for "a castle in the style of Ada
Artist" is evidence of imitation that no watermark gives, so a check looks for
the artist's name and the handles and aliases they list, in those settings
only: the same name in a creator or copyright field is a credit, not a prompt.

Matching is case- and accent-insensitive (Unicode NFKC, case-folded), on word
boundaries, and lets a space in a name be written as nothing, ``_``, ``-``,
``.`` or an apostrophe (``ada_artist``, ``AdaArtist``); a handle's own ``_``,
apostrophes and camel case part words the same way (``@ink_fox`` is found as
"ink fox" and "InkFox"), and a handle matches with or without its ``@``.  Names shorter than three letters are ignored: they would match words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from artistshield.provenance.metadata import looks_like_settings

#: Metadata fields that carry generation settings (see :mod:`.metadata`).
GENERATION_FIELDS = ("generation_parameters",)
#: Free-text fields where generators also put the prompt: EXIF's UserComment
#: (JPEG and WebP), a description (Midjourney's PNG "Description", EXIF
#: ImageDescription, XMP dc:description).  A person writes notes and credits
#: there too, so they count only when they read as a generator's settings or
#: the file says elsewhere that it was made with generative AI.
FREE_TEXT_FIELDS = ("user_comment", "description")
#: Characters of context kept either side of a hit.
CONTEXT = 60
_MIN_LETTERS = 3


@dataclass(frozen=True)
class NameHit:
    """One of the artist's names, found in a generation setting."""

    name: str
    source: str
    quote: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "quote": self.quote}


def find_names(texts: Iterable[tuple[str, str]], names: Iterable[str]) -> tuple[NameHit, ...]:
    """Each ``(source, text)`` in which one of *names* appears, with the words round it."""
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for name in dict.fromkeys(n.strip() for n in names):
        pattern = _pattern(name)
        if pattern is not None:
            patterns.append((name, pattern))
    hits: list[NameHit] = []
    for source, text in texts:
        folded = _fold(text)
        for name, pattern in patterns:
            found = pattern.search(folded)
            if found is None:
                continue
            start, end = max(0, found.start() - CONTEXT), min(len(folded), found.end() + CONTEXT)
            quote = _original_span(text, folded, start, end)
            hits.append(NameHit(name, source, quote))
    return tuple(dict.fromkeys(hits))


def generation_texts(metadata: Any = None, credentials: Any = None) -> list[tuple[str, str]]:
    """The generation settings a check read: ``(where, text)`` pairs."""
    texts: list[tuple[str, str]] = []
    if metadata is not None:
        made_by_ai = metadata.generative_ai or bool(getattr(credentials, "generative_ai", False))
        for field, value, where in metadata.fields:
            if field in FREE_TEXT_FIELDS and (made_by_ai or looks_like_settings(value)):
                texts.append((where, value))
            elif field in GENERATION_FIELDS:
                texts.append((f"{where} generation settings", value))
    if credentials is not None:
        texts += [("Content Credentials action", action) for action in credentials.actions]
        texts += list(getattr(credentials, "settings", ()))
    return texts


#: What may stand between a name's words in a prompt: nothing, a space, ``_``, ``.``,
#: ``-`` or an apostrophe, straight or curly (``O'Brien``, ``obrien``).
_BETWEEN = r"[\s_.\-'\u2018\u2019]*"


def _pattern(name: str) -> re.Pattern[str] | None:
    folded = _fold(_camel_spaced(name)).lstrip("@")
    # A handle's ``_`` and an apostrophe part words too: @ink_fox is "ink fox", "InkFox"...
    words = re.findall(r"[^\W_]+", folded)
    if sum(len(w) for w in words) < _MIN_LETTERS:
        return None
    joined = _BETWEEN.join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w)@?{joined}(?!\w)")


def _camel_spaced(name: str) -> str:
    """``InkFoxArt`` as ``Ink Fox Art``: a handle written in camel case names its words."""
    out = []
    for before, letter in zip(" " + name[:-1], name, strict=True):
        out.append(" " + letter if before.islower() and letter.isupper() else letter)
    return "".join(out)


def _fold(text: str) -> str:
    """NFKC, case-folded, accents dropped: one spelling for comparing names."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _original_span(text: str, folded: str, start: int, end: int) -> str:
    """The words of *text* round a hit found at ``folded[start:end]``.

    Folding can change a text's length (``ß`` becomes ``ss``); then the folded
    words are quoted, which still show the name and its context.
    """
    quote = text[start:end] if len(folded) == len(text) else folded[start:end]
    quote = " ".join(quote.split())
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(folded) else ""
    return f"{prefix}{quote}{suffix}"
