"""The app stamps registered works in the background, against a local OpenSSL TSA on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import unit_modules
from PIL import Image

from artistshield import identity
from artistshield.gui.registry_view import RegistryView
from artistshield.gui.session import Session, settings
from artistshield.gui.stamping import StampingJob, stamp_state
from artistshield.registry import Registry, timestamp

local_tsa = unit_modules.load("local_tsa")

pytestmark = pytest.mark.skipif(local_tsa.OPENSSL is None, reason="needs the openssl command")


@pytest.fixture
def tsa(tmp_path: Path) -> Iterator[object]:
    with local_tsa.serve(local_tsa.LocalTSA(tmp_path / "tsa", "Test TSA")) as running:
        yield running


@pytest.fixture
def artist() -> identity.Identity:
    return identity.create("Ada", None)


def register(tmp_path: Path, artist: identity.Identity, n: int) -> str:
    pixels = np.full((64, 64, 3), 40 * n, np.uint8)
    pixels[n::7, :, 0] = 255
    path = tmp_path / f"art{n}.png"
    Image.fromarray(pixels).save(path)
    with Registry.open() as registry:
        return registry.add_work(pixels, file_path=path, identity=artist).work_id


def configure(url: str, *, certs: Path | None = None, online: bool = True) -> None:
    store = settings()
    store.setValue("tsa_url", url)
    if certs is not None:
        store.setValue("tsa_certs", str(certs))
    store.setValue("Consent/stamp_when_online", online)
    store.sync()


def test_waiting_works_are_stamped_in_the_background(qtbot, tmp_path, artist, tsa) -> None:
    first, second = register(tmp_path, artist, 1), register(tmp_path, artist, 2)
    assert stamp_state().waiting == (first, second)
    configure(tsa.url, certs=tsa.root_pem)
    session = Session()
    job = StampingJob(session)
    job.start()  # locked: nothing can be signed, so nothing is asked
    assert not job.busy and tsa.requests == 0
    with qtbot.waitSignal(job.stamped, timeout=30_000) as stamped:
        session.set_identity(artist)  # unlocking starts a round
    stamp = stamped.args[0]
    assert stamp.tsa == "Test TSA" and tsa.requests == 1
    qtbot.waitUntil(lambda: not job.busy, timeout=10_000)
    assert job.state is not None and set(job.state.stamped) == {first, second}
    assert job.state.waiting == ()
    assert job.state.in_words().startswith("2 of 2 works stamped (latest: registered no later than")
    with Registry.open() as registry:
        assert registry.verify(artist.public_key).ok
        assert timestamp.pending(registry.log()) == 0
    shown = RegistryView(session)
    qtbot.addWidget(shown)
    with qtbot.waitSignal(shown.loaded, timeout=10_000):
        shown.refresh()
    registered = [shown.model.item(row, 3).text() for row in range(shown.model.rowCount())]
    assert len(registered) == 2 and all(t.endswith("\N{CHECK MARK} stamped") for t in registered)
    assert shown.model.item(0, 3).toolTip() == f"{stamp.claim()} (trusted time-stamp)"
    third = register(tmp_path, artist, 3)
    with qtbot.waitSignal(job.skipped, timeout=30_000):  # two rounds: the second finds nothing
        job.try_now()
        job.try_now()
    qtbot.waitUntil(lambda: not job.busy, timeout=10_000)
    assert tsa.requests == 2
    assert set(stamp_state().stamped) == {first, second, third}
    job.stop()


def test_the_registry_view_says_which_works_wait_for_a_stamp(qtbot, tmp_path, artist) -> None:
    register(tmp_path, artist, 1)
    shown = RegistryView(Session())
    qtbot.addWidget(shown)
    with qtbot.waitSignal(shown.loaded, timeout=10_000):
        shown.refresh()
    assert "stamped" not in shown.model.item(0, 3).text()
    assert shown.model.item(0, 3).toolTip().startswith("not stamped yet")


def test_an_unreachable_tsa_is_asked_again_later_and_nothing_is_written(
    qtbot, tmp_path, artist
) -> None:
    work = register(tmp_path, artist, 1)
    configure("http://127.0.0.1:9/tsa")  # the discard port: nobody answers
    session = Session()
    session.set_identity(artist)
    job = StampingJob(session)
    with qtbot.waitSignal(job.skipped, timeout=30_000) as skipped:
        job.start()
    assert "could not be reached" in skipped.args[0]
    assert not job.busy and job.timer.isActive()
    assert stamp_state().waiting == (work,)
    job.stop()


def test_nothing_is_asked_when_stamping_is_off(qtbot, tmp_path, artist, tsa) -> None:
    register(tmp_path, artist, 1)
    configure(tsa.url, certs=tsa.root_pem, online=False)
    session = Session()
    session.set_identity(artist)
    job = StampingJob(session)
    with qtbot.waitSignal(job.skipped, timeout=5_000):
        job.start()
    assert not job.busy and tsa.requests == 0
    job.stop()
