"""What else a suspect image carries, beyond the artist's own mark.

Three independent readers, each returning a small frozen result with
``to_json()`` and ``findings()`` (short sentences a person can read):

* :mod:`.sd` — Stable Diffusion's public invisible marks (through the optional
  ``invisible-watermark`` package, always in a child process so OpenCV never
  loads in the caller);
* :mod:`.credentials` — C2PA Content Credentials (through ``c2pa-python``);
* :mod:`.metadata` — EXIF, XMP, IPTC and PNG text fields about provenance.
"""
