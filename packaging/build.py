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
import shutil
import subprocess
import sys
import tarfile
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
    return folder


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
