"""Naming the libraries Qt's xcb plugin lacks, from ``ldd`` output (no Qt needed)."""

import subprocess
from pathlib import Path

import pytest

from artistshield.gui import qt_libs

# ``ldd libqxcb.so`` on a fresh Debian 12 where Qt's own abort message blamed
# libxcb-cursor0 (installed) and the real culprits were icccm and keysyms.
LDD_DEBIAN_12 = """\
\tlinux-vdso.so.1 (0x00007f105b0cc000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f105affe000)
\tlibxkbcommon-x11.so.0 => /lib/x86_64-linux-gnu/libxkbcommon-x11.so.0 (0x00007f105af1b000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f105af14000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007f105af0c000)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-randr.so.0 => /lib/x86_64-linux-gnu/libxcb-randr.so.0 (0x00007f105a3e7000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f105b0ce000)
"""


def test_parse_ldd_names_each_missing_library_once() -> None:
    assert qt_libs.parse_ldd(LDD_DEBIAN_12) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]


def test_parse_ldd_finds_nothing_when_all_resolve() -> None:
    resolved = "\n".join(ln for ln in LDD_DEBIAN_12.splitlines() if "not found" not in ln)
    assert qt_libs.parse_ldd(resolved) == []


def test_each_library_maps_to_its_debian_package() -> None:
    libraries = [
        "libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-image.so.0",
        "libxcb-render-util.so.0", "libxcb-xinerama.so.0", "libxcb-xkb.so.1",
        "libxkbcommon-x11.so.0", "libEGL.so.1", "libdbus-1.so.3",
    ]
    assert qt_libs.packages_for(libraries) == list(qt_libs.APT_PACKAGES)


def test_hint_names_the_libraries_and_the_apt_command() -> None:
    hint = qt_libs.install_hint(["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libfoo.so.3"])
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1, libfoo.so.3" in hint
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1\n" in hint
    assert "provides libfoo.so.3" in hint
    assert "cursor" not in hint


@pytest.mark.parametrize(
    ("argv", "environ", "platform", "expected"),
    [
        ([], {}, "linux", True),
        ([], {"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ([], {"QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ([], {"QT_QPA_PLATFORM": "wayland;xcb"}, "linux", False),
        ([], {"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ([], {"XDG_SESSION_TYPE": "wayland", "QT_QPA_PLATFORM": "xcb"}, "linux", True),
        (["app", "-platform", "offscreen"], {}, "linux", False),
        (["app", "-platform", "xcb"], {"QT_QPA_PLATFORM": "offscreen"}, "linux", True),
        ([], {}, "darwin", False),
        ([], {}, "win32", False),
    ],
)
def test_uses_xcb(argv: list[str], environ: dict[str, str], platform: str, expected: bool) -> None:
    assert qt_libs.uses_xcb(argv, environ, platform) is expected


def test_missing_libraries_asks_ldd_only_when_the_plugin_fails_to_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"not really a library")
    calls: list[list[str]] = []

    def fake_run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        return subprocess.CompletedProcess(args, 0, LDD_DEBIAN_12, "")

    monkeypatch.setattr(qt_libs.subprocess, "run", fake_run)
    monkeypatch.setattr(qt_libs.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(qt_libs, "_loads", lambda name: name != "libxcb-cursor.so.0")
    missing = qt_libs.missing_libraries(plugin)  # not an ELF file: loading it fails
    assert calls == [["/usr/bin/ldd", str(plugin)]]
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0"]


def test_missing_libraries_without_ldd_names_the_first_from_the_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = tmp_path / "libqxcb.so"
    plugin.touch()

    def refuse(path: str, mode: int = 0) -> None:
        raise OSError("libxcb-keysyms.so.1: cannot open shared object file: No such file")

    monkeypatch.setattr(qt_libs.ctypes, "CDLL", refuse)
    monkeypatch.setattr(qt_libs.shutil, "which", lambda name: None)
    monkeypatch.setattr(qt_libs, "_loads", lambda name: True)
    assert qt_libs.missing_libraries(plugin) == ["libxcb-keysyms.so.1"]


def test_no_plugin_means_nothing_to_report(tmp_path: Path) -> None:
    assert qt_libs.missing_libraries(tmp_path / "absent.so") == []


def test_the_plugin_is_looked_for_where_qt_looks(tmp_path: Path) -> None:
    first, second = tmp_path / "env", tmp_path / "qt"
    (second / "platforms").mkdir(parents=True)
    (second / "platforms" / "libqxcb.so").touch()
    assert qt_libs.xcb_plugin([first, second]) == second / "platforms" / "libqxcb.so"
    assert qt_libs.xcb_plugin([first]) is None


def test_a_qt_import_that_lacks_a_system_library_names_it_and_its_package(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # What `import PySide6.QtWidgets` raised on a minimal Ubuntu 24.04 without libdbus
    import builtins

    real_import = builtins.__import__

    def without_dbus(name: str, *args: object, **kwargs: object) -> object:
        if name == "artistshield.gui.app":
            raise ImportError("libdbus-1.so.3: cannot open shared object file: No such file or directory")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(qt_libs.shutil, "which", lambda tool: None)  # no desktop dialog tool
    monkeypatch.setattr(builtins, "__import__", without_dbus)
    from artistshield.cli import start_app

    assert start_app() == 1
    err = capsys.readouterr().err
    assert "libdbus-1.so.3" in err
    assert "sudo apt install libdbus-1-3" in err


def test_an_import_error_without_a_library_is_not_read_as_one() -> None:
    assert qt_libs.unopened_library(ImportError("No module named 'PySide6'")) is None
    error = ImportError("libEGL.so.1: cannot open shared object file: No such file or directory")
    assert qt_libs.unopened_library(error) == "libEGL.so.1"
