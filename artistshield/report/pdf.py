"""The evidence report as a PDF, laid out by Qt's rich text and ``QPdfWriter``.

Runs as ``python -m artistshield.report.pdf OUT.pdf`` with the page on stdin
(JSON: ``html``, ``images`` as base64 PNG by name, ``title``, ``creator``), so
Qt never loads in the command line's own process and the core's import
contract holds.  Without a display the child uses Qt's ``offscreen`` platform.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path
from typing import Any


def render(page: dict[str, Any], out: Path) -> None:
    """Lay out *page* (see the module docstring) as an A4 PDF at *out*."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QByteArray, QMarginsF, QUrl
    from PySide6.QtGui import (
        QGuiApplication,
        QImage,
        QPageLayout,
        QPageSize,
        QPdfWriter,
        QTextDocument,
    )

    app = QGuiApplication.instance() or QGuiApplication([])
    document = QTextDocument()
    for name, data in page["images"].items():
        image = QImage.fromData(QByteArray(base64.b64decode(data)))  # PNG, by its signature
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"img:{name}"), image)
    document.setHtml(page["html"])
    writer = QPdfWriter(str(out))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setTitle(page.get("title", ""))
    writer.setCreator(page.get("creator", ""))
    if page.get("head"):
        writer.setDocumentXmpMetadata(QByteArray(_xmp(page).encode("utf-8")))
    document.print_(writer)
    del writer  # the file is complete once the writer is gone
    del app


def _xmp(page: dict[str, Any]) -> str:
    """XMP metadata with the title and the registry's signed head (base64 text: no escaping)."""
    from xml.sax.saxutils import escape

    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:as="https://artistshield.invalid/ns/1.0/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(page.get("title", ""))}'
        "</rdf:li></rdf:Alt></dc:title>"
        f"<as:registryHead>{escape(page['head'])}</as:registryHead>"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m artistshield.report.pdf OUT.pdf < page.json", file=sys.stderr)
        return 2
    render(json.load(sys.stdin), Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
