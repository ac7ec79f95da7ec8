"""Train-step timing per stage (baseline, --jit, --mixed-precision).

Thin entry point; the logic lives in :mod:`sievenet_tf.training.benchmark`.
"""

import sys

from sievenet_tf.training.benchmark import main

if __name__ == "__main__":
    sys.exit(main())
