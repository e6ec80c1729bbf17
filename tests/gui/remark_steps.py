"""Steps shared by the tests of marking what is registered already: add, wait for the question."""

from __future__ import annotations

from pathlib import Path

from artistshield.registry import Registry


def add(qtbot, drop, view, paths: list[Path]) -> None:
    """Drop *paths* on the Mark view and wait until it lists them."""
    with qtbot.waitSignal(view.files_added, timeout=10_000):
        drop(view, paths)


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
