"""`check` never goes online: a suspect whose manifest lives at a URL must not learn who checks it."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from PIL import Image

from artistshield.check import check_file
from artistshield.provenance import credentials


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that records every request (stopped after the test)."""
    requests: ClassVar[list[str]] = []
    handler = type("Handler", (_Recorder,), {"requests": requests})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.timeout = 5
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/manifest.c2pa", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def suspect_pointing_at(url: str, path: Path) -> Path:
    """A JPEG whose XMP names a remote manifest (``dcterms:provenance``), as c2pa writes it."""
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        f'xmlns:dcterms="http://purl.org/dc/terms/" dcterms:provenance="{url}"/>'
        "</rdf:RDF></x:xmpmeta>"
    )
    Image.effect_noise((96, 96), 40).convert("RGB").save(path, quality=90, xmp=xmp.encode())
    return path


def test_the_server_sees_a_default_c2pa_read(server: tuple[str, list[str]], tmp_path: Path) -> None:
    """The trap works: c2pa's own defaults do fetch the remote manifest."""
    import c2pa

    url, requests = server
    suspect = suspect_pointing_at(url, tmp_path / "suspect.jpg")
    with pytest.raises(c2pa.C2paError):
        c2pa.Reader.try_create(str(suspect))
    assert requests == ["/manifest.c2pa"]


def test_check_never_fetches_a_remote_manifest(server: tuple[str, list[str]], tmp_path: Path) -> None:
    url, requests = server
    suspect = suspect_pointing_at(url, tmp_path / "suspect.jpg")
    found = credentials.read_file(suspect)
    assert found.status == credentials.REMOTE
    assert found.error == url
    assert "not fetched" in found.findings()[0]
    result = check_file(suspect, keys={"mine": bytes(32)})
    assert result.c2pa is not None and result.c2pa.status == credentials.REMOTE
    assert requests == []
