"""The About box's licence section: ArtistShield's own, then every bundled component's."""

from __future__ import annotations

import functools
from html import escape

from artistshield.components import components


@functools.cache
def licences_html() -> str:
    """ArtistShield's licence and a table of the third-party components it runs on."""
    rows = "".join(
        f"<tr><td>{escape(c.name)}</td><td>{escape(c.version)}</td>"
        f"<td>{escape(c.licence)}{f' ({escape(c.note)})' if c.note else ''}</td></tr>"
        for c in components()
    )
    return (
        "<p>ArtistShield is free software under the <b>GNU GPL, version 3 or later</b> "
        "(the LICENSE file). The icons are original to ArtistShield (GPL-3.0-or-later).</p>"
        "<p>It is built on these components, each under its own licence, "
        "as its installed package states:</p>"
        f"<table cellspacing='0' cellpadding='2'><tr><th align='left'>Component</th>"
        f"<th align='left'>Version</th><th align='left'>Licence</th></tr>{rows}</table>"
    )
