"""Opt-out files for the artist's own website: "do not train on my work" where crawlers look.

:func:`write_site` writes three files to put at the site's root:

* ``.well-known/tdmrep.json`` — W3C TDMRep: text-and-data-mining rights
  reserved for the whole site (the machine-readable reservation the EU
  copyright directive's Article 4(3) asks for);
* ``ai.txt`` — Spawning's ai.txt, refusing AI training on every media type;
* ``robots.txt`` lines — one ``Disallow: /`` group per known AI crawler (the
  editable list ``resources/consent/ai-crawlers.txt``), and the IETF
  AI-preferences ``Content-Usage: train-ai=n`` line, still an Internet-Draft.

None of them stops a crawler that ignores them; they make the refusal
explicit and machine-readable, which is what opt-out rules ask providers to
honour.  Nothing here goes online.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from artistshield.errors import ArtistShieldError

CRAWLER_LIST = Path("consent") / "ai-crawlers.txt"
#: ``resources/`` beside the package (a source checkout or a frozen app).
_RESOURCES = (
    Path(__file__).resolve().parents[2] / "resources",
    Path(__file__).resolve().parents[1] / "resources",
)
_MEDIA = ("jpg", "jpeg", "png", "webp", "gif", "tif", "tiff", "bmp", "svg", "avif", "heic",
          "mp4", "mov", "webm", "mkv", "psd", "kra", "clip")  # fmt: skip


@dataclass(frozen=True)
class SiteFiles:
    """The files :func:`write_site` wrote."""

    tdmrep: Path
    ai_txt: Path
    robots: Path
    crawlers: tuple[str, ...]


def known_crawlers(path: Path | None = None) -> tuple[str, ...]:
    """The AI crawler user agents in *path* (default: the list shipped in ``resources/``)."""
    if path is None:
        found = [root / CRAWLER_LIST for root in _RESOURCES if (root / CRAWLER_LIST).is_file()]
        if not found:
            raise FileNotFoundError(f"resources/{CRAWLER_LIST} is missing from this install.")
        path = found[0]
    lines = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
    return tuple(dict.fromkeys(line for line in lines if line))


def tdmrep(*, policy: str | None = None) -> str:
    """W3C TDMRep ``tdmrep.json``: mining rights reserved site-wide (with a policy URL if any)."""
    rule: dict[str, object] = {"location": "/*", "tdm-reservation": 1}
    if policy:
        rule["tdm-policy"] = policy
    return json.dumps([rule], indent=2) + "\n"


def ai_txt(creator: str | None = None) -> str:
    """Spawning's ai.txt refusing every media type to AI training."""
    who = f" by {creator}" if creator else ""
    lines = [
        f"# ai.txt: the work on this site{who} is not licensed for AI training.",
        "# Format: https://site.spawning.ai/spawning-ai-txt (written by ArtistShield)",
        "User-Agent: *",
        *(f"Disallow: *.{suffix}" for suffix in _MEDIA),
        "Disallow: /",
    ]
    return "\n".join(lines) + "\n"


def robots_lines(crawlers: tuple[str, ...]) -> str:
    """robots.txt groups refusing each AI crawler, and the draft AI-preferences line."""
    lines = [
        "# --- ArtistShield: no AI training (add these lines to your robots.txt) ---",
        *(line for agent in crawlers for line in (f"User-agent: {agent}", "Disallow: /", "")),
        "# IETF AI preferences (draft-ietf-aipref-attach and -vocab, an Internet-Draft,",
        "# not yet a standard): content on this site is not to be used to train AI.",
        "User-agent: *",
        "Content-Usage: train-ai=n",
        "Allow: /",
        "# --- end of ArtistShield lines ---",
    ]
    return "\n".join(lines) + "\n"


def write_site(
    out_dir: str | os.PathLike[str],
    *,
    creator: str | None = None,
    policy: str | None = None,
    crawlers: tuple[str, ...] | None = None,
) -> SiteFiles:
    """Write ``.well-known/tdmrep.json``, ``ai.txt`` and ``robots.txt`` into *out_dir*.

    Files already there are never overwritten (the site may have its own
    robots.txt): the robots.txt lines then go to ``robots-ai.txt`` to be
    pasted in, and an existing tdmrep.json or ai.txt is an error.
    """
    out = Path(out_dir)
    agents = known_crawlers() if crawlers is None else crawlers
    robots = out / "robots.txt"
    if robots.exists():
        robots = out / "robots-ai.txt"
    files = {
        out / ".well-known" / "tdmrep.json": tdmrep(policy=policy),
        out / "ai.txt": ai_txt(creator),
        robots: robots_lines(agents),
    }
    there = [str(path) for path in files if path.exists()]
    if there:
        raise ArtistShieldError(
            f"{', '.join(there)} already exist{'s' if len(there) == 1 else ''}; ArtistShield "
            "never overwrites them. Move them away or choose another folder."
        )
    try:
        (out / ".well-known").mkdir(parents=True, exist_ok=True)
        for path, text in files.items():
            with path.open("x", encoding="utf-8") as handle:  # never replace another's file
                handle.write(text)
    except OSError as exc:
        raise ArtistShieldError(f"Cannot write the site files in {out}: {exc.strerror}.") from exc
    tdm, ai, robots_file = files
    return SiteFiles(tdm, ai, robots_file, agents)
