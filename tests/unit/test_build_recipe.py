"""The standalone build's recipe: which of Qt's ICU data it leaves out, and that
what it keeps still serves Qt (``packaging/build.py``)."""

from __future__ import annotations

import importlib.util
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
