"""The artist's consent, written into every marked copy in the forms other tools read.

A :class:`Consent` says who made the work, the rights statement, and the
IPTC PLUS data-mining value (by default ``DMI-PROHIBITED-AIMLTRAINING``: not
for AI/ML training).  :meth:`Consent.apply` merges it into a still's XMP
(``dc:creator``, ``dc:rights``, ``plus:DataMining``,
``Iptc4xmpExt:DigitalSourceType`` = ``digitalCreation``) and EXIF (Artist and
Copyright, UTF-8) before the file is encoded, so the marked pixels are never
touched; :func:`add_to_clip` adds the same XMP to a finished GIF, APNG or MP4
without rewriting its frames.  Everything else already in the file's XMP and
EXIF is kept.

Metadata like this is easily stripped: it states the artist's refusal in the
machine-readable form that opt-out rules ask crawlers to respect; the mark
is what survives stripping.
"""

from __future__ import annotations

import configparser
import contextlib
import dataclasses
import io
import logging
import os
import struct
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image

from artistshield.imageio.artwork import Artwork

log = logging.getLogger("artistshield.provenance")

DEFAULT_DATA_MINING = "DMI-PROHIBITED-AIMLTRAINING"
#: The IPTC PLUS "Data Mining" vocabulary (https://ns.useplus.org/ldf/vocab/).
DATA_MINING_VALUES = (
    "DMI-UNSPECIFIED",
    "DMI-ALLOWED",
    "DMI-PROHIBITED-AIMLTRAINING",
    "DMI-PROHIBITED-GENAIMLTRAINING",
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
    "DMI-PROHIBITED",
    "DMI-PROHIBITED-SEECONSTRAINT",
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR",
)
PLUS_VOCABULARY = "http://ns.useplus.org/ldf/vocab/"
#: IPTC digital source type for work made by a person with non-generative tools.
DIGITAL_CREATION = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation"

_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "plus": "http://ns.useplus.org/ldf/xmp/1.0/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
_RDF = "{" + _NS["rdf"] + "}"
_ARTIST, _COPYRIGHT = 0x013B, 0x8298
_EXIF_HEADER = b"Exif\x00\x00"
_PACKET_START = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
_PACKET_END = '\n<?xpacket end="w"?>'
#: The ``[Consent]`` group of the app's settings file (QSettings INI format).
SETTINGS_GROUP = "Consent"


def _q(prefix: str, name: str) -> str:
    return f"{{{_NS[prefix]}}}{name}"


@dataclass(frozen=True)
class Consent:
    """What the artist says about their work, as written into each copy."""

    creator: str | None = None
    data_mining: str = DEFAULT_DATA_MINING
    rights: str | None = None

    def __post_init__(self) -> None:
        if self.data_mining not in DATA_MINING_VALUES:
            raise ValueError(
                f"{self.data_mining!r} is not an IPTC data-mining value; choose one of "
                + ", ".join(DATA_MINING_VALUES)
                + "."
            )

    @property
    def data_mining_uri(self) -> str:
        return PLUS_VOCABULARY + self.data_mining

    @property
    def rights_statement(self) -> str | None:
        """The rights text: the one given, else a copyright line naming the creator."""
        if self.rights:
            return self.rights
        if not self.creator:
            return None
        year = datetime.now(UTC).year
        terms = {
            "DMI-PROHIBITED-AIMLTRAINING": " Not to be used for AI/ML training.",
            "DMI-PROHIBITED-GENAIMLTRAINING": " Not to be used for generative AI/ML training.",
            "DMI-PROHIBITED": " No data mining.",
            "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING": " No data mining except search indexing.",
        }.get(self.data_mining, "")
        return f"© {year} {self.creator}. All rights reserved.{terms}"

    def apply(self, artwork: Artwork) -> Artwork:
        """Return *artwork* with this consent merged into its XMP and EXIF (pixels untouched)."""
        return dataclasses.replace(
            artwork,
            xmp=self.merge_xmp(artwork.xmp),
            exif=self.merge_exif(artwork.exif),
            info=dict(artwork.info),
        )

    def merge_xmp(self, existing: bytes | None) -> bytes:
        """Return an XMP packet holding *existing*'s properties plus this consent."""
        root = _parse_xmp(existing)
        if root.tag == f"{_RDF}RDF":  # some writers leave out the x:xmpmeta wrapper
            wrapper = ET.Element(_q("x", "xmpmeta"))
            wrapper.append(root)
            root = wrapper
        rdf = next(root.iter(f"{_RDF}RDF"), None)
        if rdf is None:
            root = ET.Element(_q("x", "xmpmeta"))
            rdf = ET.SubElement(root, f"{_RDF}RDF")
        creators = _existing_creators(rdf)
        for prop in _OWNED:
            _remove_property(rdf, prop)
        description = ET.SubElement(rdf, f"{_RDF}Description", {f"{_RDF}about": ""})
        names = creators + ([self.creator] if self.creator and self.creator not in creators else [])
        if names:
            seq = ET.SubElement(ET.SubElement(description, _q("dc", "creator")), f"{_RDF}Seq")
            for name in names:
                ET.SubElement(seq, f"{_RDF}li").text = name
        rights = self.rights_statement
        if rights:
            alt = ET.SubElement(ET.SubElement(description, _q("dc", "rights")), f"{_RDF}Alt")
            ET.SubElement(alt, f"{_RDF}li", {_q("xml", "lang"): "x-default"}).text = rights
            ET.SubElement(description, _q("xmpRights", "Marked")).text = "True"
        ET.SubElement(description, _q("plus", "DataMining")).text = self.data_mining_uri
        ET.SubElement(description, _q("Iptc4xmpExt", "DigitalSourceType")).text = DIGITAL_CREATION
        body = ET.tostring(root, encoding="unicode")
        return (_PACKET_START + body + _PACKET_END).encode("utf-8")

    def merge_exif(self, existing: bytes | None) -> bytes | None:
        """Return *existing* EXIF (TIFF bytes, no ``Exif`` header) with Artist and Copyright set.

        Both are written as UTF-8 (what ExifTool and current cameras read);
        a damaged EXIF block is kept as it was rather than rewritten.
        """
        exif = Image.Exif()
        if existing:
            try:
                exif.load(_EXIF_HEADER + existing)
            except Exception:  # damaged: leave it alone, the XMP still carries consent
                log.warning("The EXIF block is damaged; Artist and Copyright were not added")
                return existing
        if self.creator:
            exif[_ARTIST] = self.creator.encode("utf-8")
        rights = self.rights_statement
        if rights:
            exif[_COPYRIGHT] = rights.encode("utf-8")
        if not self.creator and not rights:
            return existing
        return _with_ifd0_at(exif, _IFD0_OFFSET)


#: Where IFD0 starts in the EXIF written: not at 8, the usual place.  ExifTool
#: (12.57, Debian 12) takes the offsets in a PNG's ``eXIf`` chunk and in its
#: Content Credentials (``caBX``) relative to each chunk, so an IFD0 at 8
#: looks to it like the signed manifest's first box, and it drops Artist and
#: Copyright.  No JUMBF box's contents can start at 10 (a box header is 8 bytes).
_IFD0_OFFSET = 10


def _with_ifd0_at(exif: Image.Exif, offset: int) -> bytes:
    """*exif* as TIFF bytes (no ``Exif`` header) whose IFD0 starts at *offset* (even, > 8)."""
    data = exif.tobytes(offset)[len(_EXIF_HEADER) :]  # offsets inside counted from *offset*
    order = "<" if data[:2] == b"II" else ">"
    return data[:4] + struct.pack(order + "I", offset) + bytes(offset - 8) + data[8:]


#: Properties this module owns; any earlier value is replaced (creators are merged).
_OWNED = (
    _q("dc", "creator"),
    _q("dc", "rights"),
    _q("xmpRights", "Marked"),
    _q("plus", "DataMining"),
    _q("Iptc4xmpExt", "DigitalSourceType"),
)


def _parse_xmp(existing: bytes | None) -> ET.Element:
    if existing:
        start, end = existing.find(b"<x:xmpmeta"), existing.rfind(b"</x:xmpmeta>")
        if start >= 0 and end > start:
            existing = existing[start : end + len(b"</x:xmpmeta>")]
        try:
            for _, (prefix, uri) in ET.iterparse(io.BytesIO(existing), events=("start-ns",)):
                if prefix and uri not in _NS.values():
                    _register(prefix, uri)
            return ET.fromstring(existing)
        except ET.ParseError:
            log.warning("The XMP packet is damaged; it was replaced by the consent fields")
    return ET.Element(_q("x", "xmpmeta"))


def _register(prefix: str, uri: str) -> None:
    # ns0-style prefixes are reserved: ElementTree names those namespaces itself.
    with contextlib.suppress(ValueError):
        ET.register_namespace(prefix, uri)


for _prefix, _uri in _NS.items():
    if _prefix != "xml":
        _register(_prefix, _uri)


def _existing_creators(rdf: ET.Element) -> list[str]:
    names: list[str] = []
    for description in rdf.iter(f"{_RDF}Description"):
        for prop in description.iter(_q("dc", "creator")):
            items = [li.text or "" for li in prop.iter(f"{_RDF}li")] or [prop.text or ""]
            names += [n.strip() for n in items if n.strip() and n.strip() not in names]
        value = description.attrib.get(_q("dc", "creator"))
        if value and value.strip() not in names:
            names.append(value.strip())
    return names


def _remove_property(rdf: ET.Element, prop: str) -> None:
    for description in rdf.iter(f"{_RDF}Description"):
        description.attrib.pop(prop, None)
        for child in [c for c in description if c.tag == prop]:
            description.remove(child)


# -- clips: XMP added to a finished file, frames untouched --------------------


def add_to_clip(
    path: str | Path, consent: Consent, *, source: str | Path | None = None
) -> bool:
    """Add *consent* to the GIF, APNG, WebP or MP4/MOV at *path*; return whether it could.

    The XMP and EXIF of the animated image *source* the clip was marked from
    are kept, merged as a still's are (an MP4's own metadata is not read).
    The file was just written by ArtistShield and is changed in place only by
    inserting metadata blocks: an ``XMP DataXMP`` application extension
    before a GIF's trailer (GIF has no place for EXIF), ``iTXt`` (XMP) and
    ``eXIf`` chunks before a PNG's image data (some readers ignore text after
    it), ``EXIF`` and ``XMP `` chunks at an animated WebP's end (its header's
    flags and size patched), a top-level XMP ``uuid`` box at an MP4's end (no
    offsets move; MP4 has no standard place for EXIF).  Other containers
    (WebM, MKV) are left alone, and a failure only loses the metadata.  A
    frame folder's frames are stills: each gets its XMP and EXIF from
    :meth:`Consent.apply`.
    """
    target = Path(path)
    xmp, exif = _animation_metadata(source) if source is not None else (None, None)
    try:
        return _add_xmp(target, consent.merge_xmp(xmp), consent.merge_exif(exif))
    except OSError as exc:  # the copy stays valid and marked, only without the metadata
        log.warning("%s: consent metadata not added (%s)", target.name, exc.strerror or exc)
        return False


def _animation_metadata(source: str | Path) -> tuple[bytes | None, bytes | None]:
    """The XMP packet and EXIF (TIFF bytes) of the GIF, APNG or WebP at *source*, if any."""
    if Path(source).suffix.lower() not in (".gif", ".png", ".apng", ".webp"):
        return None, None
    try:
        with Image.open(source) as image:
            xmp, exif = image.info.get("xmp"), image.info.get("exif")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None, None
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    if isinstance(exif, bytes) and exif.startswith(_EXIF_HEADER):
        exif = exif[len(_EXIF_HEADER) :]
    return (
        xmp if isinstance(xmp, bytes) and xmp else None,
        exif if isinstance(exif, bytes) and exif else None,
    )


def _add_xmp(target: Path, xmp: bytes, exif: bytes | None) -> bool:
    suffix = target.suffix.lower()
    if suffix == ".gif":
        return _append_before(target, b"\x3b", _gif_xmp(xmp), tail=1)
    if suffix in (".png", ".apng"):
        chunks = _png_chunk(b"iTXt", _ITXT_KEY + xmp)
        if exif:
            chunks += _png_chunk(b"eXIf", exif)
        return _insert_png_chunk(target, chunks)
    if suffix == ".webp":
        return _append_webp_metadata(target, xmp, exif)
    if suffix in (".mp4", ".m4v", ".mov"):
        with target.open("ab") as handle:
            handle.write(struct.pack(">I4s", 8 + 16 + len(xmp), b"uuid") + _XMP_UUID + xmp)
            handle.flush()
            os.fsync(handle.fileno())
        return True
    return False


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ITXT_KEY = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00"
_XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")


def _append_before(target: Path, trailer: bytes, block: bytes, *, tail: int) -> bool:
    with target.open("r+b") as handle:
        handle.seek(-tail, 2)
        if handle.read(tail) != trailer:
            log.warning("%s does not end as expected; consent metadata not added", target.name)
            return False
        handle.seek(-tail, 2)
        handle.write(block + trailer)
        handle.flush()
        os.fsync(handle.fileno())
    return True


def _append_webp_metadata(target: Path, xmp: bytes, exif: bytes | None) -> bool:
    with target.open("r+b") as handle:
        header = handle.read(30)
        if header[:4] != b"RIFF" or header[8:16] != b"WEBPVP8X" or header[20] & 0x0C:
            log.warning("%s is not an extended WebP without metadata; consent not added", target.name)
            return False
        chunks = _webp_chunk(b"EXIF", exif) if exif else b""
        chunks += _webp_chunk(b"XMP ", xmp)
        end = handle.seek(0, 2)
        handle.write(chunks)
        handle.seek(4)
        handle.write(struct.pack("<I", end - 8 + len(chunks)))
        handle.seek(20)
        handle.write(bytes([header[20] | 0x04 | (0x08 if exif else 0)]))  # VP8X: XMP, EXIF
        handle.flush()
        os.fsync(handle.fileno())
    return True


def _webp_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) % 2)


def _insert_png_chunk(target: Path, chunk: bytes) -> bool:
    with target.open("r+b") as handle:
        data = handle.read()
        pos = len(_PNG_SIGNATURE)
        while pos + 8 <= len(data) and data[pos + 4 : pos + 8] not in (b"IDAT", b"fcTL", b"IEND"):
            pos += 12 + struct.unpack_from(">I", data, pos)[0]
        if not data.startswith(_PNG_SIGNATURE) or pos + 8 > len(data):
            log.warning("%s is not a whole PNG; consent metadata not added", target.name)
            return False
        handle.seek(pos)
        handle.write(chunk + data[pos:])
        handle.flush()
        os.fsync(handle.fileno())
    return True


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _gif_xmp(xmp: bytes) -> bytes:
    # XMP spec part 3: the packet is followed by a 258-byte "magic trailer" so
    # GIF readers that walk sub-blocks skip it: 0x01, 0xFF..0x00, 0x00.
    magic = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"
    return b"\x21\xff\x0bXMP DataXMP" + xmp + magic


# -- the setting -------------------------------------------------------------


def _settings_group(settings_file: Path | None) -> Any:
    if settings_file is None:
        from artistshield.paths import data_dir

        settings_file = data_dir() / "settings.ini"
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(settings_file, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        log.warning("%s is unreadable; consent metadata stays on", settings_file)
    sections = [name for name in parser.sections() if name.lower() == SETTINGS_GROUP.lower()]
    return parser[sections[0]] if sections else {}


def _off(value: Any) -> bool:
    return str(value).strip().lower() in ("false", "0", "no", "off")


def c2pa_enabled(*, settings_file: Path | None = None) -> bool:
    """Whether the settings want signed Content Credentials (``c2pa``, on by default)."""
    return not _off(_settings_group(settings_file).get("c2pa", "true"))


def from_settings(creator: str | None, *, settings_file: Path | None = None) -> Consent | None:
    """Return the consent the app's settings ask for (on by default), or None when off.

    The app keeps it in the ``[Consent]`` group of ``settings.ini`` in the
    data folder (any case): ``enabled`` (true/false), ``data_mining`` (an
    IPTC value) and ``c2pa`` (signed Content Credentials, true/false).
    """
    group = _settings_group(settings_file)
    if _off(group.get("enabled", "true")):
        return None
    value = str(group.get("data_mining", DEFAULT_DATA_MINING)).strip() or DEFAULT_DATA_MINING
    if value not in DATA_MINING_VALUES:
        log.warning("Unknown data-mining value %r in the settings; using %s", value, DEFAULT_DATA_MINING)
        value = DEFAULT_DATA_MINING
    return Consent(creator=creator, data_mining=value)


def in_words(*, settings_file: Path | None = None) -> str:
    """What the settings make each marked copy say, in one line (for the Mark view)."""
    from artistshield.provenance.metadata import DATA_MINING

    consent = from_settings(None, settings_file=settings_file)
    if consent is None:
        return "Off: marked copies say nothing about AI training (change it in Settings)."
    meaning = DATA_MINING.get(consent.data_mining, consent.data_mining)
    said = "not for AI training" if consent.data_mining == DEFAULT_DATA_MINING else meaning
    signed = (
        "in their metadata and signed Content Credentials"
        if c2pa_enabled(settings_file=settings_file) else "in their metadata (not signed)"
    )
    return f"Each copy says “{said}” ({consent.data_mining}) {signed}."
