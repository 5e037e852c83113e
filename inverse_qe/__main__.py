"""``python -m inverse_qe``: the ``inverse-qe`` command line."""

import sys

from inverse_qe.cli import main

if __name__ == "__main__":
    sys.exit(main())
