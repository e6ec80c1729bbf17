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
import sys
from pathlib import Path

from artistshield.errors import ArtistShieldError
from artistshield.report.evidence import Evidence, gather
from artistshield.report.html import render_html

__all__ = ["Evidence", "gather", "render_html", "write_report"]


def write_report(evidence: Evidence, out: str | Path) -> Path:
    """Write *evidence* to *out*: ``.pdf`` as a PDF, anything else as HTML."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".pdf":
        _write_pdf(evidence, out)
    else:
        from artistshield.fileio import atomic_write

        with atomic_write(out) as handle:
            handle.write(render_html(evidence).encode("utf-8"))
    return out


def _write_pdf(evidence: Evidence, out: Path) -> None:
    page = {
        "html": render_html(evidence, image_src=lambda name: f"img:{name}"),
        "images": {k: base64.b64encode(v).decode("ascii") for k, v in evidence.images.items()},
        "title": f"Evidence report: {Path(evidence.result.input).name}",
        "creator": evidence.tool,
        # the signed head, for `registry verify --against` (in the PDF's XMP metadata)
        "head": None if evidence.registry_head is None else evidence.registry_head.embedded(),
    }
    done = subprocess.run(
        [sys.executable, "-m", "artistshield.report.pdf", str(out)],
        input=json.dumps(page), capture_output=True, text=True, timeout=120, check=False,
    )
    if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        lines = done.stderr.strip().splitlines()
        why = lines[-1] if lines else "no output"
        raise ArtistShieldError(f"The PDF report could not be written to {out} ({why}).")
