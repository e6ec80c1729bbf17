"""Build the standalone ArtistShield: ``python packaging/build.py [--profile FILE]``.

Runs PyInstaller on ``packaging/artistshield.spec`` (one folder, no Python
needed on the target machine) and writes ``dist/ArtistShield/`` and an archive
beside it: a ``.tar.gz`` on Linux, a ``.zip`` on Windows, a ``.dmg`` holding
``ArtistShield.app`` on macOS.  Needs ``pip install -e ".[build]"``.

Hook: ``--profile FILE`` copies a union profile into the build's
``resources/union-profile/``, where :func:`artistshield.frozen.bundled_profile`
finds it, so a union can hand its members an app already set up for it.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "artistshield.spec"
NAME = "ArtistShield"


def build(*, dist: Path, work: Path, profile: Path | None = None) -> Path:
    """Run PyInstaller; return the one-folder app ``dist/ArtistShield``."""
    env = dict(os.environ)
    env.pop("ARTISTSHIELD_BUILD_PROFILE", None)
    if profile is not None:
        if not profile.is_file():
            raise SystemExit(f"build.py: the profile {profile} is not a file")
        env["ARTISTSHIELD_BUILD_PROFILE"] = str(profile.resolve())
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(work), str(SPEC)],
        check=True, cwd=ROOT, env=env,
    )
    folder = dist / NAME
    if sys.platform.startswith("linux"):
        strip_symbols(folder)
        shrink_icu(folder)
        link_cli(folder)
    return folder


def link_cli(folder: Path) -> None:
    """Make ``artistshield-cli`` a relative symbolic link to the app (Linux: one executable)."""
    cli = folder / "artistshield-cli"
    cli.unlink(missing_ok=True)
    cli.symlink_to(NAME)


def strip_symbols(folder: Path) -> None:
    """Strip debugging symbols from the build's ELF files, except those auditwheel grafted.

    The libraries in a wheel's ``*.libs/`` folder were rewritten by patchelf,
    and stripping them leaves them unloadable (NumPy's OpenBLAS: "ELF load
    command address/offset not page-aligned"), which is why the spec does not
    ask PyInstaller to strip.
    """
    exe = shutil.which("strip")
    if exe is None:
        return
    targets = [
        str(p) for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink()
        and not any(part.endswith(".libs") for part in p.relative_to(folder).parts)
        and _is_elf(p)
    ]
    for i in range(0, len(targets), 100):
        subprocess.run([exe, "--strip-debug", *targets[i : i + 100]], check=True)


#: ICU data the app never asks Qt for: display names of languages, regions,
#: currencies, units and time zones, spelled-out numbers, transliteration, the
#: collation rules of each language (the root rules stay, so sorting works),
#: legacy character sets, and every locale but English (Qt brings its own CLDR
#: locale data; ICU serves it only collation, case mapping and time zones).
_ICU_DROPPED_TREES = ("lang", "region", "curr", "unit", "zone", "rbnf", "translit")
_ICU_KEPT_COLLATION = ("coll/root.res", "coll/ucadata.icu", "coll/res_index.res")
_ICU_LOCALE = re.compile(r"^(?!en(_|\.)|res_index\.)[a-z]{2,3}(_\w+)?\.res$")


def icu_items_to_drop(items: list[str]) -> list[str]:
    """Which of the ICU data *items* (``icupkg -l`` names) the build leaves out."""
    dropped = []
    for item in items:
        tree = item.split("/", 1)[0] if "/" in item else ""
        if (
            tree in _ICU_DROPPED_TREES
            or (tree == "coll" and item not in _ICU_KEPT_COLLATION)
            or (not tree and (item.endswith(".cnv") or _ICU_LOCALE.match(item)))
        ):
            dropped.append(item)
    return dropped


def shrink_icu(folder: Path) -> None:
    """Replace Qt's 31 MB ICU data library with one that holds only what the app uses.

    The data is one blob behind the symbol ``icudtNN_dat``: cut it out,
    remove items with ``icupkg`` (Debian's ``icu-devtools``), and link the rest
    into a shared library of the same name with ``ld``.  Without those tools
    the build keeps the full library and says so.
    """
    libs = sorted((folder / "_internal" / "PySide6" / "Qt" / "lib").glob("libicudata.so.*"))
    tools = {name: shutil.which(name) for name in ("icupkg", "ld", "objcopy", "nm")}
    if not libs:
        return
    if not all(tools.values()):
        missing = ", ".join(name for name, path in tools.items() if path is None)
        print(f"build.py: keeping the full ICU data ({missing} not found; "
              "apt-get install icu-devtools binutils)")
        return
    lib = libs[0]
    soname = lib.name
    symbols = subprocess.run([tools["nm"], "-D", "-S", "--defined-only", str(lib)],
                             check=True, capture_output=True, text=True).stdout
    found = re.search(r"^([0-9a-f]+) ([0-9a-f]+) R (icudt(\d+)_dat)$", symbols, re.M)
    if found is None:
        print(f"build.py: keeping the full ICU data (no data symbol in {lib.name})")
        return
    address, size, symbol, version = (int(found[1], 16), int(found[2], 16), found[3], found[4])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        whole, kept = work / "whole" / f"icudt{version}l.dat", work / f"icudt{version}l.dat"
        whole.parent.mkdir()
        whole.write_bytes(lib.read_bytes()[_file_offset(lib, address) :][:size])
        items = subprocess.run([tools["icupkg"], "-l", str(whole)],
                               check=True, capture_output=True, text=True).stdout.split()
        (work / "drop.txt").write_text("\n".join(icu_items_to_drop(items)) + "\n")
        subprocess.run([tools["icupkg"], "-r", str(work / "drop.txt"), str(whole), str(kept)],
                       check=True, capture_output=True)
        blob = f"_binary_icudt{version}l_dat"
        obj = work / "data.o"
        subprocess.run([tools["ld"], "-r", "-b", "binary", "-o", str(obj), kept.name],
                       check=True, cwd=work)
        subprocess.run(
            [tools["objcopy"], "--rename-section", ".data=.rodata,alloc,load,readonly,data,contents",
             "--set-section-alignment", ".rodata=16", "--redefine-sym", f"{blob}_start={symbol}",
             "--strip-symbol", f"{blob}_end", "--strip-symbol", f"{blob}_size", str(obj)],
            check=True,
        )
        subprocess.run([tools["ld"], "-shared", "-soname", soname, "-z", "noexecstack",
                        "-o", str(work / soname), str(obj)], check=True)
        before = lib.stat().st_size
        shutil.copyfile(work / soname, lib)
    print(f"build.py: ICU data {before / 1e6:.0f} MB -> {lib.stat().st_size / 1e6:.0f} MB")


def _file_offset(lib: Path, address: int) -> int:
    """The file offset of virtual *address* in the ELF file *lib* (from its section table)."""
    sections = subprocess.run(["readelf", "-W", "-S", str(lib)],
                              check=True, capture_output=True, text=True).stdout
    for found in re.finditer(r"^\s*\[\s*\d+\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)",
                             sections, re.M):
        start, offset, length = (int(value, 16) for value in found.groups())
        if start <= address < start + length:
            return offset + address - start
    raise SystemExit(f"build.py: cannot find the ICU data in {lib}")


def _is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def archive(folder: Path, *, version: str) -> Path:
    """Pack the built app for handing out; return the archive's path."""
    machine = platform.machine().lower() or "unknown"
    stem = folder.parent / f"{NAME}-{version}-{_system()}-{machine}"
    if sys.platform == "darwin":
        out = stem.with_suffix(".dmg")
        out.unlink(missing_ok=True)
        subprocess.run(
            ["hdiutil", "create", "-volname", NAME, "-srcfolder", str(folder.parent / f"{NAME}.app"),
             "-ov", "-format", "UDZO", str(out)],
            check=True,
        )
        return out
    if sys.platform == "win32":
        return Path(shutil.make_archive(str(stem), "zip", folder.parent, folder.name))
    out = Path(f"{stem}.tar.gz")
    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=folder.name)
    return out


def folder_size(folder: Path) -> int:
    """Bytes in *folder*, counting each file once (symbolic links not followed)."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _system() -> str:
    return {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")


def _version() -> str:
    sys.path.insert(0, str(ROOT))
    from artistshield import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python packaging/build.py", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="a union profile to bake into the build (resources/union-profile/)")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller",
                        help="PyInstaller's work folder (default build/pyinstaller/)")
    parser.add_argument("--no-archive", action="store_true", help="only the folder, no archive")
    parser.add_argument("--archive-only", action="store_true",
                        help="pack an existing build (after signing it), do not build")
    args = parser.parse_args(argv)
    if args.archive_only:
        folder = args.dist.resolve() / NAME
        if not folder.is_dir():
            raise SystemExit(f"build.py: there is no build at {folder} to pack")
    else:
        folder = build(dist=args.dist.resolve(), work=args.work.resolve(), profile=args.profile)
    print(f"{folder}  {folder_size(folder) / 1e6:.0f} MB unpacked")
    if not args.no_archive:
        out = archive(folder, version=_version())
        print(f"{out}  {out.stat().st_size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
