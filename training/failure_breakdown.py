"""Break an evaluation down by garment type: ``python training/failure_breakdown.py EVAL_DIR --data ROOT``.

Thin entry point; the logic lives in :mod:`sievenet_tf.failure_analysis`.
"""

import sys

from sievenet_tf.failure_analysis import main

if __name__ == "__main__":
    sys.exit(main())
