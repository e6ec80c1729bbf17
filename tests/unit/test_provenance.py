"""Public marks, Content Credentials and metadata: what a suspect carries besides our mark."""

import datetime
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield.check import check_file
from artistshield.provenance import credentials, metadata, sd

DATA = Path(__file__).resolve().parents[1] / "data"
KEYS = {"test": bytes(range(32))}
NO_SD = "the sd extra (invisible-watermark) is not installed"


def _sdxl_marked(tmp_path: Path) -> Path:
    imwatermark = pytest.importorskip("imwatermark", reason=NO_SD)
    rgb = np.asarray(Image.open(DATA / "cel-portrait-alpha.png").convert("RGB"))
    encoder = imwatermark.WatermarkEncoder()
    encoder.set_watermark("bits", list(sd.MARKS[0].bits))
    bgr = encoder.encode(np.ascontiguousarray(rgb[..., ::-1]), "dwtDct")  # as Stability's scripts
    out = tmp_path / "sdxl.png"
    Image.fromarray(np.ascontiguousarray(bgr[..., ::-1])).save(out)
    return out


def test_sdxl_mark_is_reported(tmp_path: Path) -> None:
    report = sd.check_file(_sdxl_marked(tmp_path))
    assert report.status == sd.CHECKED
    assert [r.mark for r in report.found] == ["SDXL"]
    sdxl = report.found[0]
    assert sdxl.level == sd.VERY_LIKELY and sdxl.matched_bits >= 36
    assert "Stable Diffusion XL" in report.findings()[0]


def test_block_reader_agrees_with_invisible_watermark(tmp_path: Path) -> None:
    imwatermark = pytest.importorskip("imwatermark", reason=NO_SD)
    from artistshield.provenance.sd import dwtdct

    bgr = np.ascontiguousarray(np.asarray(Image.open(_sdxl_marked(tmp_path)))[..., ::-1])
    ours = dwtdct.decode(bgr, (32, 48, 136))
    for length in (32, 48, 136):
        theirs = imwatermark.WatermarkDecoder("bits", length).decode(bgr, "dwtDct")
        assert ours[length] == [int(b) for b in theirs]


def test_every_block_is_read_as_invisible_watermarks_own_reader_reads_it() -> None:
    pytest.importorskip("imwatermark", reason=NO_SD)
    from artistshield.provenance.sd import dwtdct

    reader_class = dwtdct._load_max_dct().EmbedMaxDct
    rng = np.random.default_rng(4)
    # odd sizes (rows and columns of no whole block are left out), signs,
    # ties of magnitude (integers), values on either side of half the scale
    for band in (rng.normal(0, 200, (37, 50)), rng.integers(-60, 60, (24, 23)).astype(np.float64)):
        count = (band.shape[0] // 4) * (band.shape[1] // 4)
        reader = reader_class(watermarks=[], wmLen=count, scales=[0, 36, 36], block=4)
        theirs = [s[0] for s in reader.decode_frame(band, 36, [[] for _ in range(count)])]
        assert dwtdct.read_blocks(band, 36).tolist() == theirs


def test_thresholds_follow_the_binomial_tail() -> None:
    assert sd.MARKS[0].level(36) == sd.VERY_LIKELY and sd.MARKS[0].level(34) == sd.LIKELY
    assert sd.MARKS[0].level(33) == sd.PARTIAL
    for mark in sd.MARKS:
        # a flat image reads all zeros or all ones: it must never reach "likely"
        assert max(sum(mark.bits), len(mark.bits) - sum(mark.bits)) < mark.likely
        assert sd.chance(mark.very_likely, len(mark.bits)) <= 2 * 3.6e-4


def test_small_images_are_not_checked(tmp_path: Path) -> None:
    pytest.importorskip("imwatermark", reason=NO_SD)
    small = tmp_path / "small.png"
    Image.new("RGB", (200, 200), "white").save(small)
    assert sd.check_file(small).status == sd.TOO_SMALL


def test_the_caller_never_loads_opencv(tmp_path: Path) -> None:
    marked = _sdxl_marked(tmp_path)
    code = (
        "import sys\n"
        "import PySide6.QtCore\n"  # as in the app's process
        "from artistshield.check import check_file\n"
        f"r = check_file({str(marked)!r}, keys={{'k': bytes(32)}})\n"
        "assert r.stable_diffusion.found, r.stable_diffusion\n"
        "assert 'cv2' not in sys.modules and 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _certificates() -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Throwaway Test CA")])

    def usage(sign: bool) -> x509.KeyUsage:
        return x509.KeyUsage(sign, False, False, False, False, not sign, not sign, False, False)

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    valid = {"not_valid_before": now - datetime.timedelta(days=1),
             "not_valid_after": now + datetime.timedelta(days=7)}
    ca = (
        x509.CertificateBuilder(subject_name=name("Test Root"), issuer_name=name("Test Root"),
                                public_key=ca_key.public_key(),
                                serial_number=x509.random_serial_number(), **valid)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage(False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder(subject_name=name("TestGen Signer"), issuer_name=ca.subject,
                                public_key=key.public_key(),
                                serial_number=x509.random_serial_number(), **valid)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, ca))
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return chain, private


def _signed(tmp_path: Path) -> Path:
    c2pa = pytest.importorskip("c2pa")
    chain, private = _certificates()
    source = io.BytesIO()
    Image.open(DATA / "cel-portrait-alpha.png").convert("RGB").save(source, "PNG")
    source.seek(0)
    manifest = {
        "claim_generator_info": [{"name": "TestGen", "version": "1.0"}],
        "title": "generated",
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [{
            "action": "c2pa.created",
            "digitalSourceType":
                "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
        }]}}],
    }
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain, private, None))
    out = io.BytesIO()
    with c2pa.Builder(manifest) as builder:
        builder.sign(signer, "image/png", source, out)
    path = tmp_path / "signed.png"
    path.write_bytes(out.getvalue())
    return path


def test_content_credentials_are_reported_with_their_generator(tmp_path: Path) -> None:
    found = credentials.read_file(_signed(tmp_path))
    assert found.status == credentials.PRESENT
    assert found.generator == "TestGen/1.0"
    assert found.signer == "TestGen Signer"
    assert found.generative_ai and "trainedAlgorithmicMedia" in found.source_types
    assert not found.trusted and "untrusted" in found.signature
    result = check_file(tmp_path / "signed.png", keys=KEYS)
    assert "TestGen/1.0" in result.verdict and "generative AI" in result.verdict
    assert any("TestGen/1.0" in f for f in result.findings)


def test_a_corrupt_manifest_is_reported_not_raised(tmp_path: Path) -> None:
    data = bytearray(_signed(tmp_path).read_bytes())
    at = data.find(b"jumb")
    data[at + 100 : at + 400] = b"\x00" * 300
    broken = tmp_path / "broken.png"
    broken.write_bytes(bytes(data))
    found = credentials.read_file(broken)
    assert found.status in (credentials.DAMAGED, credentials.PRESENT)
    if found.status == credentials.PRESENT:
        assert found.problems  # read, but does not validate
    json.dumps(check_file(broken, keys=KEYS).to_json())


def test_metadata_provenance_fields(tmp_path: Path) -> None:
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        'plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING" '
        'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation">'
        "<dc:creator><rdf:Seq><rdf:li>Ada Artist</rdf:li></rdf:Seq></dc:creator>"
        '<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">(c) 2025 Ada Artist</rdf:li></rdf:Alt></dc:rights>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    exif = Image.Exif()
    exif[0x0131] = "Krita 5.2"
    path = tmp_path / "meta.jpg"
    Image.open(DATA / "cel-portrait-alpha.png").convert("RGB").save(
        path, exif=exif.tobytes(), xmp=xmp.encode()
    )
    found = metadata.read(path)
    assert found.values("creator") == ["Ada Artist"]
    assert found.values("copyright") == ["(c) 2025 Ada Artist"]
    assert found.values("software") == ["Krita 5.2"]
    assert found.values("data_mining")[0].endswith("DMI-PROHIBITED-AIMLTRAINING")
    assert not found.generative_ai
    assert any("prohibited for AI/ML training" in f for f in found.findings())


def test_generator_parameters_in_png_text(tmp_path: Path) -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cat, Steps: 20, Sampler: Euler a")
    path = tmp_path / "a1111.png"
    Image.new("RGB", (64, 64)).save(path, pnginfo=info)
    assert metadata.read(path).generative_ai


def test_unmarked_art_reports_nothing() -> None:
    result = check_file(DATA / "painted-bridge.png", keys=KEYS)
    assert result.made_with_ai == []
    assert result.c2pa is not None and result.c2pa.status == credentials.ABSENT
    assert result.metadata is not None and result.metadata.fields == ()
    assert result.verdict == "no mark of yours and no registered work found"


def test_unmarked_art_carries_no_stable_diffusion_mark() -> None:
    pytest.importorskip("imwatermark", reason=NO_SD)
    result = check_file(DATA / "painted-bridge.png", keys=KEYS)
    assert result.stable_diffusion is not None
    assert result.stable_diffusion.status == sd.CHECKED
    assert not result.stable_diffusion.found


def test_only_the_version_that_agrees_best_is_reported() -> None:
    # an SD 2.x image also reached SD 1.x's threshold (89 of 136): report SD 2.x alone
    sd2 = sd.MarkReading("SD2", "Stable Diffusion 2.x", 32, 32, sd.VERY_LIKELY, "BGR")
    sd1 = sd.MarkReading("SD1", "Stable Diffusion 1.x", 89, 136, sd.VERY_LIKELY, "BGR")
    report = sd.StableDiffusionReport(sd.CHECKED, (sd1, sd2))
    assert [r.mark for r in report.found] == ["SD2"]
    assert report.to_json()["found"] == ["SD2"]
    (finding,) = report.findings()
    assert finding.startswith("Stable Diffusion 2.x's invisible mark") and "1.x" not in finding
    assert f"chance {sd.chance_any(sd2):.1g}" in finding
    assert sd.chance_any(sd2) == min(1.0, sd.chance(32, 32) * len(sd.MARKS))
