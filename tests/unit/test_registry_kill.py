"""A writer killed at any moment leaves a registry that verifies."""

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from artistshield import identity as identities
from artistshield.registry import Registry

WRITER = """
import hashlib, sys
from pathlib import Path
import numpy as np
from artistshield import identity
from artistshield.registry import Registry, ingest

ingest.fingerprint_bytes = lambda p: hashlib.sha256(p.tobytes()).digest()
artist = identity.load()
registry = Registry.open()
rng = np.random.default_rng(int(sys.argv[2]))
for i in range(100_000):
    pixels = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
    work = registry.add_work(pixels, file_path=Path(sys.argv[1]), identity=artist)
    if i % 3 == 0:
        registry.set_title(work.work_id, f"title {i}", artist)
    print(work.work_id, flush=True)
"""


def test_kill_mid_batch_leaves_a_consistent_registry(tmp_path: Path) -> None:
    artist = identities.create("Ada", None)
    source = tmp_path / "art.png"
    Image.fromarray(np.zeros((24, 24, 3), np.uint8)).save(source)
    rng = np.random.default_rng(0)
    confirmed: list[str] = []
    for round_ in range(4):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(source), str(round_)],
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        assert writer.stdout is not None
        wanted = int(rng.integers(3, 30))
        for _ in range(wanted):
            line = writer.stdout.readline()
            assert line, "the writer died on its own"
            confirmed.append(line.strip())
        writer.send_signal(signal.SIGKILL)  # mid-batch: it is writing the next one now
        writer.wait(timeout=30)
        writer.stdout.close()

        with Registry.open() as registry:
            report = registry.verify(artist.public_key)
            assert report.ok, report.problems
            ids = {w.work_id for w in registry.works()}
        assert set(confirmed) <= ids  # nothing a writer reported done was lost
        conn = sqlite3.connect(registry.path)
        orphans = conn.execute(
            "SELECT COUNT(*) FROM works LEFT JOIN log ON log.seq = works.register_seq"
            " WHERE log.seq IS NULL"
        ).fetchone()[0]
        unbacked = conn.execute(
            "SELECT COUNT(*) FROM log LEFT JOIN works ON works.register_seq = log.seq"
            " WHERE log.kind IN ('register', 'mark') AND works.id IS NULL"
        ).fetchone()[0]
        conn.close()
        assert orphans == unbacked == 0


KILLED_INSIDE = """
import hashlib, os, signal, sys
from pathlib import Path
import numpy as np
from artistshield import identity
from artistshield.registry import Registry, ingest, store

ingest.fingerprint_bytes = lambda p: hashlib.sha256(p.tobytes()).digest()
real_append = store.history.append
calls = 0

def append_then_die(*args, **kwargs):
    global calls
    entry = real_append(*args, **kwargs)
    calls += 1
    if calls == int(sys.argv[2]):  # the entry is written, its work row is not
        os.kill(os.getpid(), signal.SIGKILL)
    return entry

store.history.append = append_then_die
artist = identity.load()
registry = Registry.open()
for i in range(100):
    pixels = np.full((8, 8, 3), i, np.uint8)
    registry.add_work(pixels, file_path=Path(sys.argv[1]), identity=artist)
"""


def test_kill_between_entry_and_row_rolls_both_back(tmp_path: Path) -> None:
    artist = identities.create("Ada", None)
    source = tmp_path / "art.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(source)
    # The first add_work also writes the genesis entry: call 5 is W-000004's entry.
    done = subprocess.run([sys.executable, "-c", KILLED_INSIDE, str(source), "5"], check=False)
    assert done.returncode == -signal.SIGKILL
    with Registry.open() as registry:
        assert registry.verify(artist.public_key).ok
        assert [w.work_id for w in registry.works()] == ["W-000001", "W-000002", "W-000003"]
        assert [e.seq for e in registry.log()] == [1, 2, 3, 4]
