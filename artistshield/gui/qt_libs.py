"""Before Qt starts on Linux/X11: name the system libraries its xcb plugin lacks.

When a shared library that Qt's ``xcb`` platform plugin links against is
missing, Qt aborts with "Could not load the Qt platform plugin" and a hint
about ``libxcb-cursor0`` even when that one is installed and the missing ones
are others (``libxcb-icccm4``, ``libxcb-keysyms1``...).  :func:`missing_libraries`
loads the plugin as Qt would and, if that fails, asks ``ldd`` about it (which
also covers ``libQt6XcbQpa``, loaded by it), and :func:`install_hint` turns the
answer into one sentence with the ``apt`` command that installs them.

No Qt import here: the check runs before ``QApplication`` exists, and the
parsing is unit-tested on recorded ``ldd`` output.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

#: The Debian/Ubuntu package that provides each library Qt's xcb plugin needs
#: and a desktop install may lack.
PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libxcb-glx.so.0": "libxcb-glx0",
}

#: Every package the app needs on a Debian 12 / Ubuntu 24.04 desktop, for the README.
APT_PACKAGES = (
    "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-image0",
    "libxcb-render-util0", "libxcb-xinerama0", "libxcb-xkb1", "libxkbcommon-x11-0", "libegl1",
    "libdbus-1-3",
)

#: Loaded by Qt at run time (dlopen), so ``ldd`` on the plugin may not list it.
RUNTIME_LIBRARIES = ("libxcb-cursor.so.0",)

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")


_CANNOT_OPEN = re.compile(r"(\S+\.so(?:\.\d+)*): cannot open shared object file")


def unopened_library(error: ImportError) -> str | None:
    """The system library an ``ImportError`` of Qt says it could not open, if that is its cause.

    ``import PySide6.QtWidgets`` fails this way when a library Qt itself links
    against (``libdbus-1.so.3``, ``libEGL.so.1``...) is missing, before any
    platform plugin is looked at.
    """
    match = _CANNOT_OPEN.search(str(error))
    return match.group(1) if match else None


def parse_ldd(output: str) -> list[str]:
    """The libraries ``ldd`` reports as ``not found``, each once, in order."""
    missing: list[str] = []
    for line in output.splitlines():
        match = _NOT_FOUND.match(line)
        if match and match.group(1) not in missing:
            missing.append(match.group(1))
    return missing


def packages_for(libraries: Sequence[str]) -> list[str]:
    """The Debian packages providing *libraries*, each once; unknown ones are left out."""
    packages: list[str] = []
    for name in libraries:
        package = PACKAGES.get(name)
        if package and package not in packages:
            packages.append(package)
    return packages


def install_hint(missing: Sequence[str]) -> str:
    """One message naming *missing* and the command that installs them."""
    names = ", ".join(missing)
    packages = packages_for(missing)
    lines = [f"ArtistShield cannot open its window: Qt needs system libraries that are missing: {names}."]
    if packages:
        lines.append("On Debian or Ubuntu, install them with:")
        lines.append(f"    sudo apt install {' '.join(packages)}")
    unknown = [name for name in missing if name not in PACKAGES]
    if unknown:
        lines.append(f"(Install the package that provides {', '.join(unknown)} on your system.)")
    return "\n".join(lines)


def uses_xcb(argv: Sequence[str], environ: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether Qt will try its X11 (``xcb``) plugin first for this command line and environment."""
    if not platform.startswith("linux"):
        return False
    requested = environ.get("QT_QPA_PLATFORM", "")
    for i, arg in enumerate(argv[:-1]):
        if arg in ("-platform", "--platform"):
            requested = argv[i + 1]
    if requested:
        return requested.split(";")[0].split(":")[0].strip() == "xcb"
    # Qt prefers its Wayland plugin in a Wayland session, and X11 everywhere else.
    wayland = environ.get("XDG_SESSION_TYPE") == "wayland" or bool(environ.get("WAYLAND_DISPLAY"))
    return not wayland


def xcb_plugin(plugin_dirs: Sequence[Path]) -> Path | None:
    """The ``xcb`` plugin Qt would load: the first of *plugin_dirs* that has one.

    Pass ``$QT_PLUGIN_PATH``'s folders before Qt's own plugin folder, as Qt
    searches them (a standalone build sets that variable).
    """
    for folder in plugin_dirs:
        candidate = folder / "platforms" / "libqxcb.so"
        if candidate.is_file():
            return candidate
    return None


def missing_libraries(plugin: Path) -> list[str]:
    """The shared libraries *plugin* (and what it loads) cannot find, as ``ldd`` says.

    Loading the plugin with ``ctypes`` first costs about a millisecond (Qt
    loads it moments later anyway) and only its failure runs ``ldd``, which
    names every missing library rather than the first.
    """
    if not plugin.is_file():
        return []
    missing: list[str] = []
    try:
        ctypes.CDLL(str(plugin), mode=os.RTLD_LAZY)
    except OSError as exc:
        ldd = shutil.which("ldd")
        if ldd:
            done = subprocess.run(
                [ldd, str(plugin)], capture_output=True, text=True, timeout=10, check=False,
            )
            missing = parse_ldd(done.stdout)
        if not missing:
            missing = re.findall(r"(lib[\w.+-]+\.so[\w.]*)", str(exc))[:1]
    for name in RUNTIME_LIBRARIES:
        if name not in missing and not _loads(name):
            missing.append(name)
    return missing


def _loads(name: str) -> bool:
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def show(message: str) -> None:
    """Print *message*, and show it in a desktop dialog if a dialog tool is installed.

    The app may have been started from a menu, where nobody reads stderr; Qt
    cannot draw the dialog itself because it is Qt that cannot start.
    """
    print(message, file=sys.stderr)
    for tool, args in (
        ("zenity", ["--error", "--no-markup", "--title", "ArtistShield", "--text", message]),
        ("kdialog", ["--title", "ArtistShield", "--error", message]),
        ("xmessage", ["-center", message]),
    ):
        exe = shutil.which(tool)
        if exe:
            subprocess.run([exe, *args], check=False, capture_output=True)
            return
