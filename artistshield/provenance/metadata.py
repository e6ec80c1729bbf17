"""Metadata fields that bear on provenance: who made it, who owns it, what made it.

Reads EXIF (Artist, Copyright, Software, ImageDescription), XMP (dc:creator,
dc:rights, xmpRights, xmp:CreatorTool, IPTC Digital Source Type, PLUS Data
Mining), IPTC IIM (By-line, Copyright Notice, Credit, Source) and PNG text
chunks, including the generation parameters that Stable Diffusion front ends
(AUTOMATIC1111's ``parameters``, ComfyUI's ``prompt``/``workflow``) write.
Metadata is trivially edited or stripped: it is a lead, not proof.
"""

from __future__ import annotations

import io
import re
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, IptcImagePlugin

from artistshield.provenance.credentials import GENERATIVE_SOURCE_TYPES

_EXIF = {0x013B: "creator", 0x8298: "copyright", 0x0131: "software", 0x010E: "description"}
#: EXIF's UserComment, in the Exif IFD: where generators writing JPEG and WebP put the prompt.
_EXIF_IFD, _USER_COMMENT = 0x8769, 0x9286
#: Words of the settings line image generators write after a prompt (AUTOMATIC1111, Fooocus...).
#: Midjourney ends its prompt with parameters (``--ar 16:9 --v 6``) and a job id.
_SETTINGS_WORDS = re.compile(
    r"\b(negative prompt|steps|sampler|cfg scale|seed|model hash|job id)\s*:|\"prompt\"\s*:"
    r"|(?:^|\s)--(?:ar|aspect|v|niji|style|stylize|chaos|sref|cref)\s+\S",
    re.I,
)
_IPTC = {(2, 80): "creator", (2, 116): "copyright", (2, 110): "credit", (2, 115): "source"}
_NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "plus": "http://ns.useplus.org/ldf/xmp/1.0/",
    "exif": "http://ns.adobe.com/exif/1.0/",
}
_XMP = {
    ("dc", "creator"): "creator",
    ("dc", "rights"): "copyright",
    ("dc", "description"): "description",
    ("xmpRights", "UsageTerms"): "usage_terms",
    ("xmpRights", "WebStatement"): "rights_url",
    ("photoshop", "Credit"): "credit",
    ("photoshop", "Source"): "source",
    ("xmp", "CreatorTool"): "software",
    ("Iptc4xmpExt", "DigitalSourceType"): "digital_source_type",
    ("plus", "DataMining"): "data_mining",
    ("exif", "UserComment"): "user_comment",
}
_XMP_TAGS = {f"{{{_NS[prefix]}}}{name}": field for (prefix, name), field in _XMP.items()}
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
#: PNG text keys written by image generators.
_GENERATION_KEYS = {"parameters", "prompt", "workflow", "sd-metadata", "dream", "invokeai_metadata"}
_PNG_XMP_KEY = "XML:com.adobe.xmp"
_PNG_TEXT = {"author": "creator", "copyright": "copyright", "software": "software",
             "description": "description", "source": "source",
             # NovelAI writes its settings, the prompt among them, as JSON in "Comment"
             "comment": "user_comment"}

DATA_MINING = {
    "DMI-UNSPECIFIED": "data mining: not specified",
    "DMI-ALLOWED": "data mining allowed",
    "DMI-PROHIBITED-AIMLTRAINING": "prohibited for AI/ML training",
    "DMI-PROHIBITED-GENAIMLTRAINING": "prohibited for generative AI/ML training",
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING": "prohibited except for search engine indexing",
    "DMI-PROHIBITED": "data mining prohibited",
    "DMI-PROHIBITED-SEECONSTRAINT": "prohibited, see the rights constraints",
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR": "prohibited, see the embedded rights expression",
}
FIELD_NAMES = {
    "creator": "creator", "copyright": "copyright", "credit": "credit", "source": "source",
    "usage_terms": "usage terms", "rights_url": "rights statement", "software": "software",
    "description": "description", "digital_source_type": "IPTC digital source type",
    "data_mining": "IPTC/PLUS data mining", "generation_parameters": "AI generation parameters",
    "user_comment": "user comment",
}


@dataclass(frozen=True)
class Metadata:
    """Provenance fields found in one file, each as ``(field, value, where)``."""

    fields: tuple[tuple[str, str, str], ...] = ()
    error: str | None = None

    def values(self, name: str) -> list[str]:
        return [value for field, value, _ in self.fields if field == name]

    @property
    def generative_ai(self) -> bool:
        return any(
            v.rsplit("/", 1)[-1] in GENERATIVE_SOURCE_TYPES for v in self.values("digital_source_type")
        ) or bool(self.values("generation_parameters")) or any(
            looks_like_settings(v) for v in self.values("user_comment") + self.values("description")
        )

    def findings(self) -> list[str]:
        found = []
        for name, label in FIELD_NAMES.items():
            values = list(dict.fromkeys(self.values(name)))
            if not values:
                continue
            shown = [_readable(name, v) for v in values]
            found.append(f"Metadata {label}: " + "; ".join(shown).rstrip(".") + ".")
        if self.error:
            found.append(f"Metadata could not all be read ({self.error}).")
        return found

    def to_json(self) -> dict[str, Any]:
        grouped: dict[str, list[dict[str, str]]] = {}
        for field, value, where in self.fields:
            grouped.setdefault(field, []).append({"value": value, "source": where})
        return {"fields": grouped, "generative_ai": self.generative_ai, "error": self.error}


def looks_like_settings(text: str) -> bool:
    """Whether a free-text field (a user comment or description) holds an image generator's settings."""
    return _SETTINGS_WORDS.search(text) is not None


def _readable(name: str, value: str) -> str:
    short = value.rsplit("/", 1)[-1]
    if name == "data_mining":
        return DATA_MINING.get(short, value)
    if name == "digital_source_type":
        return short + (" (generative AI)" if short in GENERATIVE_SOURCE_TYPES else "")
    if name in ("generation_parameters", "user_comment"):
        return value[:120] + ("…" if len(value) > 120 else "")
    return value[:200]


def read(
    path: str | Path,
    *,
    exif: bytes | None = None,
    xmp: bytes | None = None,
    png_text: dict[str, Any] | None = None,
) -> Metadata:
    """Collect the provenance fields of *path*, reusing blocks the caller already read.

    EXIF comes from JPEG/PNG/WebP blocks or a TIFF's own first directory;
    IPTC from JPEG (also when Pillow opens it as MPO), TIFF, and the
    ``Raw profile type iptc`` text that ExifTool and ImageMagick put in PNG;
    XMP wherever the PNG holds it, before or after the image data.
    """
    fields: list[tuple[str, str, str]] = []
    errors: list[str] = []
    iptc: dict[tuple[int, int], Any] | None = None
    tiff_exif: Image.Exif | None = None
    if Path(path).suffix.lower() in VIDEO_SUFFIXES:  # no EXIF or IPTC; XMP in a box
        if xmp is None:
            xmp = _bmff_xmp(Path(path), errors)
        if xmp:
            fields += _xmp_fields(xmp, errors)
        return Metadata(tuple(f for f in fields if f[1]), "; ".join(errors) or None)
    if xmp is None and Path(path).suffix.lower() == ".gif":
        xmp = _gif_xmp(Path(path), errors)  # Pillow misses XMP after the first frame
    try:
        with Image.open(path) as im:
            if exif is None and "exif" in im.info:
                exif = im.info["exif"]
            elif exif is None and im.format == "TIFF":
                tiff_exif = im.getexif()
            xml = im.info.get("xmp")
            if xmp is None and xml:
                xmp = xml.encode() if isinstance(xml, str) else xml
            if png_text is None:
                # Reading .text loads the file, so chunks after the image data count too.
                png_text = dict(getattr(im, "text", {}) or {})
            if im.format in ("JPEG", "MPO", "TIFF"):
                iptc = IptcImagePlugin.getiptcinfo(im)
    except Exception as exc:  # an unreadable file is reported by the check itself
        errors.append(type(exc).__name__)
    png_text = dict(png_text or {})
    embedded_xmp = png_text.pop(_PNG_XMP_KEY, None)
    if xmp is None and embedded_xmp:
        xmp = embedded_xmp.encode("utf-8") if isinstance(embedded_xmp, str) else embedded_xmp
    raw_iptc = png_text.pop("Raw profile type iptc", None)
    if iptc is None and raw_iptc:
        iptc = _raw_profile_iptc(raw_iptc, errors)
    if exif:
        fields += _exif_fields(exif, errors)
    elif tiff_exif is not None:
        fields += _exif_tags(tiff_exif)
    if xmp:
        fields += _xmp_fields(xmp, errors)
    for iptc_key, raw in (iptc or {}).items():
        if iptc_key in _IPTC:
            for item in raw if isinstance(raw, list) else [raw]:
                fields.append((_IPTC[iptc_key], _text(item), "IPTC"))
    for key, value in png_text.items():
        lowered = str(key).lower()
        if lowered in _GENERATION_KEYS:
            fields.append(("generation_parameters", f"{key}: {_text(value)}", "PNG text"))
        elif lowered in _PNG_TEXT:
            fields.append((_PNG_TEXT[lowered], _text(value), "PNG text"))
    return Metadata(tuple(f for f in fields if f[1]), "; ".join(errors) or None)


#: Videos whose XMP is read from their boxes; other videos (WebM, MKV) carry none we read.
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi"})
_BMFF_SUFFIXES = frozenset({".mp4", ".m4v", ".mov"})
#: The XMP ``uuid`` box of ISO base media files (XMP specification part 3).
_XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")


def _bmff_xmp(path: Path, errors: list[str]) -> bytes | None:
    """The XMP of an MP4/MOV: a top-level XMP ``uuid`` box, else ``moov/udta/XMP_``."""
    if path.suffix.lower() not in _BMFF_SUFFIXES:
        return None
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            for kind, start, end in _boxes(handle, 0, size):
                if kind == b"uuid" and end - start >= 16:
                    handle.seek(start)
                    if handle.read(16) == _XMP_UUID:
                        return handle.read(min(end - start - 16, 1 << 24))
            for kind, start, end in _boxes(handle, 0, size):
                if kind == b"moov":
                    for inner, istart, iend in _boxes(handle, start, end):
                        if inner == b"udta":
                            for leaf, lstart, lend in _boxes(handle, istart, iend):
                                if leaf == b"XMP_":
                                    handle.seek(lstart)
                                    return handle.read(min(lend - lstart, 1 << 24))
    except OSError as exc:
        errors.append(type(exc).__name__)
    return None


_GIF_XMP = b"\x21\xff\x0bXMP DataXMP"
_GIF_XMP_TRAILER = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"


def _gif_xmp(path: Path, errors: list[str]) -> bytes | None:
    """The XMP application extension of a GIF (XMP specification part 3), wherever it is."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        errors.append(type(exc).__name__)
        return None
    start = data.rfind(_GIF_XMP)
    end = data.find(_GIF_XMP_TRAILER, start) if start >= 0 else -1
    return data[start + len(_GIF_XMP) : end] if end > start else None


def _boxes(handle: Any, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """The ``(type, body start, body end)`` of the boxes between *start* and *end*."""
    found: list[tuple[bytes, int, int]] = []
    pos = start
    while pos + 8 <= end and len(found) < 10_000:
        handle.seek(pos)
        size, kind = struct.unpack(">I4s", handle.read(8))
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", handle.read(8))[0], 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            break  # damaged: stop rather than guess
        found.append((kind, pos + header, pos + size))
        pos += size
    return found


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            value = value.decode("cp1252", "replace")  # IPTC/EXIF text before UTF-8
    return " ".join(str(value).replace("\x00", " ").split())


def _exif_fields(data: bytes, errors: list[str]) -> list[tuple[str, str, str]]:
    if not data.startswith(b"Exif\x00\x00"):
        data = b"Exif\x00\x00" + data
    exif = Image.Exif()
    try:
        exif.load(data)
    except Exception:  # damaged EXIF: keep the rest
        errors.append("damaged EXIF")
        return []
    return _exif_tags(exif)


def _exif_tags(exif: Image.Exif) -> list[tuple[str, str, str]]:
    fields = [(name, _exif_text(exif[tag]), "EXIF") for tag, name in _EXIF.items() if tag in exif]
    try:
        comment = exif.get_ifd(_EXIF_IFD).get(_USER_COMMENT)
    except Exception:  # a damaged Exif IFD: keep the rest
        comment = None
    if comment:
        fields.append(("user_comment", _user_comment(comment), "EXIF UserComment"))
    return fields


def _user_comment(value: Any) -> str:
    """EXIF UserComment: an 8-byte character code, then the text (EXIF 2.32, 4.6.5).

    ``UNICODE`` is UTF-16 in either byte order: piexif (and so AUTOMATIC1111)
    writes it big-endian whatever the file's, others follow the file's order,
    so the order is read from where the zero bytes of Latin text fall.
    """
    if isinstance(value, str):
        return _exif_text(value)
    data = bytes(value)
    code, body = data[:8], data[8:]
    if code.startswith(b"UNICODE"):
        if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return _text(body.decode("utf-16", "replace"))
        even, odd = body[0::2].count(0), body[1::2].count(0)
        return _text(body.decode("utf-16-be" if even > odd else "utf-16-le", "replace"))
    if code.startswith(b"JIS"):
        return _text(body.decode("iso2022_jp", "replace"))
    if code.startswith(b"ASCII") or code == bytes(8):
        return _text(body)
    return _text(data)  # no character code: written as plain text


def _exif_text(value: Any) -> str:
    """EXIF text as written: Pillow decodes it as Latin-1, but cameras and tools write UTF-8."""
    if isinstance(value, str):
        try:
            value = value.encode("latin-1")
        except UnicodeEncodeError:
            return _text(value)
    return _text(value)


def _raw_profile_iptc(text: Any, errors: list[str]) -> dict[tuple[int, int], Any]:
    """Parse ImageMagick's ``Raw profile type iptc``: a name, a length, then hex.

    The bytes are IPTC IIM records, bare or inside Photoshop image resources.
    """
    try:
        lines = str(text).strip().split("\n")
        data = bytes.fromhex("".join(lines[2:]))[: int(lines[1])]
    except (ValueError, IndexError):
        errors.append("damaged IPTC")
        return {}
    if data.startswith(b"Photoshop 3.0\x00"):
        data = data[14:]
    if data.startswith(b"8BIM"):
        data = _photoshop_resource(data, 0x0404)
    return _iim_records(data)


def _photoshop_resource(data: bytes, wanted: int) -> bytes:
    pos = 0
    while pos + 12 <= len(data) and data[pos : pos + 4] == b"8BIM":
        ident = int.from_bytes(data[pos + 4 : pos + 6], "big")
        name_length = data[pos + 6]
        pos += 6 + name_length + 1 + (name_length + 1) % 2
        size = int.from_bytes(data[pos : pos + 4], "big")
        if ident == wanted:
            return data[pos + 4 : pos + 4 + size]
        pos += 4 + size + size % 2
    return b""


def _iim_records(data: bytes) -> dict[tuple[int, int], Any]:
    records: dict[tuple[int, int], Any] = {}
    pos = 0
    while pos + 5 <= len(data) and data[pos] == 0x1C:
        key = (data[pos + 1], data[pos + 2])
        size = int.from_bytes(data[pos + 3 : pos + 5], "big")
        if size & 0x8000:  # an extended length; never used for text fields
            break
        value = data[pos + 5 : pos + 5 + size]
        records.setdefault(key, []).append(value)
        pos += 5 + size
    return records


def _xmp_fields(data: bytes, errors: list[str]) -> list[tuple[str, str, str]]:
    start, end = data.find(b"<x:xmpmeta"), data.rfind(b"</x:xmpmeta>")
    if start >= 0 and end > start:
        data = data[start : end + len(b"</x:xmpmeta>")]
    try:
        root = ET.parse(io.BytesIO(data)).getroot()
    except ET.ParseError:
        errors.append("damaged XMP")
        return []
    fields = []
    for element in root.iter():
        for attribute, value in element.attrib.items():
            if attribute in _XMP_TAGS:
                fields.append((_XMP_TAGS[attribute], _text(value), "XMP"))
        if element.tag in _XMP_TAGS:
            name = _XMP_TAGS[element.tag]
            items = list(element.iter(f"{_RDF}li"))
            texts = [li.text or "" for li in items] or [element.text or ""]
            resource = element.attrib.get(f"{_RDF}resource")
            for text in [*texts, resource or ""]:
                if text.strip():
                    fields.append((name, _text(text), "XMP"))
    return fields
