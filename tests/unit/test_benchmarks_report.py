"""docs/benchmarks.md and the README's figures are what benchmarks/report.py makes of the saved runs."""

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_report", ROOT / "benchmarks" / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_benchmarks_doc_is_generated_from_the_committed_runs(report: ModuleType) -> None:
    assert (ROOT / "docs" / "benchmarks.md").read_text() == report.render(), (
        "docs/benchmarks.md differs from the saved runs: run python benchmarks/report.py"
    )


def test_readme_figures_are_generated_from_the_committed_runs(report: ModuleType) -> None:
    readme = (ROOT / "README.md").read_text()
    assert report.BEGIN in readme and report.END in readme
    assert report.with_headlines(readme) == readme, (
        "README.md's figures differ from the saved runs: run python benchmarks/report.py"
    )


def test_a_run_is_shown_with_its_date_machine_and_commit(report: ModuleType, tmp_path: Path) -> None:
    record = {
        "benchmark": "register_speed",
        "command": "python benchmarks/register_speed.py",
        "date": "2026-12-07T05:40:00+00:00",
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "dirty": False,
        "machine": {"cpu": "Test CPU", "cores": 2, "system": "Linux 6", "python": "3.11.7",
                    "numpy": "2.1.0"},
        "figures": {"add_work_ms_worst": 123.4, "budget_ms": 300.0},
        "tables": [{"title": "Stages", "columns": ["stage", "median ms"],
                    "rows": [["fingerprint", "98.70"], ["a | b", "1.00"]]}],
        "notes": ["End to end: 123 ms at worst."],
    }
    (tmp_path / "register_speed.json").write_text(json.dumps(record))
    doc = report.render(tmp_path)
    section = doc.split("## Registering a work", 1)[1].split("\n## ", 1)[0]
    assert "2026-12-07 05:40 UTC, commit 0123456" in section
    assert "Test CPU, 2 cores" in section and "numpy 2.1.0" in section
    assert "| fingerprint | 98.70 |" in section
    assert "| a \\| b | 1.00 |" in section
    assert "End to end: 123 ms at worst." in section
    # every other benchmark says it was not run, rather than showing a figure
    assert doc.count("Not run in this checkout") == len(report.BENCHMARKS) - 1

    block = report.headline_block(tmp_path)
    assert "| Registering a 1920x1080 work | 123 ms | ≤ 300 ms | 2026-12-07 |" in block
    assert "Measured on Test CPU, 2 cores" in block
    assert block.count("\n| ") == 2  # the header and the one row measured


def _save_union_scale(folder: Path, name: str, works: int, note: str) -> None:
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
    _save_union_scale(tmp_path, "union_scale_extrapolated", 10_000_000, "A straight line.")
    doc = report.render(tmp_path)
    assert "## Unions: ten million works (EXTRAPOLATED, not measured)" in doc
    assert "A straight line." in doc

    _save_union_scale(tmp_path, "union_scale_10000000", 10_000_000, "Measured at ten million.")
    doc = report.render(tmp_path)
    assert "## Unions: ten million works (EXTRAPOLATED" not in doc
    assert "A straight line." not in doc
    assert "## Unions: a shared registry of ten million works" in doc
    assert "Measured at ten million." in doc
