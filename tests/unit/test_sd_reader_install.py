"""The command that adds the Stable Diffusion reader, and how its outcome is worded (no network)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from artistshield.provenance.sd import __main__ as reader_main
from artistshield.provenance.sd import dwtdct
from artistshield.provenance.sd import install as reader


def test_the_command_installs_the_reader_alone_into_this_python() -> None:
    command = reader.install_command(frozen=False, has=lambda module: None)
    assert command is not None
    assert command[:6] == [sys.executable, "-P", "-m", "pip", "install", "--no-deps"]
    wanted = command[command.index("off") + 1:]
    assert wanted[0].startswith("invisible-watermark")
    assert wanted[1:] == ["opencv-python-headless", "PyWavelets"]
    assert not any("torch" in part for part in command)  # no PyTorch: the reader never uses it


def test_what_is_there_already_is_not_installed_again() -> None:
    command = reader.install_command(frozen=False, has=lambda module: object())
    assert command is not None and command[-1].startswith("invisible-watermark")
    only_wavelets = reader.install_command(frozen=False, has=lambda m: None if m == "pywt" else object())
    assert only_wavelets is not None and only_wavelets[-1] == "PyWavelets"
    assert "opencv-python-headless" not in only_wavelets  # an OpenCV of the user's stays


def test_the_requirement_is_the_sd_extras() -> None:
    assert reader.reader_requirement().replace(" ", "") == "invisible-watermark>=0.2"


def test_a_standalone_build_has_no_command() -> None:
    assert reader.installer(frozen=True) is None
    assert reader.install_command(frozen=True) is None
    assert "standalone build" in reader.FROZEN and "pip install artistshield" in reader.FROZEN


def test_pythonw_gives_way_to_the_python_beside_it(tmp_path: Path) -> None:
    (tmp_path / "python.exe").write_bytes(b"")
    (tmp_path / "pythonw.exe").write_bytes(b"")
    pip = reader.installer(frozen=False, executable=str(tmp_path / "pythonw.exe"))
    assert pip == [str(tmp_path / "python.exe"), "-P", "-m", "pip"]
    alone = tmp_path / "lone"
    alone.mkdir()
    (alone / "pythonw.exe").write_bytes(b"")  # no python.exe beside it: keep what runs
    assert reader.installer(frozen=False, executable=str(alone / "pythonw.exe"))[0] == str(  # type: ignore[index]
        alone / "pythonw.exe")


def test_the_check_asks_the_checkers_own_child_process() -> None:
    command = reader.verify_command()
    assert "-I" in command and command[-2:] == ["artistshield.provenance.sd", "--available"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    loads, why = reader.reader_says(done.returncode, done.stdout)
    assert loads == dwtdct.available()
    assert loads or why


def test_the_child_says_why_the_reader_does_not_load(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    def missing() -> None:
        raise ModuleNotFoundError("No module named 'cv2'", name="cv2")

    monkeypatch.setattr(dwtdct, "_load_max_dct", missing)
    assert reader_main.main(["--available"]) == 1
    assert json.loads(capsys.readouterr().out) == {"available": False, "error": "No module named 'cv2'"}


@pytest.mark.parametrize(
    ("exit_code", "output", "says"),
    [
        (1, "error: externally-managed-environment\n", "managed by your system"),
        (1, "Retrying ... Failed to establish a new connection: [Errno -3]\n", "internet connection"),
        (1, "ERROR: Could not install packages due to an OSError: [Errno 13] Permission denied\n",
         "may not write"),
        (1, "ERROR: No matching distribution found for opencv-python-headless\n", "no release"),
        (1, "/usr/bin/python3: No module named pip\n", "has no pip"),
        (1, "something else\n", "pip's output above"),
        (None, "Collecting invisible-watermark\n", "stopped early"),
    ],
)
def test_a_failed_pip_is_said_in_words(exit_code: int | None, output: str, says: str) -> None:
    result = reader.outcome(exit_code, output)
    assert not result.ok
    assert result.message.startswith("The reader was not installed.") and says in result.message


def test_success_is_said_only_once_the_checker_loads_it() -> None:
    done = reader.outcome(0, "Successfully installed invisible-watermark-0.2.0\n", (True, ""))
    assert done.ok and "no restart needed" in done.message
    unchecked = reader.outcome(0, "Successfully installed invisible-watermark-0.2.0\n")
    assert not unchecked.ok
    still = reader.outcome(0, "Successfully installed x\n", (False, "No module named 'cv2'"))
    assert not still.ok and "still cannot load the reader (No module named 'cv2')" in still.message
    user = reader.outcome(0, "Defaulting to user installation because normal site-packages is not "
                             "writeable\nSuccessfully installed x\n", (False, "not installed"))
    assert "user folder" in user.message and "virtual environment" in user.message


def test_the_childs_answer_is_read_back() -> None:
    assert reader.reader_says(0, '{"available": true}\n') == (True, "")
    assert reader.reader_says(1, '{"available": false, "error": "no cv2"}') == (False, "no cv2")
    assert reader.reader_says(1, "Traceback ...\nImportError: boom") == (False, "ImportError: boom")
    assert reader.reader_says(None, "") == (False, "the checker's process ended with status None")
