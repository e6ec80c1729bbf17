"""The standalone build's executable: the app, the command line and its ``-m`` children."""

import sys

from artistshield.frozen import main

if __name__ == "__main__":
    sys.exit(main())
