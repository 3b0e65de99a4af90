"""Run bonegrid from a checkout: ``python run.py`` (see ``python run.py --help``)."""

import sys

from bonegrid.cli import main

if __name__ == "__main__":
    sys.exit(main())
