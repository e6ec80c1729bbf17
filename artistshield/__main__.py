"""``python -m artistshield``: the same as the ``artistshield`` command."""

import sys

from artistshield.cli import main

sys.exit(main())
