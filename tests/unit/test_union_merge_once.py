"""A union merge reads each contribution once and still checks all of it."""

import base64
import json
import re
from pathlib import Path

import pytest
from test_union import Member, ada, cheap, union  # noqa: F401  (fixtures)

from artistshield import untrusted
from artistshield.registry.bundle import check_bundle, read_bundle, verify_bundle
from artistshield.union import UnionAuthority, UnionError, shared

# the pattern untrusted.nesting used before: right, but seconds on a contribution
_REFERENCE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _reference_nesting(text: str) -> int:
    deepest = level = 0
    for token in _REFERENCE.finditer(text):
        if token.group() in "[{":
            level += 1
            deepest = max(deepest, level)
        elif token.group() in "]}":
            level -= 1
    return deepest


@pytest.mark.parametrize(
    "text",
    [
        '{"a": "\\"[[[[", "b": [[1]]}',
        '"\\\\"[[',
        '[{"x\\\\\\"]]]": [["\\\\"]]}]',
        '"never closed [[[',
        '[[["a"]]]',
        '{"thumbnail": "' + "A" * 100_000 + '", "n": [[[[]]]]}',
        "",
        "[" * 70 + "]" * 70,
    ],
)
def test_nesting_skips_strings_as_the_pattern_did(text: str) -> None:
    assert untrusted.nesting(text) == _reference_nesting(text)


def test_nesting_agrees_on_random_text() -> None:
    import random

    rng = random.Random(22)
    for _ in range(3000):
        text = "".join(rng.choice('[]{}"\\ab,:') for _ in range(rng.randint(0, 40)))
        assert untrusted.nesting(text) == _reference_nesting(text), text


def test_a_parsed_bundle_checks_as_its_file_does(ada: Member, tmp_path: Path) -> None:  # noqa: F811
    path = ada.contribute(tmp_path / "ada.json")
    assert check_bundle(read_bundle(path), source=path) == verify_bundle(path)
    document = json.loads(path.read_text())
    document["works"][0]["thumbnail_png"] = base64.b64encode(b"another picture").decode()
    report = check_bundle(document, source=path)
    assert not report.ok
    assert "thumbnail" in report.summary()


@pytest.mark.parametrize("index", ["exact", "scale"])
def test_the_merge_keeps_fingerprints_and_leaves_no_spill(
    union: UnionAuthority,  # noqa: F811
    ada: Member,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    index: str,
) -> None:
    if index == "scale":
        pytest.importorskip("faiss", reason="the scale extra (faiss-cpu) is not installed")
    monkeypatch.setenv("ARTISTSHIELD_UNION_INDEX", index)
    contribution = ada.contribute(tmp_path / "ada.json")
    shared.merge(union, [contribution], tmp_path / "shared")
    assert not (tmp_path / "shared" / shared.SPILL_NAME).exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".shared")] == []
    with shared.UnionRegistry(tmp_path / "shared") as registry:
        registry.verify()
        assert (tmp_path / "shared" / shared.SCALE_INDEX_NAME).exists() == (index == "scale")
        import numpy as np
        from PIL import Image

        pixels = np.asarray(Image.open(tmp_path / "out" / "hills.png").convert("RGB"))
        assert [m.work_id for m in registry.match(pixels) if m.is_match] == ["M7:W-000001"]


def test_a_changed_fingerprint_is_refused_at_merge(
    union: UnionAuthority, ada: Member, tmp_path: Path  # noqa: F811
) -> None:
    path = ada.contribute(tmp_path / "ada.json")
    document = json.loads(path.read_text())
    stored = bytearray(base64.b64decode(document["works"][0]["fingerprint"]))
    stored[len(stored) // 2] ^= 0xFF
    document["works"][0]["fingerprint"] = base64.b64encode(bytes(stored)).decode()
    path.write_text(json.dumps(document))
    with pytest.raises(UnionError, match="do not verify"):
        shared.merge(union, [path], tmp_path / "shared")
    assert not (tmp_path / "shared").exists()
