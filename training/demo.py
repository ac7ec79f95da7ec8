"""Run SieveNet end to end on the synthetic dataset: ``python training/demo.py``.

Thin entry point; the logic lives in :mod:`sievenet_tf.demo`.
"""

import sys

from sievenet_tf.demo import main

if __name__ == "__main__":
    sys.exit(main())
