"""Every background job over a second shows what it does, with the time left or taken."""

from __future__ import annotations

import threading
from pathlib import Path

from artistshield import register
from artistshield.check import CheckResult, MarkFinding
from artistshield.gui import job_progress
from artistshield.gui.check_job import Checked
from artistshield.gui.job_progress import JobProgress, Step
from artistshield.gui.workers import Worker
from artistshield.report import json_report
from artistshield.watermark import Detection


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _held(gate: threading.Event, steps: tuple[Step, ...] = ()):
    def job(report, cancelled):
        for step in steps:
            report(step)
        gate.wait(30)

    return job


def test_a_job_without_a_fraction_shows_the_time_taken_then_one_with_the_time_left(qtbot) -> None:
    clock = Clock()
    progress = JobProgress(clock=clock)
    qtbot.addWidget(progress)
    gate = threading.Event()
    worker = Worker(_held(gate), name="a test job")
    progress.track(worker, "Verifying every signature…")
    with qtbot.waitSignal(worker.signals.finished, timeout=10_000):
        worker.start()
        clock.now += 0.5
        progress._tick()
        assert progress.isHidden()  # under a second: nothing flickers
        clock.now += 2.6
        progress._tick()
        assert not progress.isHidden()
        assert progress.text() == "Verifying every signature… 3 s so far"
        assert progress.bar.maximum() == 0  # a busy bar: no fraction is known
        gate.set()
    qtbot.waitUntil(progress.isHidden, timeout=5_000)

    gate = threading.Event()
    worker = Worker(_held(gate, (Step(0, 4), Step(1, 4))), name="a counted job")
    progress.track(worker, "Registering…")
    with qtbot.waitSignal(worker.signals.finished, timeout=10_000):
        worker.start()
        qtbot.waitUntil(lambda: progress.bar.value() == 1, timeout=5_000)
        clock.now += 2.0
        progress._tick()
        assert progress.text() == "Registering… 1 of 4 · about 6 s left"
        gate.set()
    qtbot.waitUntil(progress.isHidden, timeout=5_000)


def test_registering_works_counts_them_with_the_time_left(qtbot, window, artwork, monkeypatch) -> None:
    monkeypatch.setattr(job_progress, "SHOW_AFTER", 0.0)
    gate, real = threading.Event(), register.register_file
    calls: list[Path] = []

    def held(registry, path, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            gate.wait(30)  # the second file waits, so the view can be looked at
        return real(registry, path, **kwargs)

    monkeypatch.setattr(register, "register_file", held)
    window.show_view(2)
    view = window.registry_view
    with qtbot.waitSignal(view.registered, timeout=60_000):
        view.register_files(artwork("cel-portrait-alpha.png", "cel-spookytree-alpha.png"))
        qtbot.waitUntil(lambda: "1 of 2" in view.job_progress.text(), timeout=30_000)
        assert view.job_progress.isVisible()
        assert view.job_progress.text().startswith("Registering…")
        gate.set()
    qtbot.waitUntil(lambda: not view.job_progress.isVisible(), timeout=10_000)


def test_writing_a_report_shows_the_time_taken(qtbot, window, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(job_progress, "SHOW_AFTER", 0.0)
    gate, real = threading.Event(), json_report.write_json_report

    def held(*args, **kwargs):
        gate.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(json_report, "write_json_report", held)
    window.show_view(1)
    view = window.check_view
    found = Detection(True, 7, 1e-20, 12.0, scale=1.0, rotation=0.0, flipped=False, offset=(0, 0))
    view.show_checked(Checked(CheckResult(
        "s.png", marks=[MarkFinding("your key", found, None)], size=(800, 600), works_compared=0
    )))
    with qtbot.waitSignal(view.reported, timeout=30_000):
        view.write_report(tmp_path / "case.json")
        qtbot.waitUntil(view.job_progress.isVisible, timeout=10_000)
        assert view.job_progress.text().startswith("Writing case.json…")
        assert "s so far" in view.job_progress.text()
        gate.set()
    assert (tmp_path / "case.json").exists()
    qtbot.waitUntil(lambda: not view.job_progress.isVisible(), timeout=10_000)
