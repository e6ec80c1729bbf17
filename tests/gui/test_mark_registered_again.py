"""Marking what is registered already asks first: skip, or mark again as a new version."""

from __future__ import annotations

from mark_steps import add, asked, works

from artistshield.gui.mark_view import COL_STATUS
from artistshield.registry import Registry

NAMES = ("cel-portrait-alpha.png", "cel-spookytree-alpha.png")


def _status(view, row: int) -> str:
    return view.table.item(row, COL_STATUS).text()


def test_marking_again_asks_then_skips_or_marks_a_new_version(
    qtbot, window, artwork, drop
) -> None:
    view = window.mark_view
    add(qtbot, drop, view, artwork(*NAMES))
    with qtbot.waitSignal(view.batch_finished, timeout=120_000):
        view.start_button.click()
    assert view.remark_dialog is None  # nothing was registered yet: no question
    first = {row: view.outcomes[view.table.path_at(row)].work_id for row in range(2)}
    assert sorted(first.values()) == ["W-000001", "W-000002"]

    # "Mark all" again: the artist is asked, and skipping registers nothing
    view.start_button.click()
    dialog = asked(qtbot, view)
    assert "2 files are registered already" in dialog.text()
    for row in range(2):
        assert f"already registered as {first[row]}" in dialog.informativeText()
    with qtbot.waitSignal(view.batch_finished, timeout=10_000):
        dialog.skip_button.click()
    for row in range(2):
        assert _status(view, row).startswith(f"Skipped: already registered as {first[row]}")
    assert "skipped 2 registered already" in view.status.text()
    assert works() == {"W-000001": None, "W-000002": None}

    # one row, marked again on purpose: a new work that names the earlier one
    view.table.selectRow(0)
    assert view.start_selected_button.isEnabled()
    view.start_selected_button.click()
    dialog = asked(qtbot, view)
    assert "1 file is registered already" in dialog.text()
    with qtbot.waitSignal(view.batch_finished, timeout=120_000):
        dialog.again_button.click()
    assert _status(view, 0).endswith(f"registered as W-000003, a new version of {first[0]}")
    assert _status(view, 1).startswith("Skipped:")  # not in this batch: left as it was
    assert works() == {"W-000001": None, "W-000002": None, "W-000003": first[0]}
    with Registry.open() as registry:
        assert registry.verify().ok


def test_cancel_in_the_question_marks_nothing(qtbot, window, artwork, drop) -> None:
    view = window.mark_view
    add(qtbot, drop, view, artwork(NAMES[0]))
    with qtbot.waitSignal(view.batch_finished, timeout=120_000):
        view.start_button.click()
    view.start_button.click()
    dialog = asked(qtbot, view)
    with qtbot.waitSignal(view.batch_finished, timeout=10_000):
        dialog.cancel_button.click()
    assert _status(view, 0) == "Cancelled — not marked"
    assert "cancelled" in view.status.text()
    assert list(works()) == ["W-000001"]
    assert view.start_button.isEnabled() and view.worker is None

    # the view's own Cancel button answers the question the same way
    view.start_button.click()
    asked(qtbot, view)
    with qtbot.waitSignal(view.batch_finished, timeout=10_000):
        view.cancel_button.click()
    assert view.remark_dialog is None and _status(view, 0) == "Cancelled — not marked"
    assert list(works()) == ["W-000001"]
