"""Evidence reports: what a check found, written for a platform or a lawyer.

:func:`gather` collects the evidence for one checked image (the suspect, the
matched registered work with its region outlined, the registry record and its
verification, the artist's public identity, a proof bundle written beside the
report); :func:`write_report` renders it as one self-contained HTML file
(:mod:`.html`) or a PDF (:mod:`.pdf`, drawn by Qt's own PDF writer in a child
process, so the command line never loads Qt).  :mod:`.notice` pre-fills a DMCA-style notice;
:mod:`.json_report` writes the check itself as JSON data.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

from artistshield.child import python_module
from artistshield.errors import ArtistShieldError
from artistshield.fileio import Exists, make_folder, publish, staged, write_file
from artistshield.report.evidence import Evidence, gather
from artistshield.report.html import render_html

__all__ = ["Evidence", "gather", "render_html", "write_report"]


def write_report(evidence: Evidence, out: str | Path, *, exists: Exists = "refuse") -> Path:
    """Write *evidence* to *out*: ``.pdf`` as a PDF, anything else as HTML.

    Nothing appears under the report's name until it is complete; an
    existing file is handled as *exists* says (:mod:`artistshield.fileio`).
    Returns the name written.
    """
    out = Path(out)
    make_folder(out.parent)
    if out.suffix.lower() == ".pdf":
        with staged(out) as part:
            _write_pdf(evidence, part, out)
            return publish(part, out, exists=exists)
    return write_file(out, render_html(evidence).encode("utf-8"), exists=exists)


def _write_pdf(evidence: Evidence, part: Path, out: Path) -> None:
    page = {
        "html": render_html(evidence, image_src=lambda name: f"img:{name}"),
        "images": {k: base64.b64encode(v).decode("ascii") for k, v in evidence.images.items()},
        "title": f"Evidence report: {Path(evidence.result.input).name}",
        "creator": evidence.tool,
        # the signed head, for `registry verify --against` (in the PDF's XMP metadata)
        "head": None if evidence.registry_head is None else evidence.registry_head.embedded(),
    }
    try:
        done = subprocess.run(
            python_module("artistshield.report.pdf", str(part)),
            input=json.dumps(page), capture_output=True, text=True, timeout=120, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ArtistShieldError(f"The PDF report could not be written to {out} ({exc}).") from exc
    if done.returncode != 0 or not _complete_pdf(part):
        lines = done.stderr.strip().splitlines()
        why = lines[-1] if lines else "the PDF came out incomplete: is the disk full?"
        raise ArtistShieldError(f"The PDF report could not be written to {out} ({why}).")


def _complete_pdf(path: Path) -> bool:
    """Whether *path* holds a whole PDF (a full disk cuts it short of its trailer)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(5)
            handle.seek(0, 2)
            handle.seek(max(handle.tell() - 1024, 0))
            tail = handle.read()
    except OSError:
        return False
    return head == b"%PDF-" and b"%%EOF" in tail
