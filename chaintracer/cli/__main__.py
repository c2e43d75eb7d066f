"""``python -m chaintracer.cli``: the ``chaintracer`` command."""

import sys

from chaintracer.cli.main import main

sys.exit(main())
