"""ArtistShield: mark, register and check an artist's published work.

The core (everything outside :mod:`artistshield.gui`) is plain Python over
numpy arrays and files and never imports Qt.
"""

__version__ = "0.2.0"
