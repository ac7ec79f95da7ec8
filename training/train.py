"""Train SieveNet: ``python training/train.py --help``.

Thin entry point; the logic lives in :mod:`sievenet_tf.training.cli`.
"""

import sys

from sievenet_tf.training.cli import main

if __name__ == "__main__":
    sys.exit(main())
