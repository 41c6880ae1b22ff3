"""``python -m sim`` runs the ``ecosim`` command line."""

import sys

from sim.cli import main

sys.exit(main())
