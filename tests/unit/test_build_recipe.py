"""The standalone build's recipe: which of Qt's ICU data it leaves out and that
what it keeps still serves Qt; that SciPy's OpenBLAS gives way to NumPy's only
when nothing else needs it, and computes the same (``packaging/build.py``)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "artistshield_build", Path(__file__).resolve().parents[2] / "packaging" / "build.py"
)
assert _SPEC is not None and _SPEC.loader is not None
build = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(build)


def test_icu_items_kept_are_what_qt_uses() -> None:
    items = [
        "lang/de.res", "zone/fr.res", "curr/ja.res", "unit/en.res", "translit/root.res",
        "rbnf/en.res", "region/it.res", "coll/de.res", "coll/sv.res", "de.res", "sv_SE.res",
        "ibm-943_P15A-2003.cnv",
        # kept: the root collation, English, break rules, time zones and supplemental data
        "coll/root.res", "coll/ucadata.icu", "coll/res_index.res", "root.res", "en.res",
        "en_GB.res", "res_index.res", "pool.res", "brkitr/root.res", "brkitr/cjdict.dict",
        "zoneinfo64.res", "supplementalData.res", "likelySubtags.res", "cnvalias.icu",
        "uts46.nrm", "metaZones.res", "icuver.res", "plurals.res",
    ]
    dropped = build.icu_items_to_drop(items)
    assert dropped == items[:12]


def _qt_icu_data() -> Path:
    if not sys.platform.startswith("linux"):
        pytest.skip("the ICU data is trimmed in Linux builds only")
    import PySide6

    libs = sorted((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    missing = [t for t in ("icupkg", "ld", "objcopy", "nm", "readelf") if shutil.which(t) is None]
    if not libs or missing:
        pytest.skip(f"needs Qt's own ICU and {', '.join(missing) or 'its library'} "
                    "(apt-get install icu-devtools binutils)")
    return libs[0]


_SORT = """
import functools, sys
from PySide6.QtCore import QCollator, QCoreApplication, QLocale
app = QCoreApplication(sys.argv)
collator = QCollator(QLocale(sys.argv[1]))
words = ["b", "B", "a", "A"]
print(" ".join(sorted(words, key=functools.cmp_to_key(collator.compare))))
"""


def _sort(locale: str, preload: Path | None = None) -> str:
    env = dict(os.environ)
    if preload is not None:
        env["LD_PRELOAD"] = str(preload)
    done = subprocess.run([sys.executable, "-c", _SORT, locale], env=env,
                          capture_output=True, text=True, check=True, timeout=120)
    return done.stdout.strip()


@pytest.mark.slow
def test_trimmed_icu_data_still_serves_qt(tmp_path: Path) -> None:
    original = _qt_icu_data()
    lib_dir = tmp_path / "ArtistShield" / "_internal" / "PySide6" / "Qt" / "lib"
    lib_dir.mkdir(parents=True)
    trimmed = lib_dir / original.name
    shutil.copyfile(original, trimmed)

    build.shrink_icu(tmp_path / "ArtistShield")

    assert trimmed.stat().st_size < original.stat().st_size / 3
    symbols = subprocess.run(["nm", "-D", "--defined-only", str(trimmed)],
                             capture_output=True, text=True, check=True).stdout
    assert f"icudt{original.name.rsplit('.', 1)[-1]}_dat" in symbols
    # ICU's root collation (lower case before upper, letters in order) is not
    # Qt's fallback when ICU cannot open its data (code-point order: "A B a b").
    assert _sort("en_US") == "a A b B"
    assert _sort("en_US", preload=trimmed) == "a A b B"
    assert _sort("de_DE", preload=trimmed) == "a A b B"


def test_libraries_carried_twice_become_one_file_and_a_link(tmp_path: Path) -> None:
    internal = tmp_path / "ArtistShield" / "_internal"
    for folder, content in (("numpy.libs", b"fortran"), ("scipy.libs", b"fortran"),
                            ("pillow.libs", b"another build")):
        (internal / folder).mkdir(parents=True)
        (internal / folder / "libgfortran-1.so.5").write_bytes(content)

    build.share_identical_libraries(tmp_path / "ArtistShield")

    assert not (internal / "numpy.libs" / "libgfortran-1.so.5").is_symlink()
    linked = internal / "scipy.libs" / "libgfortran-1.so.5"
    assert os.readlink(linked) == "../numpy.libs/libgfortran-1.so.5"
    assert linked.read_bytes() == b"fortran"
    assert not (internal / "pillow.libs" / "libgfortran-1.so.5").is_symlink()
    assert (internal / "pillow.libs" / "libgfortran-1.so.5").read_bytes() == b"another build"


def _openblas_pair() -> tuple[Path, Path]:
    """SciPy's and NumPy's OpenBLAS as their Linux wheels install them, or skip."""
    if not sys.platform.startswith("linux"):
        pytest.skip("SciPy's OpenBLAS is replaced in Linux builds only")
    import numpy
    import scipy

    site = Path(scipy.__file__).parents[1]
    scipy_blas = [p for p in (site / "scipy.libs").glob("libscipy_openblas*.so*") if "64_" not in p.name]
    numpy_blas = sorted((Path(numpy.__file__).parents[1] / "numpy.libs").glob("libscipy_openblas64_*.so*"))
    missing = [t for t in ("cc", "nm", "readelf") if shutil.which(t) is None]
    if len(scipy_blas) != 1 or not numpy_blas or missing:
        pytest.skip(f"needs the wheels' OpenBLAS and {', '.join(missing) or 'their layout'} "
                    "(apt-get install gcc binutils)")
    return scipy_blas[0], numpy_blas[0]


def _fake_build(root: Path, scipy_blas: Path, numpy_blas: Path, *modules: str) -> Path:
    """A build folder holding the two OpenBLAS and copies of SciPy's *modules* (globs)."""
    import scipy

    internal = root / "ArtistShield" / "_internal"
    (internal / "scipy.libs").mkdir(parents=True)
    shutil.copyfile(scipy_blas, internal / "scipy.libs" / scipy_blas.name)
    (internal / "numpy.libs").symlink_to(numpy_blas.parent)
    package = Path(scipy.__file__).parent
    for pattern in modules:
        for module in package.glob(pattern):
            target = internal / "scipy" / module.relative_to(package)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(module, target)
    return internal / "scipy.libs" / scipy_blas.name


def test_scipy_openblas_replaced_only_when_the_build_needs_no_more(tmp_path: Path) -> None:
    scipy_blas, numpy_blas = _openblas_pair()
    kept_modules = _fake_build(tmp_path / "kept", scipy_blas, numpy_blas, "special/*.so")
    with_linalg = _fake_build(tmp_path / "linalg", scipy_blas, numpy_blas, "special/*.so", "linalg/_fblas*.so")

    # What the build keeps of SciPy (scipy.special) takes one routine from it...
    assert build.openblas_symbols_used(tmp_path / "kept" / "ArtistShield", kept_modules) == {"scipy_dstevr_"}
    build.share_openblas(tmp_path / "kept" / "ArtistShield")
    assert kept_modules.stat().st_size < 100_000
    assert build._dynamic_symbols(kept_modules, defined=True) >= set(build.OPENBLAS_SHIM_SYMBOLS)
    # ...while scipy.linalg would need all of BLAS: then the copy stays.
    assert len(build.openblas_symbols_used(tmp_path / "linalg" / "ArtistShield", with_linalg)) > 50
    build.share_openblas(tmp_path / "linalg" / "ArtistShield")
    assert with_linalg.stat().st_size == scipy_blas.stat().st_size


_ELLIPSOIDAL = """
import json, sys, scipy.special
values = [float(scipy.special.ellip_harm(5.0, 8.0, n, p, s, signm=-1, signn=1))
          for n in range(12) for p in range(1, 2 * n + 2) for s in (2.5, 3.1, 7.0)]
maps = open("/proc/self/maps").read()
print(json.dumps({"values": values, "scipy_blas": sys.argv[1] in maps}))
"""


def _ellipsoidal(scipy_blas: Path, preload: Path | None = None) -> dict[str, object]:
    env = dict(os.environ)
    if preload is not None:
        env["LD_PRELOAD"] = str(preload)
    done = subprocess.run([sys.executable, "-c", _ELLIPSOIDAL, str(scipy_blas.resolve())], env=env,
                          capture_output=True, text=True, check=True, timeout=120)
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.slow
def test_openblas_shim_computes_what_scipy_own_openblas_does(tmp_path: Path) -> None:
    scipy_blas, numpy_blas = _openblas_pair()
    (tmp_path / "scipy.libs").mkdir()
    (tmp_path / "numpy.libs").symlink_to(numpy_blas.parent)
    shim = tmp_path / "scipy.libs" / scipy_blas.name
    shutil.copyfile(scipy_blas, shim)

    build.build_openblas_shim(shim, tmp_path / "numpy.libs" / numpy_blas.name)

    reference, shimmed = _ellipsoidal(scipy_blas), _ellipsoidal(scipy_blas, preload=shim)
    assert reference["scipy_blas"] is True
    assert shimmed["scipy_blas"] is False  # scipy.special took the shim, not SciPy's copy
    assert len(shimmed["values"]) == 432  # type: ignore[arg-type]
    assert shimmed["values"] == reference["values"]  # bit for bit: the same LAPACK routine
