"""`python -m mlpgui`: same as the `mlpgui` command."""

import sys

from .cli import main

sys.exit(main())
