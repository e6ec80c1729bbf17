"""A union's merged shared registry at scale: merge time, opening time, memory, disk.

Builds a real merged registry of ``--works`` works: members of
``--per-member`` works each (the issue's large union has 2,000), each with a
real identity, a membership issued by a real union authority, and a real
registry whose every work is a signed log entry; each member contributes, the
union merges (verifying every contribution) and the registry is opened in a
fresh process, as ``check --registry`` opens it.

To keep the build fast, a work's fingerprint is not computed from a picture:
it is drawn the way ``benchmarks/union_scale.py``'s ``SyntheticWorks`` draws
them (one of a few real fingerprints, its PDQ and features perturbed; a pool of
``POOL`` of them, cycled, as search quality is not measured here), and its
thumbnail is one of those pictures' real thumbnails.  Everything from the
signed records up (bundles, merge, catalog, index, opening) is the real code.
The identities' passphrase hashing is made cheap: its cost is an identity's,
not the registry's.

Measured:

* ``merge_s``: ``union merge`` of every contribution (every signature checked,
  the catalog and, past ``scale.EXACT_UP_TO`` works with faiss, the index written);
* ``load_s`` / ``load_cpu_s``: opening the merged registry (wall / process time),
  with ``load_rss_bytes`` the process's resident memory after;
* ``cited_s``: the first check that cites a work (its member's certificate and
  signed log entries checked against the catalog's record);
* ``verify_s``, with ``--verify``: ``union verify`` (every contribution and fingerprint);
* ``hash_contributions_s``: hashing every contribution alone, the cost opening
  would add if it hashed them all;
* ``disk_bytes`` and its parts.

    python benchmarks/union_registry.py --works 100000 [--folder DIR] [--tag] [--json OUT]
    python benchmarks/union_registry.py --extrapolate 10000000

Saved as ``union_registry`` (``union_registry_<works>`` with ``--tag``).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _results import CORPUS, RESULTS, Table, add_json_option, load, save

POOL = 512
"""Distinct synthetic fingerprints, cycled: drawing one costs more than registering it."""
DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def pictures() -> list[np.ndarray]:
    from PIL import Image

    folder = CORPUS if CORPUS.is_dir() else DATA
    found = sorted(folder.glob("*.png"))[:8]
    return [np.asarray(Image.open(p).convert("RGB")) for p in found]


def build_contributions(
    folder: Path, works: int, per_member: int, *, resign: bool = False
) -> tuple[object, list[Path]]:
    """The union authority and one contribution file per member (with *resign*, the
    first built through the registry and the rest re-signed from it: :func:`resigned`)."""
    from union_scale import SyntheticWorks

    from artistshield import identity as identities
    from artistshield.fingerprint import compute
    from artistshield.registry import Registry, ingest, store
    from artistshield.union import UnionAuthority, membership, shared

    identities._SCRYPT = {"n": 2**4, "r": 8, "p": 1}  # throwaway identities
    shown = pictures()
    bases = [compute(p) for p in shown]
    thumbnails = [ingest.thumbnail_png(p) for p in shown]
    synthetic = SyntheticWorks(bases, 0)
    pool = [synthetic.fingerprint(n).to_bytes() for n in range(POOL)]
    union = UnionAuthority.create("Benchmark Guild", "guild pw", home=folder / "guild")
    counter = iter(range(works))

    def describe(pixels: np.ndarray, *, file_path: Path, **_: object) -> ingest.WorkFacts:
        number = next(counter)
        stored = pool[number % POOL]
        digest = hashlib.sha256(f"work {number}".encode()).hexdigest()
        return ingest.WorkFacts(
            file_name=file_path.name, file_size=1 << 20, file_sha256=digest,
            pixels_sha256=digest, width=1920, height=1080, channels=3, frame_count=1,
            fingerprint=stored, thumbnail_png=thumbnails[number % len(thumbnails)],
        )  # fmt: skip

    store.describe = describe  # type: ignore[assignment]
    # Building members' registries is not measured: no fsync per work, and no copies of
    # the member's signed head kept or checked (they guard the member's own registry
    # and are not part of the contribution the union receives).
    os.fsync = lambda fd: None  # type: ignore[assignment]
    store.Registry.remember_head = lambda self: None  # type: ignore[method-assign]
    store.Registry._check_head = lambda self, conn: None  # type: ignore[method-assign]
    dummy = np.zeros((1, 1, 3), np.uint8)
    files = []
    members = -(-works // per_member)
    built = members if not resign else 1
    for number in range(1, built + 1):
        home = folder / "members" / str(number)
        home.mkdir(parents=True)
        os.environ["ARTISTSHIELD_HOME"] = str(home)
        artist = identities.create(f"Member {number}", "pw")
        document = union.issue(
            membership.request_membership(artist), member_no=number, until="2099-01-01"
        )
        (home / "member.asmember").write_text(json.dumps(document))
        joined = membership.join(home / "member.asmember", artist)
        count = min(per_member, works - (number - 1) * per_member)
        with Registry.open() as registry:
            registry.db._conn.execute("PRAGMA synchronous = OFF")
            for n in range(count):
                payload = membership.payload_for(number)
                registry.add_work(dummy, file_path=Path(f"work-{n}.png"), payload=payload,
                                  identity=artist)  # fmt: skip
            out = folder / "contributions" / f"member-{number}.json"
            out.parent.mkdir(exist_ok=True)
            files.append(shared.contribute(registry, artist, joined, out))
        for path in sorted(home.rglob("*"), reverse=True):  # only the contribution is kept
            path.unlink() if path.is_file() else path.rmdir()
        if number % 10 == 0:
            print(f"  {number}/{members} members", flush=True)
    if resign:
        template = json.loads(files[0].read_text(encoding="utf-8"))
        for number in range(2, members + 1):
            count = min(per_member, works - (number - 1) * per_member)
            files.append(resigned(template, folder, union, number, count))
            if number % 10 == 0:
                print(f"  {number}/{members} members (re-signed)", flush=True)
    return union, files


def resigned(template: dict, folder: Path, union: object, number: int, count: int) -> Path:
    """Member *number*'s contribution: the first member's registry, signed again entry by
    entry with this member's own new key, their payloads and their certificate.

    Every entry is a real Ed25519 signature by the member and the chain is rebuilt,
    so the merge checks it exactly as a contribution made by ``Registry.add_work``
    (29 ms a work, most of it the member's own database) and ``union contribute``.
    """
    from artistshield import identity as identities
    from artistshield.registry.records import GENESIS, LogEntry, canonical_json, sha256_hex
    from artistshield.union import membership

    home = folder / "members" / str(number)
    home.mkdir(parents=True)
    os.environ["ARTISTSHIELD_HOME"] = str(home)
    artist = identities.create(f"Member {number}", "pw")
    issued = union.issue(  # type: ignore[attr-defined]
        membership.request_membership(artist), member_no=number, until="2099-01-01"
    )
    (home / "member.asmember").write_text(json.dumps(issued))
    joined = membership.join(home / "member.asmember", artist)
    kept = {f"W-{n:06d}" for n in range(1, count + 1)}
    payloads: dict[str, int] = {}
    entries, prev = [], "0" * 64
    for raw in template["entries"]:
        old = LogEntry.from_json(raw)
        if old.work_id is not None and old.work_id not in kept:
            continue
        fields = json.loads(old.fields or "{}")
        if old.kind == GENESIS:
            fields = {"artist_id": artist.artist_id, "name": artist.name,
                      "public_key": artist.public_key.hex()}  # fmt: skip
        elif "payload" in fields:
            fields["payload"] = payloads[old.work_id] = membership.payload_for(number)  # type: ignore[index]
        elif "works" in fields:
            fields["works"] = sorted(kept)
        text = canonical_json(fields)
        entry = LogEntry(len(entries) + 1, old.kind, old.work_id, old.time, prev,
                         sha256_hex(text), b"", text)  # fmt: skip
        entry = entry.signed(artist.sign(entry.text.encode("utf-8")))
        entries.append(entry.to_json())
        prev = entry.hash
    works = []
    for raw in template["works"]:
        record = raw["record"]
        if record["work_id"] in kept:
            works.append({**raw, "record": {**record, "payload": payloads[record["work_id"]]}})
    key = artist.public_key.hex()
    certificate = {
        "union": joined.union_name,
        "member_no": joined.member_no,
        "certificate_pem": joined.certificate_pem,
    }
    document = {
        **template,
        "artist": {"name": artist.name, "artist_id": artist.artist_id, "public_key": key},
        "entries": entries,
        "head": {"seq": len(entries), "hash": prev},
        "works": works,
        "membership": certificate,
    }
    out = folder / "contributions" / f"member-{number}.json"
    out.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for path in sorted(home.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    return out


OPEN = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from artistshield.union import shared
if sys.argv[4] == "cold":  # as after a restart: the registry's files read from disk
    import os, pathlib
    for path in pathlib.Path(sys.argv[1]).rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
start, cpu = time.perf_counter(), time.process_time()
registry = shared.UnionRegistry(sys.argv[1])
load_s, load_cpu_s = time.perf_counter() - start, time.process_time() - cpu
with open("/proc/self/statm") as handle:
    rss = int(handle.read().split()[1]) * 4096
start = time.perf_counter()
work = registry.work("M1:W-000001")
cited_s = time.perf_counter() - start
start = time.perf_counter()
again = registry.find_by_payload(work.payload)
lookup_s = time.perf_counter() - start
verify_s = None
if sys.argv[3] == "verify":
    start = time.perf_counter()
    registry.verify()
    verify_s = time.perf_counter() - start
print(json.dumps({"load_s": load_s, "load_cpu_s": load_cpu_s, "load_rss_bytes": rss,
                  "cited_s": cited_s, "lookup_s": lookup_s, "verify_s": verify_s,
                  "index": registry._index is not None}))
"""


def measure_open(folder: Path, *, verify: bool, cold: bool = False) -> dict[str, float]:
    """Open the registry in a fresh process, as ``check --registry`` does; *cold*: with
    its files dropped from the page cache first (``posix_fadvise``), as after a restart."""
    root = str(Path(__file__).resolve().parent.parent)
    done = subprocess.run([sys.executable, "-c", OPEN, str(folder), root, "verify" if verify else "-",
                           "cold" if cold else "warm"], check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def hash_all(folder: Path) -> float:
    from artistshield.union import catalog

    start = time.perf_counter()
    for path in sorted(folder.iterdir()):
        catalog.sha256_file(path)
    return time.perf_counter() - start


def extrapolate(target: int) -> None:
    """Sizes along a straight line; merge time from a work's CPU cost; opening time both
    along a straight line through the measured openings and composed from its parts.

    Opening at a few thousand works is a second of fixed cost (imports, faiss)
    and noise, so a line through it says nothing.  What grows with the
    registry is hashing the catalog and the index files (all but the
    fingerprint store) and loading the index, so the estimate is: the catalog's
    bytes a work, times ``target``, plus the index files' bytes at ``target``
    (``union_scale_extrapolated``), hashed at the rate measured here, plus the
    index's own opening at ``target`` (``union_scale_extrapolated``), plus the
    fixed cost measured here.
    """
    runs = sorted(RESULTS.glob("union_registry_[0-9]*.json"), key=lambda p: int(p.stem[15:]))
    records = [r for r in (load(p.stem) for p in runs) if r is not None]
    scaled = load("union_scale_extrapolated")
    if len(records) < 2 or scaled is None:
        sys.exit("Extrapolating needs two saved runs of union_registry_<works> and "
                 "union_scale_extrapolated.")  # fmt: skip
    works = np.array([r["figures"]["works"] for r in records], float)
    table = Table(
        f"EXTRAPOLATED to {target:,} works from runs at "
        f"{', '.join(f'{int(w):,}' for w in works)} (sizes and merge: a straight line)",
        ["figure", *[f"measured at {int(w):,}" for w in works], f"extrapolated to {target:,}"],
    )  # fmt: skip
    figures: dict[str, object] = {"works": target, "extrapolated_from": [int(w) for w in works]}
    for key, form in (("hash_contributions_s", "{:.0f} s"),
                      ("disk_bytes", "{:.1f} GiB"), ("contribution_bytes", "{:.1f} GiB"),
                      ("catalog_bytes", "{:.2f} GiB"), ("index_file_bytes", "{:.1f} GiB")):  # fmt: skip
        values = np.array([r["figures"][key] for r in records], float)
        slope, intercept = np.polyfit(works, values, 1)
        value = float(slope * target + intercept)
        figures[key] = value
        unit = 2**30 if key.endswith("bytes") else 1
        table.add(key, *[form.format(v / unit) for v in values], form.format(value / unit))
    # the merge: a work's cost, measured in CPU time by this version (runs before it
    # timed only wall time, of a merge that parsed each contribution three times)
    timed = [r["figures"] for r in records if "merge_cpu_s" in r["figures"]]
    merges = Table(
        f"Merging {target:,} works (EXTRAPOLATED: a work's CPU cost at the largest run, "
        "times the works)", ["run", "works", "merge wall", "merge CPU", "works a CPU second",
                             f"CPU at {target:,}"],
    )  # fmt: skip
    for run in timed:
        rate_cpu = run["works"] / run["merge_cpu_s"]
        merges.add("measured", f"{run['works']:,}", f"{run['merge_s']:.0f} s",
                   f"{run['merge_cpu_s']:.0f} s", f"{rate_cpu:.0f}",
                   f"{target / rate_cpu / 3600:.1f} h")  # fmt: skip
    if timed:
        figures["merge_cpu_s"] = target * timed[-1]["merge_cpu_s"] / timed[-1]["works"]
    # opening, measured: a straight line through the runs that timed it
    opens = Table(
        f"Opening, MEASURED at each run; EXTRAPOLATED to {target:,} along a straight line "
        "through them", ["figure", *[f"{int(w):,}" for w in works], f"at {target:,}"],
    )  # fmt: skip
    for key in ("load_s", "load_cpu_s", "load_cold_s", "load_cold_cpu_s"):
        pairs = [(r["figures"]["works"], r["figures"][key]) for r in records
                 if r["figures"].get(key) is not None]  # fmt: skip
        shown = dict(pairs)
        line = "-"
        if len(pairs) >= 2:
            slope, intercept = np.polyfit(*np.array(pairs, float).T, 1)
            figures[f"{key}_line"] = value = float(slope * target + intercept)
            line = f"{value:.0f} s"
        opens.add(key, *[f"{shown[w]:.2f} s" if w in shown else "-" for w in works], line)
    largest = records[-1]["figures"]
    rate = largest["contribution_bytes"] / largest["hash_contributions_s"]
    catalog_bytes = largest["catalog_bytes"] / largest["works"] * target
    index_bytes = float(scaled["figures"]["index_file_bytes"])
    fixed = min(r["figures"]["load_s"] for r in records)
    hashing = (catalog_bytes + index_bytes) / rate
    load_s = fixed + hashing + float(scaled["figures"]["load_s"])
    resident = max(r["figures"]["load_rss_bytes"] for r in records) + float(
        scaled["figures"]["index_bytes"]
    )
    figures.update(load_s=load_s, load_hashing_s=hashing, load_rss_bytes=resident,
                   hash_rate_bytes_s=rate)  # fmt: skip
    parts = Table(
        f"Opening a merged registry of {target:,} works (EXTRAPOLATED: composed from its parts)",
        ["part", "estimate"],
    )
    parts.add("fixed cost (the fastest opening measured)", f"{fixed:.1f} s")
    parts.add(f"hash the catalog ({catalog_bytes / 2**30:.1f} GiB) and index files "
              f"({index_bytes / 2**30:.1f} GiB) at {rate / 2**20:.0f} MiB/s (measured here)",
              f"{hashing:.0f} s")  # fmt: skip
    parts.add("open the index (union_scale_extrapolated load_s)",
              f"{float(scaled['figures']['load_s']):.0f} s")  # fmt: skip
    parts.add("load_s, the sum (target: at most 300 s)", f"{load_s:.0f} s")
    parts.add("resident memory: measured registry process + index (union_scale_extrapolated)",
              f"{resident / 2**30:.1f} GiB")  # fmt: skip
    for t in (table, merges, opens, parts):
        t.print()
    save(
        "union_registry_extrapolated",
        tables=[table, merges, opens, parts],
        figures=figures,
        notes=[f"EXTRAPOLATED, not measured: a {target:,}-work merged registry (about "
               f"{figures['disk_bytes'] / 2**30:.0f} GiB) does not fit this machine's disk.",
               "Hashing every contribution on opening instead would take about "
               f"{figures['contribution_bytes'] / rate / 60:.0f} min at the same rate."],
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--per-member", type=int, default=2000)
    parser.add_argument("--folder", type=Path, default=None,
                        help="where to build (a temporary folder by default)")  # fmt: skip
    parser.add_argument("--tag", action="store_true", help="save as union_registry_<works>")
    parser.add_argument("--verify", action="store_true", help="also time union verify")
    parser.add_argument("--keep", action="store_true", help="keep the merged registry")
    parser.add_argument("--resign", action="store_true",
                        help="build the first member through the registry and sign the rest "
                        "from it with their own keys (see resigned): minutes, not days, "
                        "at a million works")  # fmt: skip
    parser.add_argument("--index", action="store_true",
                        help="give the registry the scale index even at fewer than "
                        "scale.EXACT_UP_TO works (as larger ones get), to compare runs")  # fmt: skip
    parser.add_argument("--extrapolate", type=int, default=None, metavar="WORKS",
                        help="fit the saved union_registry_<works> runs; save figures at WORKS, "
                        "labelled as extrapolated")  # fmt: skip
    add_json_option(parser)
    args = parser.parse_args()
    if args.extrapolate is not None:
        extrapolate(args.extrapolate)
        return
    from artistshield.fingerprint import scale
    from artistshield.union import catalog, shared

    if args.index:
        os.environ["ARTISTSHIELD_UNION_INDEX"] = "scale"
    with contextlib.ExitStack() as stack:
        scratch = tempfile.mkdtemp(dir=args.folder, prefix="union-registry-")
        if not args.keep:
            stack.callback(shutil.rmtree, scratch)
        folder = Path(scratch)
        start = time.perf_counter()
        union, files = build_contributions(
            folder, args.works, args.per_member, resign=args.resign
        )
        build_s = time.perf_counter() - start
        print(f"  {len(files)} contributions in {build_s:.0f} s", flush=True)
        start, cpu = time.perf_counter(), time.process_time()
        shared.merge(union, files, folder / "shared")  # type: ignore[arg-type]
        merge_s, merge_cpu_s = time.perf_counter() - start, time.process_time() - cpu
        print(f"  merged in {merge_s:.0f} s ({merge_cpu_s:.0f} s CPU)", flush=True)
        for path in files:
            path.unlink()
        registry = folder / "shared"
        cold = measure_open(registry, verify=False, cold=True)
        opened = measure_open(registry, verify=args.verify)
        hash_s = hash_all(registry / shared.MEMBERS_FOLDER)
        parts = {
            "contribution_bytes": size_of(registry / shared.MEMBERS_FOLDER),
            "catalog_bytes": size_of(registry / catalog.CATALOG_NAME),
            "index_file_bytes": size_of(registry / shared.SCALE_INDEX_NAME)
            if (registry / shared.SCALE_INDEX_NAME).exists() else 0,
        }  # fmt: skip
        disk = size_of(registry)

    summary = Table(f"A merged union registry of {args.works:,} works", ["measure", "result"])
    summary.add("works", f"{args.works:,} ({len(files)} members of up to {args.per_member:,})")
    summary.add("search", "two-tier scale index, kept and signed" if opened["index"]
                else f"exact (up to {scale.EXACT_UP_TO:,} works, or no faiss)")  # fmt: skip
    summary.add("merge_s (every signature checked, catalog and index written)", f"{merge_s:.0f} s")
    summary.add("merge_cpu_s (process time)",
                f"{merge_cpu_s:.0f} s ({args.works / merge_cpu_s:.0f} works a CPU second)")  # fmt: skip
    summary.add("load_cold_s (open, files dropped from the page cache first)",
                f"{cold['load_s']:.2f} s ({cold['load_cpu_s']:.2f} s CPU)")  # fmt: skip
    summary.add("load_s (open, wall)", f"{opened['load_s']:.2f} s")
    summary.add("load_cpu_s (open, process time)", f"{opened['load_cpu_s']:.2f} s")
    summary.add("resident memory after opening", f"{opened['load_rss_bytes'] / 2**20:.0f} MiB")
    summary.add("cited_s (first check citing a work: its member's signed entries checked)",
                f"{opened['cited_s']:.2f} s")  # fmt: skip
    summary.add("lookup by payload, after", f"{opened['lookup_s'] * 1000:.2f} ms")
    if opened["verify_s"] is not None:
        summary.add("verify_s (union verify: everything)", f"{opened['verify_s']:.0f} s")
    summary.add("hash_contributions_s (hashing every contribution alone)", f"{hash_s:.1f} s")
    summary.add("disk: contributions", f"{parts['contribution_bytes'] / 2**30:.2f} GiB")
    summary.add("disk: catalog", f"{parts['catalog_bytes'] / 2**30:.3f} GiB")
    summary.add("disk: search index", f"{parts['index_file_bytes'] / 2**30:.2f} GiB")
    summary.add("disk: whole registry", f"{disk / 2**30:.2f} GiB")
    summary.print()
    figures = {
        "works": args.works,
        "members": len(files),
        "merge_s": round(merge_s, 1),
        "merge_cpu_s": round(merge_cpu_s, 1),
        "load_cold_s": round(cold["load_s"], 3),
        "load_cold_cpu_s": round(cold["load_cpu_s"], 3),
        "build_s": round(build_s, 1),
        "load_s": round(opened["load_s"], 3),
        "load_cpu_s": round(opened["load_cpu_s"], 3),
        "load_rss_bytes": int(opened["load_rss_bytes"]),
        "cited_s": round(opened["cited_s"], 3),
        "lookup_s": round(opened["lookup_s"], 5),
        "verify_s": None if opened["verify_s"] is None else round(opened["verify_s"], 1),
        "hash_contributions_s": round(hash_s, 2),
        "disk_bytes": disk,
        **parts,
    }
    save(
        f"union_registry_{args.works}" if args.tag else "union_registry",
        tables=[summary],
        figures=figures,
        notes=[
            "Fingerprints drawn as union_scale.py's SyntheticWorks draws them (from real "
            "ones, perturbed); thumbnails real; every record a real signed log entry.",
        ],
        path=args.json,
    )


if __name__ == "__main__":
    main()
