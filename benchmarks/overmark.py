"""Over-marking: does the artist's mark survive another identity marking its copies?

18 pictures from the development corpus (painted, cartoon, cel with
transparency, flat art, animation frames, JPEG crops) are marked with
identity A.  Each marked copy is "downloaded" (flattened over white and
re-saved as JPEG 90, as a site would serve it), then marked by identity B with ``mark`` in B's own
data folder, at the default strength and at the strongest (``--again``:
B's registry would skip a crop of a picture it marked already), and B's
marked copy is published (JPEG 90 again).  A then
checks B's copies: is A's mark still read, and does A's registry still
match the work?  Saved as ``results/overmark.json``.

Run: ``nice python benchmarks/overmark.py [--json OUT]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path

from _results import Table, add_json_option, save
from PIL import Image

from artistshield import identity
from artistshield.cli import main as artistshield

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data"  # the development corpus
WANTED = 18
#: B's strengths: the default, and the strongest ``mark`` allows.
STRENGTHS = ("1", "4")


def pictures(folder: Path) -> list[Path]:
    """The 11 corpus pictures as they are, then JPEG crops of the large ones (the first
    18 that A's ``mark`` accepts are used; it refuses flat ones)."""
    folder.mkdir(parents=True)
    made = []
    corpus = [p for p in sorted(CORPUS.glob("*.png")) if not p.name.startswith("c2pa-")]
    sources = corpus + sorted((CORPUS / "frames").glob("*.png"))
    for source in sources:
        made.append(folder / source.name)
        made[-1].write_bytes(source.read_bytes())
    large = [s for s in sources if min(Image.open(s).size) >= 900]
    for where, (fx, fy) in (("crop", (4, 4)), ("corner", (2, 2))):
        for source in large:
            image = Image.open(source).convert("RGB")
            w, h = image.size
            x, y = w // fx, h // fy
            made.append(folder / f"{source.stem}-{where}.jpg")
            image.crop((x, y, min(w, x + 720), min(h, y + 540))).save(made[-1], quality=92)
    return made


def as_artist(home: Path, *argv: str) -> tuple[int, list[dict[str, object]]]:
    os.environ["ARTISTSHIELD_HOME"] = str(home)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = artistshield(list(argv))
    rows = []
    for line in out.getvalue().splitlines():
        with contextlib.suppress(ValueError):
            rows.append(json.loads(line))
    return code, rows


def download(marked: Path, folder: Path) -> Path:
    """What a visitor saves: the published copy as a site serves it (JPEG 90)."""
    folder.mkdir(exist_ok=True)
    image = Image.open(marked).convert("RGBA")  # a site flattens a transparent picture over white
    target = folder / (marked.stem + ".jpg")
    Image.alpha_composite(Image.new("RGBA", image.size, "white"), image).convert("RGB").save(
        target, quality=90
    )
    return target


def verdict(row: dict[str, object], work_id: str | None) -> dict[str, object]:
    marks = row.get("marks") or []
    mine = [m for m in marks if isinstance(m, dict) and m.get("found")]
    matches = [m.get("work_id") for m in row.get("matches") or [] if isinstance(m, dict)]
    return {
        "mark": bool(mine),
        "mark_work": mine[0].get("work_id") if mine else None,
        "p_value": mine[0].get("p_value") if mine else (marks[0].get("p_value") if marks else None),
        "match": work_id in matches,
    }


def _found(value: object) -> bool:
    return isinstance(value, dict) and bool(value["mark"] or value["match"])


def run() -> dict[str, object]:
    identity._SCRYPT = {"n": 2**4, "r": 8, "p": 1}  # cheap keys: the keys are not under test
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        art = pictures(root / "art")
        home_a, home_b = root / "home-a", root / "home-b"
        os.environ["ARTISTSHIELD_HOME"] = str(home_a)
        identity.create("Artist A", None)
        os.environ["ARTISTSHIELD_HOME"] = str(home_b)
        identity.create("Other B", None)

        _, marked = as_artist(home_a, "mark", *map(str, art), "--out", str(root / "a"), "--json",
                                 "--again")
        rows: list[dict[str, object]] = []
        for item in marked:
            if sum(bool(r.get("work_id")) for r in rows) >= WANTED:
                break
            if item.get("error") or not item.get("output"):
                rows.append({"input": Path(str(item.get("source"))).name, "marked_by_a": False,
                             "error": item.get("error") or item.get("skipped")})
                continue
            copy_a = Path(str(item["output"]))
            got = download(copy_a, root / "downloads")
            row: dict[str, object] = {"input": Path(str(item["source"])).name,
                                      "work_id": item.get("work_id")}
            _, checked = as_artist(home_a, "check", str(got), "--json", "--no-provenance")
            row["downloaded"] = verdict(checked[0], str(item.get("work_id")))
            for strength in STRENGTHS:
                _, by_b = as_artist(home_b, "mark", str(got), "--out", str(root / f"b{strength}"),
                                    "--json", "--again", "--strength", strength)
                copy_b = Path(str(by_b[0]["output"])) if by_b and by_b[0].get("output") else None
                if copy_b is None:
                    row[f"b{strength}_error"] = by_b[0].get("error") if by_b else "no output"
                    continue
                published = download(copy_b, root / f"b{strength}-published")
                for label, suspect in ((f"over_marked_{strength}", copy_b),
                                       (f"b_published_{strength}", published)):
                    _, checked = as_artist(home_a, "check", str(suspect), "--json", "--no-provenance")
                    row[label] = verdict(checked[0], str(item.get("work_id")))
                _, checked = as_artist(home_b, "check", str(copy_b), "--json", "--no-provenance")
                row[f"b_sees_own_{strength}"] = verdict(checked[0], None)["mark"]
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    marked_rows = [r for r in rows if r.get("work_id")]
    summary: dict[str, object] = {
        "pictures_marked_by_a": len(marked_rows),
        "refused_by_a": [r["input"] for r in rows if not r.get("work_id")],
        "a_found_in_download": sum(_found(r.get("downloaded")) for r in marked_rows),
    }
    for strength in STRENGTHS:
        for label in (f"over_marked_{strength}", f"b_published_{strength}"):
            over = [r[label] for r in marked_rows if isinstance(r.get(label), dict)]
            summary[label] = {
                "copies": len(over),
                "a_mark_read": sum(bool(v["mark"]) for v in over),  # type: ignore[index]
                "a_registry_match": sum(bool(v["match"]) for v in over),  # type: ignore[index]
                "a_found_either": sum(_found(v) for v in over),
            }
        summary[f"b_sees_own_{strength}"] = sum(bool(r.get(f"b_sees_own_{strength}")) for r in marked_rows)
    return {"summary": summary, "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_json_option(parser)
    args = parser.parse_args()
    result = run()
    summary = result["summary"]
    assert isinstance(summary, dict)
    table = Table(
        f"A's {summary['pictures_marked_by_a']} marked pictures, downloaded, marked again by B",
        ["B's strength", "copy", "A's mark read", "A's registry matches", "A finds it", "B's mark read"],
    )
    for strength in STRENGTHS:
        for label, copy in ((f"over_marked_{strength}", "B's marked copy"),
                            (f"b_published_{strength}", "published by B (JPEG 90)")):
            s = summary[label]
            table.add(strength, copy, f"{s['a_mark_read']}/{s['copies']}",
                      f"{s['a_registry_match']}/{s['copies']}",
                      f"{s['a_found_either']}/{s['copies']}", summary[f"b_sees_own_{strength}"])
    table.print()
    figures = {
        f"{what}_{strength}": summary[f"b_published_{strength}"][key]
        for strength in STRENGTHS
        for what, key in (("a_mark_read", "a_mark_read"), ("a_found", "a_found_either"))
    }
    figures["copies"] = summary["pictures_marked_by_a"]
    refused = ", ".join(summary["refused_by_a"]) or "none"
    save("overmark", tables=[table], figures=figures,
         notes=[f"Refused by A's mark, so left out: {refused}.",
                f"A found its work in its own downloaded copy: {summary['a_found_in_download']}."],
         path=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
