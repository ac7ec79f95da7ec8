"""Best-and-worst figure of an evaluation: ``python training/ends_figure.py EVAL_DIR --out FIG.png``.

Thin entry point; the logic lives in :mod:`sievenet_tf.ends_figure`.
"""

import sys

from sievenet_tf.ends_figure import main

if __name__ == "__main__":
    sys.exit(main())
