"""python -m scheduling: see scheduling/cli.py."""

import sys

from scheduling.cli import main

sys.exit(main())
