"""A hostile user's files: tiny and huge pictures, bad bundles, backups and passphrases.

Every hostile file is made here.  Each case checks the exit code, that the
answer is one sentence (never a traceback) and what is on disk afterwards.
"""

from __future__ import annotations

import getpass
import json
import os
import struct
import sys
import unicodedata
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import identity
from artistshield.paths import data_dir
from tests.e2e.cli import run as run_process
from tests.e2e.cli import run_in_process

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(autouse=True)
def cheap_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identity, "_SCRYPT", {"n": 2**4, "r": 8, "p": 1})


@pytest.fixture
def artist(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "a long passphrase")
    assert run(capsys, "identity", "create", "--name", "Ada")[0] == 0


run = run_in_process


def png_header(path: Path, width: int, height: int) -> Path:
    """A PNG that claims *width* x *height* pixels and holds none (costs nothing to make)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return path


# -- pictures ---------------------------------------------------------------


def test_check_of_tiny_pictures_is_an_error_and_the_batch_goes_on(
    tmp_path: Path, artist: None, capsys: pytest.CaptureFixture[str]
) -> None:
    for side in (1, 3):
        Image.new("RGB", (side, side), "red").save(tmp_path / f"tiny{side}.png")
    code, out, _ = run(capsys, "check", str(tmp_path / "tiny1.png"), str(tmp_path / "tiny3.png"), "--no-provenance")
    assert code == 2  # an error, not "not found" (1)
    lines = out.strip().splitlines()
    assert len(lines) == 2 and all("too small" in line for line in lines)


def test_a_99_megapixel_picture_is_refused_from_its_header(
    tmp_path: Path, artist: None, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = png_header(tmp_path / "huge.png", 11_000, 9_000)
    code, out, _ = run(capsys, "check", str(huge), "--no-provenance")
    assert code == 2 and "99 megapixels" in out and "up to 50 megapixels" in out
    code, _, err = run(capsys, "mark", str(huge), "--out", str(tmp_path / "out"))
    assert code == 1 and "up to 50 megapixels" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_picture_larger_than_the_memory_left_is_refused(
    tmp_path: Path, artist: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from artistshield import memory

    monkeypatch.setattr(memory, "available_bytes", lambda: 100 * 2**20)  # a 100 MB cap
    picture = png_header(tmp_path / "big.png", 4000, 3000)
    code, _, err = run(capsys, "mark", str(picture), "--out", str(tmp_path / "out"))
    assert code == 1 and "needs about 1.0 GB of memory" in err


def test_a_one_frame_gif_is_marked_and_found(
    tmp_path: Path, artist: None, capsys: pytest.CaptureFixture[str]
) -> None:
    art = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))[:300, :400]
    Image.fromarray(art).save(tmp_path / "one.gif")
    code, out, err = run(capsys, "mark", str(tmp_path / "one.gif"), "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert (tmp_path / "out" / "one.gif").is_file()
    code, out, _ = run(capsys, "check", str(tmp_path / "out" / "one.gif"), "--no-provenance")
    assert code == 0 and "your mark is in this image" in out


# -- bundles, backups and key files ------------------------------------------


def nested(depth: int) -> str:
    return '{"format": "artistshield-proof-bundle", "version": 1, "x": ' + "[" * depth + "]" * depth + "}"


TYPE_CONFUSED = [
    {"format": "artistshield-proof-bundle", "version": 1, "artist": [], "entries": [], "works": []},
    {"format": "artistshield-proof-bundle", "version": 1, "artist": {"public_key": 7}, "entries": [], "works": []},
    {"format": "artistshield-proof-bundle", "version": 1, "artist": {"public_key": "00" * 32, "artist_id": "x"},
     "entries": {"a": 1}, "works": "all"},
    {"format": "artistshield-proof-bundle", "version": 1, "artist": {"public_key": "00" * 32, "artist_id": "x"},
     "entries": [{"entry": 5, "signature": [], "fields": {}}], "works": []},
    {"format": "artistshield-proof-bundle", "version": 1, "artist": {"public_key": "00" * 32, "artist_id": "x"},
     "entries": [{"entry": "[" * 5000 + "]" * 5000, "signature": "00", "fields": None}],
     "works": [1, None, {"record": []}, {"record": {"work_id": 5}}]},
    ["not", "an", "object"],
    "a string",
]


@pytest.mark.parametrize("document", TYPE_CONFUSED)
def test_type_confused_bundles_get_one_sentence(
    tmp_path: Path, document: object, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(document))
    code, out, err = run(capsys, "registry", "verify-bundle", str(bundle))
    assert code in (1, 2)  # refused as unreadable (2) or read and found not valid (1)
    assert len((out + err).strip().splitlines()) == 1


def hostile_files(tmp_path: Path) -> dict[str, Path]:
    """A deeply nested file, a link to /dev/zero, a named pipe, a sparse 300 MB file."""
    files = {"nested": tmp_path / "nested.json", "zero": tmp_path / "zero.json",
             "pipe": tmp_path / "pipe.json", "sparse": tmp_path / "sparse.json"}
    files["nested"].write_text(nested(200_000))
    files["zero"].symlink_to("/dev/zero")
    os.mkfifo(files["pipe"])
    with open(files["sparse"], "wb") as handle:
        handle.truncate(300 * 2**20)
    return files


def readers(path: Path, out: Path) -> list[tuple[str, ...]]:
    """Every command that reads a file someone else may have made."""
    return [
        ("registry", "verify-bundle", str(path)),
        ("registry", "verify", "--against", str(path)),
        ("identity", "import", str(path)),
        ("mark", str(DATA / "flat-moonlight.png"), "--key-file", str(path), "--out", str(out)),
    ]


def test_hostile_bundles_backups_and_key_files_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "a long passphrase")
    files = hostile_files(tmp_path)
    for name, path in files.items():
        if name == "pipe":
            continue  # below, in a process of its own
        for argv in readers(path, tmp_path / "o"):
            code, _, err = run(capsys, *argv)
            assert code == 2 and len(err.strip().splitlines()) == 1, (name, argv, err)
    # A reader that waited on the pipe for a writer would hang: run it where a timeout ends it.
    for argv in readers(files["pipe"], tmp_path / "o"):
        done = run_process(*argv, home=data_dir())
        assert done.returncode == 2 and "Traceback" not in done.stderr, (argv, done.stderr)
        assert "not a regular file" in done.stderr
    assert not (data_dir() / "identity.json").exists()
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "secrets",
    [
        [],
        {"cipher": "aes-256-gcm", "kdf": [], "nonce": "AA==", "ciphertext": "AA=="},
        {"cipher": "aes-256-gcm", "kdf": {"name": "scrypt", "n": "many", "r": 8, "p": 1, "salt": "AA=="},
         "nonce": "AA==", "ciphertext": "AA=="},
        {"cipher": "aes-256-gcm", "kdf": {"name": "scrypt", "n": 2**60, "r": 8, "p": 1, "salt": "AA=="},
         "nonce": "AA==", "ciphertext": "AA=="},
        {"cipher": "aes-256-gcm", "kdf": {"name": "scrypt", "n": 16, "r": 8, "p": 1, "salt": 5},
         "nonce": None, "ciphertext": "!!"},
        {"cipher": "none", "plaintext": "[[[[[[["},
        {"cipher": "none", "plaintext": {"signing_key": 1}},
    ],
)
def test_malformed_backups_get_one_sentence_and_change_nothing(
    tmp_path: Path, secrets: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "a long passphrase")
    backup = tmp_path / "backup.json"
    backup.write_text(json.dumps({
        "format": "artistshield-identity", "version": 1, "name": "Ada", "created": "2026-01-01T00:00:00Z",
        "public_key": "11" * 32, "artist_id": "AS-X", "secrets": secrets,
    }))
    code, _, err = run(capsys, "identity", "import", str(backup))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert not (data_dir() / "identity.json").exists()


# -- identities and passphrases ----------------------------------------------


def edit_public_key() -> None:
    path = data_dir() / "identity.json"
    document = json.loads(path.read_text())
    document["public_key"] = "22" * 32
    path.write_text(json.dumps(document))


@pytest.mark.parametrize("passphrase", [None, "a long passphrase"])
def test_identity_show_warns_of_an_edited_public_key(
    passphrase: str | None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if passphrase is None:
        assert run(capsys, "identity", "create", "--name", "Ada", "--no-passphrase")[0] == 0
    else:
        monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", passphrase)
        assert run(capsys, "identity", "create", "--name", "Ada")[0] == 0
    edit_public_key()
    code, out, err = run(capsys, "identity", "show")
    assert code == 0 and "22" * 32 in out
    assert "Warning" in err and "not the one of the private key sealed in it" in err


def test_identity_show_warns_when_the_registry_has_another_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "a long passphrase")
    assert run(capsys, "identity", "create", "--name", "Ada")[0] == 0
    assert run(capsys, "registry", "add", str(DATA / "flat-moonlight.png"))[0] == 0
    monkeypatch.delenv("ARTISTSHIELD_PASSPHRASE")  # show needs no passphrase
    edit_public_key()
    code, _, err = run(capsys, "identity", "show")
    assert code == 0 and "not the key your registry is signed with" in err


def test_nfc_and_nfd_passphrases_open_the_same_identity(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    word = "café-crème été"
    nfc, nfd = unicodedata.normalize("NFC", word), unicodedata.normalize("NFD", word)
    assert nfc != nfd
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", nfd)
    assert run(capsys, "identity", "create", "--name", "Ada")[0] == 0
    for typed in (nfc, nfd):
        assert identity.load(typed).name == "Ada"


def test_an_identity_sealed_with_an_unnormalised_passphrase_still_opens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    nfd = unicodedata.normalize("NFD", "café-crème été")
    with monkeypatch.context() as patched:  # as an older ArtistShield wrote it
        patched.setattr(identity.unicodedata, "normalize", lambda form, text: text)
        identity.create("Ada", nfd)
    assert identity.load(nfd).name == "Ada"


def test_passphrase_limits_are_the_same_typed_and_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    long = "x" * (identity.MAX_PASSPHRASE + 1)
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", long)
    code, _, err = run(capsys, "identity", "create", "--name", "Ada")
    assert code == 2 and "longer than" in err
    monkeypatch.delenv("ARTISTSHIELD_PASSPHRASE")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": long)
    code, _, err = run(capsys, "identity", "create", "--name", "Ada")
    assert code == 2 and "longer than" in err
    assert not (data_dir() / "identity.json").exists()


def test_a_short_passphrase_gets_a_warning_not_a_refusal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARTISTSHIELD_PASSPHRASE", "abc")
    code, _, err = run(capsys, "identity", "create", "--name", "Ada")
    assert code == 0 and "fewer than 8 characters" in err
    assert identity.load("abc").name == "Ada"


def test_ctrl_d_at_the_passphrase_prompt_is_a_clean_exit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def end_of_input(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(getpass, "getpass", end_of_input)
    code, _, err = run(capsys, "identity", "create", "--name", "Ada")
    assert code == 2 and "No passphrase was given" in err
    assert not (data_dir() / "identity.json").exists()


@pytest.mark.parametrize("names", [(), ("drawing.svg", "print.pdf", "layers.psd")])
def test_a_folder_without_pictures_says_so(
    tmp_path: Path, names: tuple[str, ...], artist: None, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "portfolio"
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes(b"not a picture ArtistShield takes")
    for argv in (("check", str(folder), "--no-provenance"), ("mark", str(folder), "--out", str(tmp_path / "o"))):
        code, _, err = run(capsys, *argv)
        assert code == 1 and f"no pictures found in {folder}" in err
    assert not (tmp_path / "o").exists()
