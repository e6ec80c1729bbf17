"""Steps the GUI tests of marking share: add files, mark them, answer "registered already"."""

from __future__ import annotations

from pathlib import Path

from artistshield.registry import Registry


def add(qtbot, drop, view, paths: list[Path]) -> None:
    """Drop *paths* on the Mark view and wait until it lists them."""
    with qtbot.waitSignal(view.files_added, timeout=10_000):
        drop(view, paths)


def mark_all(qtbot, window, drop, paths: list[Path]) -> Path:
    """Add *paths* to the Mark view, mark them all, and return the output folder."""
    view = window.mark_view
    add(qtbot, drop, view, paths)
    with qtbot.waitSignal(view.batch_finished, timeout=60_000):
        view.start_button.click()
    return view.output_folder()


def asked(qtbot, view):
    """The "registered already" question, once the view shows it."""
    qtbot.waitUntil(
        lambda: view.remark_dialog is not None and view.remark_dialog.isVisible(), timeout=120_000
    )
    return view.remark_dialog


def works() -> dict[str, str | None]:
    """Every registered work's ID, with the ID of the work it is a new version of."""
    with Registry.open() as registry:
        return {w.work_id: registry.version_of(w.work_id) for w in registry.works()}
