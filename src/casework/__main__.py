"""``python -m casework`` runs the command line."""

import sys

from casework.cli import main

sys.exit(main())
