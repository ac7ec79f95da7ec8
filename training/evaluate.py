"""Evaluate a trained run: ``python training/evaluate.py --run RUN_DIR [--data ROOT]``.

Thin entry point; the logic lives in :mod:`sievenet_tf.evaluation`.
"""

import sys

from sievenet_tf.evaluation import main

if __name__ == "__main__":
    sys.exit(main())
