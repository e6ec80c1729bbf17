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
OPENBLAS_SHIM = ROOT / "packaging" / "openblas_shim.c"
#: What ``openblas_shim.c`` forwards: the symbol SciPy calls -> the one in NumPy's OpenBLAS.
OPENBLAS_SHIM_SYMBOLS = {"scipy_dstevr_": "scipy_dstevr_64_"}


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
        share_openblas(folder)
        share_identical_libraries(folder)
        link_cli(folder)
    return folder


def link_cli(folder: Path) -> None:
    """Make ``artistshield-cli`` a relative symbolic link to the app (Linux: one executable)."""
    cli = folder / "artistshield-cli"
    cli.unlink(missing_ok=True)
    cli.symlink_to(NAME)


def strip_symbols(folder: Path) -> None:
    """Strip the symbols nothing links against from the build's ELF files, except those
    auditwheel grafted.

    ``--strip-unneeded`` keeps the dynamic symbols that loading and Python's
    imports use, and drops debugging data and the static symbol tables (9 MB).

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
        subprocess.run([exe, "--strip-unneeded", *targets[i : i + 100]], check=True)


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
    found_tools = {name: shutil.which(name) for name in ("icupkg", "ld", "objcopy", "nm")}
    if not libs:
        return
    tools = {name: path for name, path in found_tools.items() if path is not None}
    if len(tools) < len(found_tools):
        missing = ", ".join(name for name in found_tools if name not in tools)
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


def share_openblas(folder: Path) -> None:
    """Replace SciPy's 25 MB OpenBLAS with a small library forwarding to NumPy's.

    NumPy's and SciPy's wheels each carry an OpenBLAS; they are not
    interchangeable (NumPy's uses 64-bit integers and other symbol names).  Of
    the SciPy modules a build keeps, only ``scipy.special`` links to SciPy's
    copy, for the symbols in :data:`OPENBLAS_SHIM_SYMBOLS`;
    ``openblas_shim.c`` forwards them, widening the integers.  The build checks
    that nothing in it needs any other symbol of SciPy's copy and that NumPy's
    has the forwarded ones; otherwise, or without a C compiler, it keeps the
    copy and says so.
    """
    internal = folder / "_internal"
    scipy_libs = [p for p in sorted((internal / "scipy.libs").glob("libscipy_openblas*.so*"))
                  if "openblas64_" not in p.name and not p.is_symlink()]
    numpy_libs = sorted((internal / "numpy.libs").glob("libscipy_openblas64_*.so*"))
    if len(scipy_libs) != 1 or len(numpy_libs) != 1:
        return
    scipy_blas, numpy_blas = scipy_libs[0], numpy_libs[0]
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or shutil.which("nm") is None:
        print("build.py: keeping SciPy's own OpenBLAS (no C compiler or nm; apt-get install gcc binutils)")
        return
    used = openblas_symbols_used(folder, scipy_blas)
    unserved = sorted(used - OPENBLAS_SHIM_SYMBOLS.keys())
    absent = sorted(set(OPENBLAS_SHIM_SYMBOLS.values()) - _dynamic_symbols(numpy_blas, defined=True))
    if unserved or absent:
        print(f"build.py: keeping SciPy's own OpenBLAS (the build uses {', '.join(unserved)}; "
              f"NumPy's lacks {', '.join(absent)})")
        return
    before = scipy_blas.stat().st_size
    build_openblas_shim(scipy_blas, numpy_blas, cc=cc)
    print(f"build.py: SciPy's OpenBLAS {before / 1e6:.0f} MB -> {scipy_blas.stat().st_size / 1e3:.0f} kB "
          "(forwarding to NumPy's)")


def build_openblas_shim(out: Path, numpy_blas: Path, *, cc: str = "cc") -> None:
    """Compile ``openblas_shim.c`` to *out*, named as *out* is, finding *numpy_blas* beside it.

    The library's name (its soname) is *out*'s file name, so the modules that
    need SciPy's OpenBLAS by that name load it; it finds NumPy's OpenBLAS
    relative to itself, as the wheels lay them out (``../numpy.libs``).
    """
    rpath = "$ORIGIN/" + os.path.relpath(numpy_blas.parent, out.parent)
    with tempfile.TemporaryDirectory() as tmp:
        built = Path(tmp) / out.name
        subprocess.run(
            [cc, "-O2", "-shared", "-fPIC", "-o", str(built), str(OPENBLAS_SHIM),
             f"-Wl,-soname,{out.name}", f"-Wl,-rpath,{rpath}", "-Wl,-z,noexecstack",
             f"-L{numpy_blas.parent}", f"-l:{numpy_blas.name}"],
            check=True,
        )
        out.unlink()
        shutil.copyfile(built, out)
        out.chmod(0o755)


def openblas_symbols_used(folder: Path, lib: Path) -> set[str]:
    """The symbols that ELF files in *folder* take from *lib* (by linking to it)."""
    soname = lib.name
    needing = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink() and path != lib and _is_elf(path):
            dynamic = subprocess.run(["readelf", "-W", "-d", str(path)],
                                     capture_output=True, text=True).stdout
            if f"[{soname}]" in dynamic:
                needing.append(path)
    offered = _dynamic_symbols(lib, defined=True)
    used: set[str] = set()
    for path in needing:
        used |= _dynamic_symbols(path, defined=False) & offered
    return used


def _dynamic_symbols(path: Path, *, defined: bool) -> set[str]:
    """The dynamic symbols *path* defines (or, *defined* false, needs), without versions."""
    flag = "--defined-only" if defined else "--undefined-only"
    listing = subprocess.run(["nm", "-D", flag, str(path)],
                             check=True, capture_output=True, text=True).stdout
    return {line.split()[-1].split("@")[0] for line in listing.splitlines() if line.strip()}


def share_identical_libraries(folder: Path) -> None:
    """Make each library the wheels carry twice (the same file in two ``*.libs``
    folders, such as NumPy's and SciPy's Fortran runtime) one file and a symbolic link."""
    internal = folder / "_internal"
    first: dict[str, Path] = {}
    saved = 0
    for lib in sorted(internal.glob("*.libs/*")):
        if not lib.is_file() or lib.is_symlink():
            continue
        same = first.setdefault(lib.name, lib)
        if same is not lib and same.read_bytes() == lib.read_bytes():
            saved += lib.stat().st_size
            lib.unlink()
            lib.symlink_to(os.path.relpath(same, lib.parent))
    if saved:
        print(f"build.py: {saved / 1e6:.0f} MB of libraries carried twice now linked")


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
