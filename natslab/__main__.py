"""`python -m natslab` runs the CLI."""

import sys

from natslab.cli import main

sys.exit(main())
