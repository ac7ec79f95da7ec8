"""The paper's ablation: ``python training/ablation.py --out runs/ablation [--data ROOT --seeds 0,1]``.

Thin entry point; the logic lives in :mod:`sievenet_tf.ablation`.
"""

import sys

from sievenet_tf.ablation import main

if __name__ == "__main__":
    sys.exit(main())
