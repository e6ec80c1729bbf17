"""Adding the Stable Diffusion mark reader to the Python that runs ArtistShield.

The reader (:mod:`.dwtdct`) needs invisible-watermark's ``maxDct`` module,
OpenCV and PyWavelets, and nothing more.  invisible-watermark also requires
PyTorch, for its RivaGAN method that is never used here, and pip fetches it
with it: on Linux a CUDA build, several gigabytes.  So the reader is
installed with ``--no-deps``: invisible-watermark, OpenCV's headless build
(without a Qt of its own beside the app's) unless an OpenCV is there
already, and PyWavelets unless it is there; numpy, which they need, comes
with ArtistShield.  About 70 MB in all.

A standalone build carries its own Python, built without the reader, and
pip cannot add to it: :func:`installer` is then ``None``.

:func:`install_command` is the pip command for this Python;
:func:`verify_command` then asks the checker's own child process whether it
loads the reader, the test that matters (children run isolated, ``python
-I``, and do not see packages pip put in the user's folder);
:func:`outcome` words what happened.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from artistshield.child import python_module

#: invisible-watermark as the ``sd`` extra asks for it, when the package's metadata cannot say.
FALLBACK = "invisible-watermark>=0.2"
#: What else the reader imports, by module, and the distribution installed when it is missing.
NEEDS = (("cv2", "opencv-python-headless"), ("pywt", "PyWavelets"))
#: Said instead of a command in a standalone build.
FROZEN = (
    "This standalone build carries its own Python, built without the reader, and no "
    "package can be added to it. To read Stable Diffusion's marks, install ArtistShield "
    "with pip (pip install artistshield): its app then offers to add the reader."
)


def reader_requirement() -> str:
    """invisible-watermark's requirement in the ``sd`` extra of the installed package."""
    from importlib import metadata

    try:
        listed = metadata.requires("artistshield") or []
    except metadata.PackageNotFoundError:
        return FALLBACK
    for requirement in listed:
        spec, _, marker = requirement.partition(";")
        if spec.strip().lower().startswith("invisible-watermark") and "sd" in marker.replace(
            "'", '"'
        ).split('"'):
            return spec.strip()
    return FALLBACK


def installer(*, frozen: bool | None = None, executable: str | None = None) -> list[str] | None:
    """How to run pip for the Python that runs the app; ``None`` in a standalone build.

    The current folder is kept off the module path (``-P``).  On Windows the
    app may run under ``pythonw.exe``, which has no console for pip's output:
    the ``python.exe`` beside it is used.
    """
    if frozen if frozen is not None else bool(getattr(sys, "frozen", False)):
        return None
    python = Path(executable or sys.executable)
    if python.name.lower() == "pythonw.exe" and (python.parent / "python.exe").is_file():
        python = python.parent / "python.exe"
    return [str(python), "-P", "-m", "pip"]


def missing(has: Callable[[str], object] = importlib.util.find_spec) -> list[str]:
    """The distributions to install for the reader (invisible-watermark always, the others if missing)."""
    return [reader_requirement(), *(dist for module, dist in NEEDS if has(module) is None)]


def install_command(
    *, frozen: bool | None = None, executable: str | None = None,
    has: Callable[[str], object] = importlib.util.find_spec,
) -> list[str] | None:
    """The pip command that installs the reader into this Python (``None``: it cannot).

    *frozen* and *executable* are :func:`installer`'s, *has* :func:`missing`'s.
    """
    pip = installer(frozen=frozen, executable=executable)
    if pip is None:
        return None
    return [*pip, "install", "--no-deps", "--progress-bar", "off", *missing(has)]


def verify_command() -> list[str]:
    """The command that asks the checker's child process whether it loads the reader."""
    return python_module("artistshield.provenance.sd", "--available")


def shown(command: list[str]) -> str:
    """*command* as one line to paste into a terminal."""
    return " ".join(f'"{part}"' if any(c in part for c in " <>=|&") else part for part in command)


@dataclass(frozen=True)
class Outcome:
    """How an install went, in words."""

    ok: bool
    message: str


#: Signs in pip's output of why it failed, and the sentence that says so.
_PIP_FAILURES = (
    ("externally-managed-environment",
     "This Python is managed by your system, which does not let pip add packages to it. "
     "Install ArtistShield in a virtual environment (python -m venv) and add the reader there."),
    ("No module named pip",
     "This Python has no pip. Install pip for it (python -m ensurepip), then try again."),
    ("No space left on device", "The disk is full: free some space, then try again."),
    ("Permission denied",
     "pip may not write to this Python's folders. Install ArtistShield in a virtual "
     "environment (python -m venv) and add the reader there."),
    ("No matching distribution",
     "pip found no release of the reader for this computer and Python version."),
    ("Could not find a version",
     "pip found no release of the reader for this computer and Python version."),
)
_OFFLINE = (
    "Failed to establish a new connection", "Temporary failure in name resolution",
    "Name or service not known", "Network is unreachable", "ConnectTimeoutError",
    "Max retries exceeded",
)


def outcome(pip_exit: int | None, pip_output: str, reader: tuple[bool, str] | None = None) -> Outcome:
    """Word an install: pip's exit status (``None``: it did not run to the end) and output,
    then whether the checker loads the reader (``(loads, why not)``; ``None``: not asked)."""
    if pip_exit != 0:
        why = next((say for sign, say in _PIP_FAILURES if sign in pip_output), None)
        if why is None and any(sign in pip_output for sign in _OFFLINE):
            why = "pip could not reach the package index: check the internet connection, then try again."
        if why is None:
            why = (
                "pip stopped early." if pip_exit is None else
                "See pip's output above; you can also run the command yourself in a terminal."
            )
        return Outcome(False, f"The reader was not installed. {why}")
    if reader is None or not reader[0]:
        reason = "" if reader is None or not reader[1] else f" ({reader[1]})"
        where = (
            " pip put it in your user folder, which ArtistShield's checker does not read: install "
            "ArtistShield in a virtual environment (python -m venv) and add the reader there."
            if "Defaulting to user installation" in pip_output else ""
        )
        return Outcome(False, f"pip finished, but the checker still cannot load the reader{reason}.{where}")
    return Outcome(
        True,
        "Installed, and the checker loads it: Stable Diffusion's marks are read from the next "
        "check on, no restart needed.",
    )


def reader_says(exit_code: int | None, output: str) -> tuple[bool, str]:
    """Read what :func:`verify_command` printed: whether the reader loads, and why not."""
    import json

    line = output.strip().splitlines()[-1] if output.strip() else ""
    try:
        said = json.loads(line)
    except ValueError:
        return False, line or f"the checker's process ended with status {exit_code}"
    if not isinstance(said, dict):
        return False, line
    return exit_code == 0 and said.get("available") is True, str(said.get("error") or "")
