"""Run a built ArtistShield as a user's machine would: no Python on its path.

Shared by the slow test (``tests/e2e/test_frozen_app.py``) and the benchmark
(``benchmarks/frozen_app.py``): where the build's executables are, an
environment with no interpreter to fall back on, and "has the window
opened?" asked of the X server (``xwininfo``) rather than of the app.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The build under test: ``dist/ArtistShield``, or ``$ARTISTSHIELD_BUILD`` (the
#: folder holding the executables, e.g. a macOS app's ``Contents/MacOS``), which
#: is then taken as it is, never rebuilt.
GIVEN = os.environ.get("ARTISTSHIELD_BUILD", "")
BUILD = Path(GIVEN).resolve() if GIVEN else ROOT / "dist" / "ArtistShield"
_EXE = ".exe" if sys.platform == "win32" else ""


def app_exe(folder: Path = BUILD) -> Path:
    """The app (windowed on Windows and macOS)."""
    return folder / f"ArtistShield{_EXE}"


def cli_exe(folder: Path = BUILD) -> Path:
    """The command line (a console program everywhere)."""
    return folder / f"artistshield-cli{_EXE}"


def stale(folder: Path = BUILD) -> bool:
    """Whether *folder* is missing or older than any source file that goes into it."""
    exe = cli_exe(folder)
    if not exe.is_file():
        return True
    if GIVEN:
        return False
    built = exe.stat().st_mtime
    sources = [*(ROOT / "artistshield").rglob("*.py"), *(ROOT / "packaging").glob("*.*")]
    return any(p.stat().st_mtime > built for p in sources)


def clean_env(home: Path, empty_bin: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without Python's variables, PATH an empty folder, data in *home*."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "PYENV", "VIRTUAL_ENV", "CONDA", "ARTISTSHIELD_"))
    }
    empty_bin.mkdir(parents=True, exist_ok=True)
    path = [str(empty_bin)]
    if sys.platform == "win32":  # Windows needs its own folder to start any program
        path.append(os.path.join(os.environ.get("SYSTEMROOT", r"C:\Windows"), "System32"))
    env.update(PATH=os.pathsep.join(path), ARTISTSHIELD_HOME=str(home), **extra)
    return env


def run(exe: Path, *args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env=env, timeout=timeout, check=False,
    )


class Xvfb:
    """A private X server on a free display number, for as long as the ``with`` lasts."""

    def __init__(self) -> None:
        self.display = ""
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Xvfb:
        exe = shutil.which("Xvfb")
        if exe is None:
            raise FileNotFoundError("Xvfb is not installed (apt-get install xvfb)")
        read, write = os.pipe()
        # -displayfd: the server picks a free display and writes its number when ready
        self._process = subprocess.Popen(
            [exe, "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            self._process.kill()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)


def viewable_windows(display: str) -> list[str]:
    """Titles of the app's top-level windows that are mapped on *display*."""
    env = dict(os.environ, DISPLAY=display)
    tree = subprocess.run(["xwininfo", "-root", "-children"], capture_output=True, text=True,
                          env=env, check=False).stdout
    titles = []
    for line in tree.splitlines():
        match = re.match(r'\s*(0x[0-9a-f]+) "([^"]*)": \("[^"]*" "ArtistShield"\)', line)
        if not match:
            continue
        info = subprocess.run(["xwininfo", "-id", match.group(1)], capture_output=True, text=True,
                              env=env, check=False).stdout
        if "Map State: IsViewable" in info:
            titles.append(match.group(2))
    return titles


def time_to_window(exe: Path, env: dict[str, str], display: str, *, timeout: float = 60) -> tuple[float, list[str]]:
    """Start *exe* on *display*; seconds until its window is viewable, and the windows' titles.

    The app is closed afterwards.  Raises ``TimeoutError`` (with its output) if no window opens.
    """
    env = dict(env, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    start = time.perf_counter()
    process = subprocess.Popen([str(exe)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while time.perf_counter() - start < timeout:
            titles = viewable_windows(display)
            if titles:
                return time.perf_counter() - start, titles
            if process.poll() is not None:
                break
            time.sleep(0.02)
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=30)
    raise TimeoutError(f"no window opened (exit {process.returncode}): {err.decode(errors='replace')[-2000:]}")
