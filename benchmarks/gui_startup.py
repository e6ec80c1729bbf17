"""Launch to a usable window: how long the app takes to show its main window.

Starts a fresh Python process per run (as a user's double click would), with
an existing identity, and reports the time from process start until the main
window has been shown and the first events processed, plus which heavy
modules were already imported by then (they should load lazily).

Run:  QT_QPA_PLATFORM=offscreen python benchmarks/gui_startup.py [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import Table, add_json_option, save

CHILD = r"""
import sys, time
start = float(sys.argv[1])
from PySide6.QtWidgets import QApplication
app = QApplication([])
from artistshield.gui.main_window import MainWindow
window = MainWindow()
window.show()
app.processEvents()
ready = time.time() - start
heavy = [m for m in ("scipy", "av", "imwatermark", "cv2", "c2pa", "torch") if m in sys.modules]
print(f"{ready:.3f} {','.join(heavy) or '-'}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_json_option(parser)
    args = parser.parse_args()
    home = tempfile.mkdtemp()
    env = dict(os.environ, ARTISTSHIELD_HOME=home, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    subprocess.run([sys.executable, "-c", "from artistshield import identity; identity.create('Bench', None)"],
                   env=env, check=True)
    times, heavy = [], set()
    for _ in range(6):
        out = subprocess.run([sys.executable, "-c", CHILD, str(time.time())], env=env,
                             capture_output=True, text=True, check=True).stdout.split()
        times.append(float(out[0]))
        heavy.update(x for x in out[1].split(",") if x != "-")
    times = times[1:]  # the first run warms the disk cache
    loaded = ", ".join(sorted(heavy)) or "none"
    table = Table("Launch to a usable window", ["launch to usable window", "seconds"])
    table.add(f"median of {len(times)}", f"{statistics.median(times):.2f}")
    table.add("slowest", f"{max(times):.2f}")
    table.add("heavy modules loaded at start", loaded)
    table.print()
    save(
        "gui_startup",
        tables=[table],
        figures={"launch_s_median": round(statistics.median(times), 3), "heavy_loaded": loaded},
        path=args.json,
    )

if __name__ == "__main__":
    main()
