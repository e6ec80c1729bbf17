"""The Registry view withdraws and merges works: hidden from lists and checks, still verified."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QInputDialog

from artistshield.registry import Registry

DATA = Path(__file__).parents[1] / "data"


def _pictures(folder: Path) -> tuple[list[Path], np.ndarray]:
    """Two works and a duplicate of the first (a pixel off); returns the files and its pixels."""
    hills = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))
    first, second = hills[:320, :400].copy(), hills[-320:, -400:].copy()
    duplicate = first.copy()
    duplicate[0, 0] ^= 1
    paths = []
    for name, pixels in (("dawn", first), ("dusk", second), ("dawn-again", duplicate)):
        paths.append(folder / f"{name}.png")
        Image.fromarray(pixels).save(paths[-1])
    return paths, duplicate


def _select(view, work_id: str) -> None:
    view.table.clearSelection()
    for row in range(view.proxy.rowCount()):
        if view.proxy.data(view.proxy.index(row, 0)) == work_id:
            view.table.selectRow(row)
            return
    raise AssertionError(f"{work_id} is not listed")


def _kind(view, work_id: str) -> str:
    for row in range(view.model.rowCount()):
        if view.model.item(row, 0).text() == work_id:
            return view.model.item(row, 5).text()
    raise AssertionError(f"{work_id} is not listed")


def test_withdraw_and_merge_hide_works_until_asked(qtbot, window, tmp_path, monkeypatch) -> None:
    paths, duplicate = _pictures(tmp_path)
    view = window.registry_view
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        window.show_view(2)
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.register_files(paths[:2])
    # the duplicate record an older version let in (the view now skips a file it knows)
    from artistshield import identity
    from artistshield.register import register_file

    with Registry.open() as registry:
        register_file(registry, paths[2], identity=identity.load())
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.refresh()
    assert sorted(view.works) == ["W-000001", "W-000002", "W-000003"]

    _select(view, "W-000002")
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("not mine", True))
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.withdraw_action.trigger()
    assert sorted(view.works) == ["W-000001", "W-000003"]
    assert view.model.rowCount() == 2
    assert "Withdrew W-000002" in view.status.text()

    _select(view, "W-000003")
    monkeypatch.setattr(
        QInputDialog, "getItem", lambda _p, _t, _l, items, *a, **k: (items[0], True)
    )
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.merge_action.trigger()
    assert sorted(view.works) == ["W-000001"]

    with Registry.open() as registry:  # what a check sees: the duplicate answers as W-000001
        found = [m.work_id for m in registry.match(duplicate) if m.is_match]
        assert found == ["W-000001"]
        assert registry.verify().ok

    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.show_hidden.setChecked(True)
    assert sorted(view.works) == ["W-000001", "W-000002", "W-000003"]
    assert _kind(view, "W-000002") == "Registered, withdrawn"
    assert _kind(view, "W-000003") == "Registered, merged into W-000001"
    _select(view, "W-000002")
    details = " ".join(view.detail.toPlainText().split())
    assert "Hidden withdrawn on" in details and "not mine" in details

    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.restore_action.trigger()
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.show_hidden.setChecked(False)
    assert sorted(view.works) == ["W-000001", "W-000002"]
    with qtbot.waitSignal(view.verified, timeout=20_000) as verified:
        view.verify_button.click()
    assert verified.args[0].ok


def test_asks_during_a_listing_fold_into_one_current_listing(qtbot, window) -> None:
    """Opening the view and two more asks while it lists: one listing is shown, the latest."""
    view = window.registry_view
    seen: list[int] = []
    view.loaded.connect(seen.append)
    window.show_view(2)
    view.refresh()
    view.refresh()
    qtbot.waitUntil(lambda: bool(seen) and view._listing is None, timeout=20_000)
    qtbot.wait(300)  # nothing more is queued
    assert seen == [0]
