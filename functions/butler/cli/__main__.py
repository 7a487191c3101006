"""``python -m butler.cli``: the same as the ``butler-staff`` command."""
import sys

from butler.cli.main import main

sys.exit(main())
