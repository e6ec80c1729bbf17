"""`mark` skips what is registered already, unless --again; `registry withdraw` and `merge`."""

import json
import shutil
from pathlib import Path

import pytest
from cli_run import run

DATA = Path(__file__).parents[1] / "data"
NAMES = ("cel-portrait-alpha.png", "cel-spookytree-alpha.png")


pytestmark = pytest.mark.usefixtures("cli_passphrase")


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def art(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert run(capsys, "identity", "create", "--name", "Ada Artist")[0] == 0
    folder = tmp_path / "art"
    folder.mkdir()
    for name in NAMES:
        shutil.copy(DATA / name, folder / name)
    return folder


def test_mark_skips_registered_files_unless_again(
    art: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "mark", str(art), "--out", str(tmp_path / "first"), "--json")
    assert code == 0, err
    first = {Path(r["source"]).name: r for r in json_lines(out)}
    assert sorted(r["work_id"] for r in first.values()) == ["W-000001", "W-000002"]

    # the same folder again: nothing is marked or registered twice
    code, out, err = run(capsys, "mark", str(art), "--out", str(tmp_path / "second"))
    assert code == 0, err
    for name in NAMES:
        work_id = first[name]["work_id"]
        assert f"{art / name}: skipped: already registered as {work_id} " in out
    assert "--again" in out
    assert not (tmp_path / "second").exists() or not any((tmp_path / "second").iterdir())

    # a marked copy fed back in is known by its pixels
    marked = Path(first[NAMES[0]]["output"])
    code, out, _ = run(capsys, "mark", str(marked), "--out", str(tmp_path / "third"), "--json")
    (row,) = json_lines(out)
    assert code == 0 and row["skipped"] and row["output"] is None
    assert row["already_registered"]["work_id"] == first[NAMES[0]]["work_id"]
    assert row["already_registered"]["how"] == "same pixels"
    assert row["version_of"] is None

    # --again marks it as a new version of the work
    code, out, err = run(
        capsys, "mark", str(art / NAMES[0]), "--out", str(tmp_path / "again"), "--again", "--json"
    )
    assert code == 0, err
    (row,) = json_lines(out)
    assert row["work_id"] == "W-000003" and Path(row["output"]).is_file()
    assert row["version_of"] == first[NAMES[0]]["work_id"]
    assert row["already_registered"]["how"] == "same picture"
    code, out, _ = run(capsys, "registry", "show", "W-000003", "--json")
    assert json.loads(out)["version_of"] == first[NAMES[0]]["work_id"]
    assert run(capsys, "registry", "verify")[0] == 0


def test_withdraw_and_merge_hide_works_but_keep_them_verifiable(
    art: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "registry", "add", str(art / NAMES[0]), str(art / NAMES[1]))[0] == 0
    copy = tmp_path / "copy.png"  # the first picture, a pixel off: a duplicate record
    from PIL import Image

    with Image.open(art / NAMES[0]) as image:
        nudged = image.convert("RGBA")
    nudged.putpixel((0, 0), (1, 2, 3, 4))
    nudged.save(copy)
    # a duplicate is made on purpose: without --again it is recognised and skipped
    assert run(capsys, "registry", "add", "--again", str(copy))[0] == 0

    code, out, _ = run(capsys, "registry", "merge", "W-000003", "W-000001")
    assert code == 0 and "merged into W-000001" in out
    code, out, _ = run(capsys, "registry", "withdraw", "W-000002", "--reason", "not mine")
    assert code == 0 and "withdrawn on" in out and "not mine" in out

    code, out, _ = run(capsys, "registry", "list")
    assert "W-000001" in out and "W-000002" not in out and "W-000003" not in out
    assert "2 withdrawn or merged work(s) not listed" in out
    code, out, _ = run(capsys, "registry", "list", "--all", "--json")
    listed = {w["work_id"]: w for w in json.loads(out)}
    assert sorted(listed) == ["W-000001", "W-000002", "W-000003"]
    assert listed["W-000002"]["hidden"]["reason"] == "not mine"
    assert listed["W-000003"]["hidden"]["into"] == "W-000001"
    assert "hidden" not in listed["W-000001"]

    code, out, _ = run(capsys, "registry", "match", str(copy), "--json")
    assert [m["work_id"] for m in json.loads(out) if m["is_match"]] == ["W-000001"]

    code, out, _ = run(capsys, "registry", "verify")
    # the version link --again signs is an entry of its own
    assert code == 0 and "Registry intact: 7 signed entries and 3 works" in out
    bundle = tmp_path / "proof.asbundle"
    assert run(capsys, "registry", "export", "--out", str(bundle))[0] == 0
    code, out, _ = run(capsys, "registry", "verify-bundle", str(bundle), "--json")
    report = json.loads(out)
    assert code == 0 and [w["work_id"] for w in report["works"]] == ["W-000001"]

    code, _, err = run(capsys, "registry", "withdraw", "W-000002")
    assert code != 0 and "already withdrawn" in err
    code, out, _ = run(capsys, "registry", "restore", "W-000002")
    assert code == 0 and "shown again" in out
    assert "W-000002" in run(capsys, "registry", "list")[1]
    assert run(capsys, "registry", "verify")[0] == 0
