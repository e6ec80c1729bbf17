"""Shared test set-up: every test gets its own data folder and runs headless."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ARTISTSHIELD_HOME at a fresh folder so no test sees the user's data."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("ARTISTSHIELD_HOME", str(home))
    monkeypatch.delenv("ARTISTSHIELD_PASSPHRASE", raising=False)
    return home


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a Qt application as ``gui``."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "qapp" in fixtures or "qtbot" in fixtures:
            item.add_marker(pytest.mark.gui)


@pytest.fixture
def data_dir() -> Path:
    return DATA
