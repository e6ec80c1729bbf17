"""The desktop app: mark, check and keep the registry without a terminal.

The only package that imports Qt (PySide6).  Heavy parts of the core (the
watermark engine, scipy, the registry) are imported inside workers or on
first use, so the window opens quickly.  ``app.run()`` is the entry point.
"""
