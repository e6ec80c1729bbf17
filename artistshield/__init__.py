"""ArtistShield: mark, register and check an artist's published work.

The core (everything outside :mod:`artistshield.gui`) is plain Python over
numpy arrays and files and never imports Qt.
"""

import os

# Before numpy loads: its OpenBLAS starts a thread per core for every matrix
# product, however small.  Ours are small (fingerprints, fits of a few
# hundred rows), so those threads only spin against the app's own workers and
# FFmpeg's: on a busy 2-core machine a key frame's fingerprint took 158 ms of
# CPU with them and 94 ms without.  Set OPENBLAS_NUM_THREADS to override.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# Before SciPy loads: its first import pulls in numpy's test and Fortran tools,
# which nothing here uses (see artistshield.startup).
from artistshield import startup

startup.defer_numpy_extras()

__version__ = "0.2.0"
