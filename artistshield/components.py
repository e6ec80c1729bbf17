"""The third-party components ArtistShield runs on, and their licences.

Read from the installed packages' own metadata (``License-Expression``, then
``License``, then the licence classifiers), walking ArtistShield's runtime
requirements, so the list shown in Help > About is the one actually
installed or bundled rather than one typed by hand.  Two native parts that
packages carry inside them get their own rows: Qt (inside PySide6) and FFmpeg
(inside PyAV, whose build reports its own licence).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from importlib import metadata
from typing import Any

#: The project's own distribution, whose requirements are walked.
PROJECT = "artistshield"


@dataclass(frozen=True)
class Component:
    """One bundled component: its name, version and licence as its authors state them."""

    name: str
    version: str
    licence: str
    note: str = ""


def components() -> list[Component]:
    """Every component ArtistShield needs at run time (optional extras left out), by name."""
    found: dict[str, Component] = {}
    for dist in runtime_distributions():
        name = dist.metadata["Name"]
        found[_key(name)] = Component(name, dist.version, licence_of(dist))
    pyside = found.get("pyside6-essentials")
    if pyside is not None:
        found["qt"] = Component("Qt", pyside.version, pyside.licence, "the Qt libraries PySide6 carries")
    ffmpeg = _ffmpeg()
    if ffmpeg is not None:
        found["ffmpeg"] = ffmpeg
    c2pa = found.get("c2pa-python")
    if c2pa is not None:
        found["c2pa-python"] = Component(
            c2pa.name, c2pa.version, c2pa.licence, "with the c2pa-rs native library it carries"
        )
    if getattr(sys, "frozen", False):
        found["python"] = Component("Python", sys.version.split()[0], "PSF-2.0", "the interpreter")
    return sorted(found.values(), key=lambda c: c.name.lower())


def licence_of(dist: metadata.Distribution) -> str:
    """The licence *dist* declares: its SPDX expression, a short ``License``, or its classifiers."""
    meta: Any = dist.metadata  # an email.message.Message: .get() is None when absent
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return expression
    text = (meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) <= 80:
        return text
    classifiers = [
        c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")
    ]
    if classifiers:
        return " / ".join(classifiers)
    return "see the package's licence file"


def runtime_distributions() -> list[metadata.Distribution]:
    """ArtistShield's installed requirements and theirs, without extras, each once.

    The standalone build bundles exactly these, with their metadata.
    """
    seen: set[str] = {_key(PROJECT)}
    todo = _requirements(PROJECT)
    found: list[metadata.Distribution] = []
    while todo:
        name = todo.pop()
        if _key(name) in seen:
            continue
        seen.add(_key(name))
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement for another platform or Python version
        found.append(dist)
        todo.extend(_requirements(name))
    return found


def _requirements(name: str) -> list[str]:
    try:
        requires = metadata.requires(name) or []
    except metadata.PackageNotFoundError:
        return []
    names = []
    for line in requires:
        requirement, _, marker = line.partition(";")
        if marker.strip() and not _applies(marker):
            continue
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        if match:
            names.append(match.group(1))
    return names


def _applies(marker: str) -> bool:
    """Whether a requirement's environment marker holds here, with no extra selected."""
    try:
        from packaging.markers import Marker
    except ImportError:  # without packaging, skip only the extras
        return "extra" not in marker
    return Marker(marker).evaluate({"extra": ""})


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _ffmpeg() -> Component | None:
    try:
        from av import _core  # type: ignore[attr-defined]
    except ImportError:
        return None
    meta: Any = _core.library_meta.get("libavcodec", {})
    return Component(
        "FFmpeg",
        str(getattr(_core, "ffmpeg_version_info", "")) or ".".join(map(str, meta.get("version", ()))),
        str(meta.get("license", "see PyAV's licence files")),
        "the libraries PyAV carries, as their build reports",
    )
