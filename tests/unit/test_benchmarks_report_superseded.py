"""An extrapolation to ten million works leaves docs/benchmarks.md once ten million is measured."""

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_report_s", ROOT / "benchmarks" / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _save(folder: Path, name: str, works: int, note: str) -> None:
    record = {
        "benchmark": name, "command": f"python benchmarks/union_scale.py --works {works}",
        "date": "2026-12-07T15:00:00+00:00", "commit": "0" * 40, "dirty": False,
        "machine": {"cpu": "Test CPU", "cores": 2, "system": "Linux 6", "python": "3.11.7"},
        "figures": {"works": works}, "tables": [], "notes": [note],
    }
    (folder / f"{name}.json").write_text(json.dumps(record))


def test_the_extrapolation_is_shown_only_until_ten_million_is_measured(
    report: ModuleType, tmp_path: Path
) -> None:
    _save(tmp_path, "union_scale_extrapolated", 10_000_000, "A straight line.")
    doc = report.render(tmp_path)
    assert "## Unions: ten million works (EXTRAPOLATED, not measured)" in doc
    assert "A straight line." in doc

    _save(tmp_path, "union_scale_10000000", 10_000_000, "Measured at ten million.")
    doc = report.render(tmp_path)
    assert "## Unions: ten million works (EXTRAPOLATED" not in doc
    assert "A straight line." not in doc
    assert "## Unions: a shared registry of ten million works" in doc
    assert "Measured at ten million." in doc
