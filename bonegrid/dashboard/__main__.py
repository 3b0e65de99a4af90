"""``python -m bonegrid.dashboard``: serve the dashboard (see :func:`bonegrid.dashboard.main`)."""

import sys

from bonegrid.dashboard import main

sys.exit(main())
