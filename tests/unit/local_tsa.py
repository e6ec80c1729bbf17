"""A time-stamp authority for tests: OpenSSL's ``openssl ts -reply`` behind HTTP on 127.0.0.1.

The CA and the TSA certificate (extendedKeyUsage critical timeStamping, as
RFC 3161 asks) are made in the test's folder; each POST is answered by one
``openssl ts -reply`` run.  The server runs in a thread and is shut down by
the fixture that started it.
"""

from __future__ import annotations

import datetime
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OPENSSL = shutil.which("openssl")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey, *, tsa: bool,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer is not None else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=not tsa, path_length=None), critical=True)
    )
    if tsa:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class LocalTSA:
    """A running test TSA: POST a query to ``url``; its root is in ``root_pem``."""

    folder: Path
    name: str
    url: str = ""
    root_pem: Path = field(init=False)
    config: Path = field(init=False)
    requests: int = 0

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        root_key, tsa_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(
            ec.SECP256R1()
        )
        root = _certificate(f"{self.name} Root CA", root_key, None, root_key, tsa=False)
        signer = _certificate(self.name, tsa_key, root, root_key, tsa=True)
        pem = serialization.Encoding.PEM
        self.root_pem = self.folder / "root.pem"
        self.root_pem.write_bytes(root.public_bytes(pem))
        (self.folder / "tsa.pem").write_bytes(signer.public_bytes(pem))
        (self.folder / "tsa.key").write_bytes(
            tsa_key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        (self.folder / "serial").write_text("01\n")
        self.config = self.folder / "tsa.cnf"
        self.config.write_text(
            "[ tsa ]\ndefault_tsa = local\n[ local ]\n"
            f"serial = {self.folder / 'serial'}\ncrypto_device = builtin\n"
            f"signer_cert = {self.folder / 'tsa.pem'}\nsigner_key = {self.folder / 'tsa.key'}\n"
            "signer_digest = sha256\ndefault_policy = 1.2.3.4.1\nother_policies = 1.2.3.4.5\n"
            "digests = sha256, sha512\naccuracy = secs:1\nordering = no\ntsa_name = yes\n"
            "ess_cert_id_chain = no\ness_cert_id_alg = sha256\n"
        )

    def reply(self, query: bytes) -> bytes:
        """Answer one time-stamp query with ``openssl ts -reply``."""
        assert OPENSSL is not None
        self.requests += 1
        query_file = self.folder / f"query-{self.requests}.tsq"
        answer_file = self.folder / f"reply-{self.requests}.tsr"
        query_file.write_bytes(query)
        subprocess.run(
            [OPENSSL, "ts", "-reply", "-config", str(self.config), "-queryfile",
             str(query_file), "-out", str(answer_file)],
            check=True, capture_output=True, timeout=30,
        )
        return answer_file.read_bytes()


@contextmanager
def serve(tsa: LocalTSA) -> Iterator[LocalTSA]:
    """Run *tsa* behind HTTP on 127.0.0.1 until the block ends."""

    class Handler(http.server.BaseHTTPRequestHandler):
        timeout = 10

        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length", "0")), 1 << 16)
            answer = tsa.reply(self.rfile.read(length))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    tsa.url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    try:
        yield tsa
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the test TSA did not stop"
