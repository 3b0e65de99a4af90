"""``python -m bonegrid.dashboard``: serve the dashboard (see :func:`bonegrid.dashboard.command.main`)."""

import sys

from bonegrid.dashboard.command import main

sys.exit(main())
