"""What importing the engine costs: numpy's test and Fortran tools wait until used."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_scipy_through_the_engine_does_not_run_numpys_extras() -> None:
    out = _run(
        "import sys, artistshield.watermark, artistshield.fingerprint, scipy.fft, scipy.ndimage\n"
        "ran = [m for m in sys.modules if m.startswith(('numpy.f2py.', 'numpy.testing.'))]\n"
        "print(sorted(ran), 'unittest' in sys.modules, 'charset_normalizer' in sys.modules)\n"
    )
    assert out == "[] False False"


def test_a_deferred_extra_still_works_when_used() -> None:
    out = _run(
        "import artistshield.watermark, numpy as np\n"
        "import numpy.testing as npt\n"
        "from numpy.testing import assert_array_equal\n"
        "assert_array_equal(np.arange(3), [0, 1, 2])\n"
        "npt.assert_allclose(1.0, 1.0)\n"
        "import numpy.f2py\n"
        "print(callable(numpy.f2py.run_main), np.testing is npt)\n"
    )
    assert out == "True True"


def test_installing_the_finder_twice_keeps_one() -> None:
    out = _run(
        "import sys, artistshield\n"
        "from artistshield import startup\n"
        "startup.defer_numpy_extras()\n"
        "print(sum(isinstance(f, startup._LazyExtras) for f in sys.meta_path))\n"
    )
    assert out == "1"


def test_a_named_command_loads_only_its_own_module() -> None:
    out = _run(
        "import sys\n"
        "from artistshield.cli import build_parser\n"
        "parser = build_parser('check')\n"
        "args = parser.parse_args(['-v', 'check', 'x.png'])\n"
        "loaded = [m for m in ('artistshield.cli.mark', 'artistshield.cli.union', 'artistshield.mark')"
        " if m in sys.modules]\n"
        "print(args.command, args.verbose, loaded)\n"
    )
    assert out == "check True []"


def test_an_unknown_command_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    from artistshield.cli import COMMAND_MODULES, main

    with pytest.raises(SystemExit) as exited:
        main(["chek", "a.png"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert all(name in err for name in COMMAND_MODULES), err


def test_checking_a_frame_folder_never_loads_pyav(tmp_path: Path) -> None:
    folder = tmp_path / "walk"
    folder.mkdir()
    rng = np.random.default_rng(7)
    for i in range(4):
        Image.fromarray(rng.integers(0, 255, (160, 240, 3), dtype=np.uint8)).save(
            folder / f"walk_{i + 1:04d}.png")
    out = _run(
        "import sys\n"
        "from artistshield.check import check_file\n"
        f"result = check_file({str(folder)!r}, keys={{'k': bytes(32)}}, provenance=False)\n"
        "print(result.error, result.marks[0].frames_checked, 'av' in sys.modules)\n"
    )
    assert out == "None 4 False"
