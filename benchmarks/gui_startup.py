"""Launch to a usable window: how long the app takes to show its main window.

Starts a fresh Python process per run (as a user's double click would), with
an existing identity, and reports the time from process start until the main
window has been shown and the first events processed, plus which heavy
modules were already imported by then (they should load lazily).

Run:  QT_QPA_PLATFORM=offscreen python benchmarks/gui_startup.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

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
    print("| launch to usable window | seconds |")
    print("|---|---|")
    print(f"| median of {len(times)} | {statistics.median(times):.2f} |")
    print(f"| slowest | {max(times):.2f} |")
    print(f"| heavy modules loaded at start | {', '.join(sorted(heavy)) or 'none'} |")


if __name__ == "__main__":
    main()
