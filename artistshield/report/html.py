"""The evidence report as one self-contained HTML file (images inline, base64).

The markup stays within what Qt's rich text understands (headings,
paragraphs, tables, images), so :mod:`.pdf` lays out the same document.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from html import escape

from artistshield.provenance.metadata import DATA_MINING, FIELD_NAMES
from artistshield.report.evidence import Evidence
from artistshield.report.notice import takedown_notice
from artistshield.verdict import (
    ai_findings,
    consent_in_words,
    copy_sentence,
    frames_compared_in_words,
    geometry_numbers,
    method_in_words,
    named_match,
    p_value_in_words,
    region_shown,
    says_about_consent,
    thing_checked,
)

STYLE = """
body { font-family: sans-serif; font-size: 10pt; color: #202124; max-width: 60em; margin: auto; }
h1 { font-size: 18pt; } h2 { font-size: 13pt; margin-top: 1.2em; }
td, th { padding: 3px 6px; vertical-align: top; text-align: left; }
table.facts td:first-child { color: #5f6368; white-space: nowrap; }
.mono { font-family: monospace; font-size: 8pt; }
.ok { color: #137333; } .bad { color: #c5221f; }
.notice td { border-bottom: 1px solid #dadce0; }
.value { white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-word; }
.numbers { color: #5f6368; font-size: 9pt; }
"""


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_html(evidence: Evidence, *, image_src: Callable[[str], str] | None = None) -> str:
    """The report as HTML; *image_src* maps an image name to its ``src`` (default: inline)."""
    images = evidence.images
    source = image_src or (lambda name: data_uri(images[name]))
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>Evidence report: {escape(_name(evidence))}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Evidence report: {escape(_name(evidence))}</h1>",
        _priority(evidence),
        f"<p>Made {escape(evidence.created)} by {escape(evidence.tool)}, an offline tool with "
        "which artists invisibly mark and register their published pictures. This report "
        f"explains what was found in the {thing_checked(evidence.result)} below and how anyone "
        "can check it.</p>",
        _summary(evidence),
        _pictures(evidence, images, source),
        _detected(evidence),
        _record(evidence),
        _verify(evidence),
        _consent(evidence),
        _other(evidence),
        _notice(evidence),
        "</body></html>",
    ]
    return "\n".join(parts)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _name(evidence: Evidence) -> str:
    return evidence.result.input.replace("\\", "/").rsplit("/", 1)[-1]


def _frame(index: int) -> str:
    """A frame as a reader counts them, from 1 (indexes count from 0)."""
    return f"frame {index + 1}"


def _rows(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='facts'>{body}</table>"


def _priority(evidence: Evidence) -> str:
    """Priority first, when a trusted time-stamp proves it."""
    if evidence.priority is None or evidence.work is None:
        return ""
    return (
        f"<p><b>{escape(evidence.work.work_id)} “{escape(evidence.work.title)}”: "
        f"{escape(evidence.priority)}.</b></p>"
    )


def _trusted_time(evidence: Evidence) -> list[tuple[str, str]]:
    stamp, token = evidence.stamp, evidence.stamp_token or ""
    if stamp is None:
        return [("Trusted time", escape("none: the registration date is the artist's own clock"))]
    return [
        ("Trusted time", escape(_sentence(stamp.claim())) + f" (registry entry {stamp.head_seq} "
         f"and every entry before it, stamped in entry {stamp.seq})"),
        ("TSA certificate root", f"{escape(stamp.root)}, SHA-256 "
         f"<span class='mono'>{stamp.root_sha256}</span>"),
        ("RFC 3161 time-stamp (base64)", f"<span class='mono'>{_wrapped(token)}</span>"),
    ]


def _wrapped(text: str, width: int = 76) -> str:
    """Long base64 in lines, so a table cell does not stretch the page."""
    return "<br>".join(escape(text[i : i + width]) for i in range(0, len(text), width))


def _summary(evidence: Evidence) -> str:
    said = f"<h2>Summary</h2><p><b>{escape(_sentence(evidence.result.verdict))}.</b></p>"
    ai = ai_findings(evidence.result)
    if ai:  # in full: a prompt or a generator's settings are evidence in their own words
        items = "".join(f"<li><span class='value'>{escape(f)}</span></li>" for f in ai)
        said += f"<p>What says a generative AI made it:</p><ul>{items}</ul>"
    return said


def _pictures(evidence: Evidence, images: dict[str, bytes], source: Callable[[str], str]) -> str:
    cells = []
    if "suspect" in images:
        caption = f"The suspect image ({escape(_name(evidence))})"
        if evidence.suspect_frame is not None:
            caption = (
                f"The suspect clip ({escape(_name(evidence))}), its {_frame(evidence.suspect_frame)}"
            )
        if evidence.found_at:
            caption += f", found at {escape(evidence.found_at)}"
        cells.append((source("suspect"), caption))
    if "original" in images and evidence.work is not None:
        caption = f"The registered original, {escape(evidence.work.work_id)} “{escape(evidence.work.title)}”"
        match = evidence.match
        if match is not None and region_shown(match):
            caption += "; the red outline is the part of it the suspect shows"
        elif match is not None and match.is_match and match.key_frame:
            caption += (
                f" (its first frame); the suspect matches its {_frame(match.key_frame)}, "
                "a later scene of the clip"
            )
        cells.append((source("original"), caption))
    if not cells:
        return ""
    row = "".join(f"<td><img src='{src}' width='240'></td>" for src, _ in cells)
    captions = "".join(f"<td>{text}</td>" for _, text in cells)
    return f"<h2>The images</h2><table><tr>{row}</tr><tr>{captions}</tr></table>"


def _detected(evidence: Evidence) -> str:
    result = evidence.result
    out = ["<h2>What was detected, and how sure it is</h2>"]
    mark = result.mark
    thing = thing_checked(result)
    if mark is not None:
        d = mark.detection
        out.append(
            f"<p><b>The artist's invisible mark is in the suspect {thing}.</b> It carries the "
            f"number {d.payload}"
            + (f", which the artist's registry assigned to work {escape(mark.work_id)}" if mark.work_id else "")
            + f". {escape(_sentence(p_value_in_words(d.p_value, True, thing=thing)))} "
            f"(p-value {d.p_value:.2g}). "
            f"The p-value is the probability that {'a clip' if thing == 'clip' else 'an image'} "
            "without this artist's mark would "
            "score at least this high by chance; the smaller it is, the surer the finding. "
            "The mark is keyed: only the artist's secret key can find it or put it there.</p>"
        )
        if mark.registered:
            out.append(
                f"<p>The artist registered work {escape(mark.work_id or '')} on "
                f"{escape(mark.registered)} (UTC), in the signed entry of their registry that "
                "gave it this mark number.</p>"
            )
        out.append(PRIORITY)
    else:
        out.append(f"<p>The artist's invisible mark was not found. That does not mean the {thing} "
                   "is not theirs: the mark can be damaged by heavy editing.</p>")
    for m in result.matches:
        if not m.is_match:
            continue
        text = (f"<p><b>The picture matches the registered work {escape(m.work_id)}</b> with "
                f"{m.similarity:.0%} similarity, comparing the pictures' content "
                f"({method_in_words(m.method)}), "
                "independently of the mark.")
        found_in = result.match_frame(m.work_id)
        if found_in is not None:
            text += f" It was found in {_frame(found_in)} of the suspect clip."
        if m.key_frame:
            text += (f" The frame of the registered clip it matches is its {_frame(m.key_frame)}, "
                     "one of the key frames fingerprinted when the work was registered.")
        if m.region is not None:
            x0, y0, x1, y1 = (float(v) for v in m.region)
            whole = "that frame's" if m.key_frame else "the original's"
            text += f" The suspect shows {(x1 - x0) * (y1 - y0):.0%} of {whole} area."
        out.append(text + "</p>")
    if result.frames_compared is not None and any(m.is_match for m in result.matches):
        out.append(f"<p>{escape(frames_compared_in_words(result.frames_compared))}</p>")
    if any(m.is_match and (m.key_frame or result.match_frame(m.work_id) is not None)
           for m in result.matches):
        out.append("<p>Frames are counted from 1, the first frame of each clip.</p>")
    if not any(m.is_match for m in result.matches):
        out.append("<p>No registered work of the artist matches the picture's content.</p>")
    out.append(_geometry(evidence))
    return "".join(out)


def _geometry(evidence: Evidence) -> str:
    """What was done to the copy, in words, with the measured numbers beneath."""
    result = evidence.result
    said = copy_sentence(result, work=evidence.work).strip().replace("your original", "the original")
    match = named_match(result)
    region = match.region if match is not None and region_shown(match) else None
    mark = result.mark
    numbers = geometry_numbers(mark.detection if mark is not None else None, region=region)
    if not said and not numbers:
        return ""
    out = f"<p>{escape(said)}</p>" if said else ""
    if numbers:
        out += (
            "<p class='numbers'>Measured: " + escape("; ".join(numbers)) + ". The scale is the "
            "copy's size against the original's; the region is the part of the original the copy "
            "shows, as fractions of its width and height; the tile offset is where the mark's "
            "repeating pattern starts, which says nothing of a crop.</p>"
        )
    return out


PRIORITY = (
    "<p><b>A mark shows whose key marked a copy, not who made the work first.</b> Anyone can "
    "put a second mark, with their own key, on a copy of someone else's picture and register "
    "it; the copy then carries both marks, and a second mark proves nothing about who made "
    "the work first. What speaks to priority is when each mark's work was registered (shown "
    "above) and the artist's earlier copies: the earlier registration, and the original files, "
    "show who had the work first.</p>"
)


def _record(evidence: Evidence) -> str:
    out = ["<h2>The artist and the registry record</h2>"]
    rows: list[tuple[str, str]] = []
    if evidence.artist:
        rows += [
            ("Artist", escape(evidence.artist["name"])),
            ("Artist ID", escape(evidence.artist["artist_id"])),
            ("Public key (Ed25519)", f"<span class='mono'>{evidence.artist['public_key']}</span>"),
        ]
    work = evidence.work
    if work is not None:
        rows += [
            ("Work", f"{escape(work.work_id)} “{escape(work.title)}”"),
            ("Registered", escape(work.registered) + " (the artist's clock)"),
            *_trusted_time(evidence),
            ("File", f"{escape(work.file_name)}, {work.file_size} bytes, {work.width} x {work.height} pixels"),
            ("File SHA-256", f"<span class='mono'>{work.file_sha256}</span>"),
            ("Pixels SHA-256", f"<span class='mono'>{work.pixels_sha256}</span>"),
            ("Mark number", str(work.payload) if work.payload is not None else "not marked"),
        ]
        if work.frame_count > 1:
            fingerprinted = (
                f"{len(work.key_frames)} key frames fingerprinted" if work.key_frames
                else "its first frame fingerprinted"
            )
            rows.append(("Frames", f"{work.frame_count}, {fingerprinted}"))
    if evidence.registry_summary:
        css = "ok" if evidence.registry_ok else "bad"
        rows.append(("Registry verified now",
                     f"<span class='{css}'>{escape(evidence.registry_summary)}</span> "
                     "(every log entry's Ed25519 signature and hash link checked at report time)"))
    head = evidence.registry_head
    if head is not None:
        rows.append((
            "Registry head at report time",
            f"signed entry {head.seq}, hash <span class='mono'>{head.hash}</span> (anyone "
            "holding this report can later run <span class='mono'>artistshield registry verify "
            "--against</span> it: a registry cut short or rewritten since no longer reaches "
            f"this entry)<!-- {head.embedded()} -->",
        ))
    if evidence.suspect_file_sha256:
        rows.append(
            ("Suspect file SHA-256", f"<span class='mono'>{evidence.suspect_file_sha256}</span>")
        )
    if evidence.suspect_pixels_sha256:
        w, h = evidence.suspect_size or (0, 0)
        which = "" if evidence.suspect_frame is None else f" ({_frame(evidence.suspect_frame)})"
        rows.append((
            f"Suspect pixels SHA-256{which}",
            f"<span class='mono'>{evidence.suspect_pixels_sha256}</span> ({w} x {h})",
        ))
    if not rows:
        return ""
    notes = "".join(f"<p>{escape(n)}</p>" for n in evidence.notes)
    return "".join(out) + _rows(rows) + notes


def _verify(evidence: Evidence) -> str:
    if evidence.bundle is None:
        return ""
    css = "ok" if evidence.bundle_ok else "bad"
    return (
        "<h2>How anyone can check this</h2>"
        f"<p>The proof bundle <b>{escape(evidence.bundle.name)}</b> is attached beside this "
        "report. It holds the artist's public key, the signed registry entries for this work, "
        "its thumbnail and fingerprint. With ArtistShield installed (free software, works "
        "offline), run:</p>"
        f"<p class='mono'>artistshield registry verify-bundle {escape(evidence.bundle.name)}</p>"
        "<p>It checks every signature and hash link with the public key alone, and prints the "
        "artist ID, which must equal the one above."
        + (
            " It also checks the trusted timestamp against the time-stamp authority's "
            "certificate chain, carried in the bundle, and prints "
            f"“{escape(evidence.stamp.claim())}”."
            if evidence.stamp is not None
            else ""
        )
        + " Checked when this report was made: "
        f"<span class='{css}'>{escape(evidence.bundle_summary or '')}</span></p>"
    )


def _consent(evidence: Evidence) -> str:
    """The suspect's consent signals in one place (:func:`consent_in_words`)."""
    if not says_about_consent(evidence.result):
        return ""
    items = "".join(f"<li>{escape(line)}</li>" for line in consent_in_words(evidence.result))
    return f"<h2>What this copy says about AI training</h2><ul>{items}</ul>"


def _other(evidence: Evidence) -> str:
    result = evidence.result
    meta = result.metadata
    shortened = set(meta.findings()) if meta is not None else set()
    findings = [f for f in result.findings if f not in shortened]
    rows = _metadata_rows(evidence)
    if not findings and not rows:
        return ""
    items = "".join(f"<li><span class='value'>{escape(f)}</span></li>" for f in findings)
    out = "<h2>Other marks, credentials and metadata</h2>"
    if items:
        out += f"<ul>{items}</ul>"
    if rows:
        out += (
            "<p>The file's metadata, each value in full (metadata is easily edited or "
            f"removed: it is a lead, not proof):</p><table class='facts'>{rows}</table>"
        )
    if meta is not None and meta.error:
        out += f"<p>Metadata could not all be read ({escape(meta.error)}).</p>"
    return out


def _metadata_rows(evidence: Evidence) -> str:
    meta = evidence.result.metadata
    if meta is None:
        return ""
    rows = []
    for name, label in FIELD_NAMES.items():
        for field, value, where in dict.fromkeys(meta.fields):
            if field == name:
                meaning = DATA_MINING.get(value.rsplit("/", 1)[-1]) if name == "data_mining" else None
                if meaning:
                    value = f"{value} ({meaning})"
                rows.append(
                    f"<tr><td>{escape(_sentence(label))} ({escape(where)})</td>"
                    f"<td><span class='value'>{escape(value)}</span></td></tr>"
                )
    return "".join(rows)


def _notice(evidence: Evidence) -> str:
    rows = "".join(
        f"<tr><td><b>{escape(k)}</b></td><td>{escape(v)}</td></tr>" for k, v in takedown_notice(evidence)
    )
    return (
        "<h2>Takedown notice (to complete and sign)</h2>"
        "<p>A notice with the elements the U.S. DMCA (17 U.S.C. § 512(c)(3)) asks for; most "
        "platforms accept the same elsewhere. Fill in the blanks, read every statement, sign.</p>"
        f"<table class='notice'>{rows}</table>"
    )
